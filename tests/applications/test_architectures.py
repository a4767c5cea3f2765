"""Each architecture builds with weights=None and has Keras's parameters, layer names and
weight order (a signature over names and shapes, recorded with Keras 3.15 by
fixtures/make_fixture.py --counts)."""

import importlib.util
import pathlib

import numpy as np
import pytest

from glassnet.keras import applications

_spec = importlib.util.spec_from_file_location(
    "applications_keras_order", pathlib.Path(__file__).parent / "keras_order.py")
keras_order = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(keras_order)

# name: ((total, trainable, signature) with the classifier, (...) without), from Keras:
#   KERAS_BACKEND=torch python tests/applications/fixtures/make_fixture.py --counts
KERAS = {
    "VGG16": ((138357544, 138357544, "8a3c8fd0e2185f7b"),
              (14714688, 14714688, "817096a48e004630")),
    "VGG19": ((143667240, 143667240, "337cb9d8aacb4d6b"),
              (20024384, 20024384, "168610ed31800090")),
    "ResNet50": ((25636712, 25583592, "1988e6b16607805f"),
                 (23587712, 23534592, "177c0dec9c8c1c33")),
    "ResNet101": ((44707176, 44601832, "c349fb1c80f332a0"),
                  (42658176, 42552832, "6c5dd0cd7b86946b")),
    "ResNet152": ((60419944, 60268520, "7b7b1f7e13564ab5"),
                  (58370944, 58219520, "f622815f7ff837cf")),
    "MobileNetV2": ((3538984, 3504872, "901d0904e55741df"),
                    (2257984, 2223872, "0fc8050223def849")),
    "Xception": ((22910480, 22855952, "8aefce8c52253120"),
                 (20861480, 20806952, "6e40cae353d6f131")),
    "DenseNet121": ((8062504, 7978856, "68e05c1ee7634812"),
                    (7037504, 6953856, "57b29846b0fae466")),
    "DenseNet169": ((14307880, 14149480, "b74d52a144f2d5d6"),
                    (12642880, 12484480, "4f104362ac4289b9")),
    "DenseNet201": ((20242984, 20013928, "20568fbe33666823"),
                    (18321984, 18092928, "21337de864a13ff8")),
}


def _check(fn, include_top):
    model = getattr(applications, fn)(weights=None, include_top=include_top)
    total, trainable, sig = KERAS[fn][0 if include_top else 1]
    assert model.count_params() == total
    assert sum(int(np.prod(w.shape)) for w in model.trainable_weights) == trainable
    assert keras_order.signature(keras_order.keras_layer_order(model)) == sig
    # get_weights (the order set_weights and Keras's .h5 files use) follows model.layers
    assert [w.shape for w in model.get_weights()] == [
        tuple(w.shape) for layer in model.layers for w in layer.weights]
    return model


# the deeper variants repeat their family's builder with more blocks: checked in full by the
# slow tests
DEEPER = {"VGG19", "ResNet101", "ResNet152", "DenseNet169", "DenseNet201"}
SLOW_TOP = {"VGG16"} | DEEPER


@pytest.mark.parametrize("fn", sorted(set(KERAS) - DEEPER))
def test_without_top_matches_keras(fn):
    model = _check(fn, include_top=False)
    assert model.output_shape[:3] == (None, None, None)


@pytest.mark.parametrize("fn", sorted(set(KERAS) - SLOW_TOP))
def test_with_top_matches_keras(fn):
    model = _check(fn, include_top=True)
    assert model.output_shape == (None, 1000)


@pytest.mark.slow
@pytest.mark.parametrize("fn", sorted(SLOW_TOP))
def test_large_with_top_matches_keras(fn):
    _check(fn, include_top=True)


@pytest.mark.slow
@pytest.mark.parametrize("fn", sorted(DEEPER))
def test_deeper_without_top_match_keras(fn):
    _check(fn, include_top=False)


# ResNet's shortcut convolution is called first but listed after the deeper main branch:
# Model.layers is in Keras's order (by depth), not the call order.
@pytest.mark.parametrize("fn", sorted(set(KERAS) - DEEPER))
def test_model_layers_in_keras_order(fn):
    model = getattr(applications, fn)(weights=None, include_top=False)
    assert keras_order.signature(model.layers) == KERAS[fn][1][2]


