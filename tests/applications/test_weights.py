"""The ``weights=`` argument: Keras's checks, a file path, "imagenet" from the cache folder,
and the offline error naming the file, its URL and the folder to put it in."""

import socket

import numpy as np
import pytest

from glassnet.keras import applications

SMALL = dict(alpha=0.35, input_shape=(96, 96, 3), include_top=False, pooling="avg")


@pytest.fixture
def offline(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network disabled by the test")

    monkeypatch.setenv("GLASSNET_HOME", str(tmp_path))
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    return tmp_path


def _seeded(model):
    """Weights that give outputs of order 1 (the default initialisation's vanish here)."""
    rng = np.random.default_rng(0)
    model.set_weights([rng.uniform(0.5, 1.5, w.shape).astype(np.float32) if w.ndim == 1
                       else rng.uniform(-1, 1, w.shape).astype(np.float32)
                       * np.float32(np.sqrt(3 / np.prod(w.shape[:-1] if w.shape[-1] > 1
                                                         else w.shape[:2])))
                       for w in model.get_weights()])
    return model


def _x(size=96):
    return np.random.default_rng(3).random((2, size, size, 3), np.float32)


def test_weights_from_a_file_path(tmp_path):
    source = _seeded(applications.MobileNetV2(weights=None, **SMALL))
    path = tmp_path / "mine.h5"
    source.save_weights(str(path))  # Keras 2's weights-only layout
    fresh = applications.MobileNetV2(weights=None, **SMALL)
    assert not np.allclose(fresh.predict(_x(), verbose=0), source.predict(_x(), verbose=0),
                           rtol=1e-3, atol=0)
    loaded = applications.MobileNetV2(weights=str(path), **SMALL)
    np.testing.assert_array_equal(loaded.predict(_x(), verbose=0),
                                  source.predict(_x(), verbose=0))


def test_imagenet_weights_found_in_the_cache(offline):
    # a file already in the cache folder ($GLASSNET_HOME/models, as Keras's ~/.keras/models)
    # is used (Keras publishes no hash for MobileNetV2's files); no download, works offline
    source = _seeded(applications.MobileNetV2(weights=None, **SMALL))
    folder = offline / "models"
    folder.mkdir(parents=True)
    source.save_weights(
        str(folder / "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_96_no_top.h5"))
    loaded = applications.MobileNetV2(weights="imagenet", **SMALL)
    np.testing.assert_array_equal(loaded.predict(_x(), verbose=0),
                                  source.predict(_x(), verbose=0))


@pytest.mark.parametrize("make,kwargs,fname,folder", [
    (applications.MobileNetV2, SMALL,
     "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_96_no_top.h5", "mobilenet_v2/"),
    (applications.VGG16, dict(include_top=False, input_shape=(32, 32, 3)),
     "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5", "vgg16/"),
    (applications.ResNet50, dict(include_top=False, input_shape=(32, 32, 3)),
     "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5", "resnet/"),
    (applications.DenseNet121, dict(include_top=False, input_shape=(32, 32, 3)),
     "densenet121_weights_tf_dim_ordering_tf_kernels_notop.h5", "densenet/"),
    (applications.Xception, dict(include_top=False, input_shape=(71, 71, 3)),
     "xception_weights_tf_dim_ordering_tf_kernels_notop.h5", "xception/"),
])
def test_imagenet_offline_error(offline, make, kwargs, fname, folder):
    with pytest.raises(OSError) as err:
        make(weights="imagenet", **kwargs)
    message = str(err.value)
    assert fname in message
    assert f"https://storage.googleapis.com/tensorflow/keras-applications/{folder}{fname}" \
        in message
    assert str(offline / "models") in message  # the folder to put it in


def test_weights_argument_errors(tmp_path):
    with pytest.raises(ValueError, match="The `weights` argument should be either `None`"):
        applications.VGG16(weights=str(tmp_path / "missing.h5"))
    with pytest.raises(TypeError, match="weights"):
        applications.VGG16(weights=3)
    with pytest.raises(ValueError, match="`classes` should be 1000.  Received classes=10"):
        applications.ResNet50(weights="imagenet", classes=10)
    with pytest.raises(ValueError, match="pooling"):
        applications.DenseNet121(weights=None, include_top=False, pooling="mean")
    with pytest.raises(ValueError, match="classes"):
        applications.DenseNet121(weights=None, classes=0)


def test_input_shape_errors():
    with pytest.raises(ValueError, match=r"Input size must be at least 32x32; Received: "
                                         r"input_shape=\(16, 16, 3\)"):
        applications.VGG16(weights=None, include_top=False, input_shape=(16, 16, 3))
    with pytest.raises(ValueError, match="at least 71x71"):
        applications.Xception(weights=None, include_top=False, input_shape=(64, 64, 3))
    with pytest.raises(ValueError, match=r"`input_shape` should be \(224, 224, 3\)"):
        applications.ResNet50(weights="imagenet", input_shape=(200, 200, 3))
    with pytest.raises(ValueError, match="static `input_shape`"):
        applications.ResNet50(weights=None, input_shape=(None, None, 3))
    with pytest.raises(ValueError, match="tuple of three integers"):
        applications.ResNet50(weights=None, include_top=False, input_shape=(64, 64))
    with pytest.raises(ValueError, match="tuple of three integers"):
        applications.ResNet50(weights=None, include_top=False, input_shape=64)
    with pytest.raises(ValueError, match="positive integers"):
        applications.ResNet50(weights=None, include_top=False, input_shape=(64, "64", 3))
    with pytest.raises(ValueError, match="The input must have 3 channels"):
        applications.ResNet50(weights="imagenet", include_top=False, input_shape=(64, 64, 1))
    with pytest.warns(UserWarning, match="1 or 3 input channels"):
        applications.VGG16(weights=None, include_top=False, input_shape=(32, 32, 4))


def test_pretrained_classifier_activation_and_alpha():
    with pytest.raises(ValueError, match="Only `None` and `softmax` activations"):
        applications.VGG16(weights="imagenet", classifier_activation="relu")
    with pytest.raises(ValueError, match="alpha must be one of"):
        applications.MobileNetV2(weights="imagenet", alpha=0.6)
    with pytest.raises(ValueError, match="alpha"):
        applications.MobileNetV2(weights=None, alpha=0)