@pytest.mark.parametrize("fn,size,out", [("VGG16", 32, (1, 1, 512)),
                                         ("ResNet50", 32, (1, 1, 2048)),
                                         ("MobileNetV2", 32, (1, 1, 1280)),
                                         ("Xception", 71, (3, 3, 2048)),
                                         ("DenseNet121", 32, (1, 1, 1024))])
def test_small_input_shape_pooling_and_predict(fn, size, out):
    make = getattr(applications, fn)
    model = make(weights=None, include_top=False, input_shape=(size, size, 3))
    assert model.output_shape == (None, *out)
    pooled = make(weights=None, include_top=False, input_shape=(size, size, 3), pooling="avg")
    assert pooled.output_shape == (None, out[-1])
    y = pooled.predict(np.zeros((1, size, size, 3), np.float32), verbose=0)
    assert y.shape == (1, out[-1]) and y.dtype == np.float32 and np.isfinite(y).all()


def test_classes_and_classifier_activation():
    model = applications.MobileNetV2(weights=None, alpha=0.35, input_shape=(32, 32, 3),
                                     classes=7)
    y = model.predict(np.random.default_rng(0).random((2, 32, 32, 3), np.float32), verbose=0)
    assert y.shape == (2, 7)
    np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-5)  # softmax
    logits = applications.ResNet50(weights=None, input_shape=(32, 32, 3), classes=3,
                                   classifier_activation=None)
    assert logits.get_layer("predictions").activation.__name__ == "linear"


def test_keras_module_layout_and_names():
    assert applications.vgg16.VGG16 is applications.VGG16
    assert applications.resnet50.ResNet50 is applications.resnet.ResNet50
    assert applications.densenet.DenseNet121 is applications.DenseNet121
    assert applications.mobilenet_v2.MobileNetV2 is applications.MobileNetV2
    assert applications.xception.Xception is applications.Xception
    for module in (applications.vgg16, applications.vgg19, applications.resnet,
                   applications.resnet50, applications.mobilenet_v2, applications.xception,
                   applications.densenet):
        assert callable(module.preprocess_input) and callable(module.decode_predictions)
    assert applications.MobileNetV2(weights=None, alpha=0.5, input_shape=(96, 96, 3),
                                    include_top=False).name == "mobilenetv2_0.50_96"
    assert applications.ResNet50(weights=None, include_top=False).name == "resnet50"
    model = applications.ResNet50(weights=None, include_top=False, name="backbone")
    assert model.name == "backbone"


def test_input_tensor_is_used():
    from glassnet import keras

    inp = keras.Input((32, 32, 3))
    scaled = keras.layers.Rescaling(1 / 127.5, offset=-1)(inp)
    model = applications.MobileNetV2(weights=None, alpha=0.35, include_top=False,
                                     input_tensor=scaled, pooling="avg")
    assert model.input_shape == (None, 32, 32, 3)
    assert any(type(layer).__name__ == "Rescaling" for layer in model.layers)
    with pytest.raises(TypeError, match="input_tensor"):
        applications.VGG16(weights=None, include_top=False, input_tensor=np.zeros((1, 32, 32, 3)))


def test_save_load_round_trip(tmp_path):
    from glassnet import keras

    model = applications.EfficientNetB0(weights=None, include_top=False,
                                        input_shape=(32, 32, 3), pooling="avg")
    path = str(tmp_path / "b0.keras")
    model.save(path)
    again = keras.models.load_model(path)
    x = np.random.default_rng(0).random((2, 32, 32, 3), np.float32) * 255
    np.testing.assert_array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))


def test_transfer_learning_with_a_frozen_base():
    """The Keras transfer-learning recipe: frozen base called with training=False, new head."""
    from glassnet import keras

    base = applications.MobileNetV2(weights=None, alpha=0.35, include_top=False,
                                    input_shape=(32, 32, 3))
    base.trainable = False
    inputs = keras.Input((32, 32, 3))
    x = base(applications.mobilenet_v2.preprocess_input(inputs), training=False)
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(2, activation="softmax")(x)
    model = keras.Model(inputs, outputs)
    assert len(model.trainable_weights) == 2  # only the new head trains
    frozen = [w.copy() for w in base.get_weights()]
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    model.fit(rng.random((8, 32, 32, 3), np.float32) * 255, rng.integers(0, 2, 8),
              epochs=1, batch_size=4, verbose=0)
    for before, after in zip(frozen, base.get_weights()):
        np.testing.assert_array_equal(before, after)  # BN statistics too (training=False)
