"""Embedding, Masking and how masks travel: through layers, pooling, merges, losses, metrics."""

import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
import torch
from helpers import check_layer

from glassnet import keras
from glassnet.autograd.tensor import Tensor
from glassnet.nn.layers import (
    Add,
    Concatenate,
    Dense,
    Dropout,
    Embedding,
    Flatten,
    GlobalAveragePooling1D,
    Lambda,
    Masking,
)


def test_embedding_forward_and_table_gradient_match_torch():
    ids = np.array([[1, 2, 2, 0], [4, 4, 4, 3]])  # repeated ids: their gradients add up
    layer = Embedding(5, 3)
    out = layer(ids)
    module = torch.nn.Embedding(5, 3)
    with torch.no_grad():
        module.weight.copy_(torch.tensor(layer.embeddings.numpy()))
    expected = module(torch.tensor(ids))
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy())
    upstream = np.random.default_rng(0).standard_normal(out.shape).astype(np.float32)
    (out * Tensor(upstream)).sum().backward()
    (expected * torch.tensor(upstream)).sum().backward()
    np.testing.assert_allclose(layer.embeddings.grad, module.weight.grad.numpy(), rtol=1e-6)


def test_embedding_keras_defaults_config_and_weights():
    layer = Embedding(7, 2, mask_zero=True, input_length=3)
    layer(np.zeros((1, 3), "int32"))
    assert [w.name for w in layer.weights] == ["embeddings"]
    assert layer.embeddings.shape == (7, 2)
    assert np.abs(layer.embeddings.numpy()).max() <= 0.05  # "uniform": U(-0.05, 0.05)
    config = layer.get_config()
    assert config["mask_zero"] and config["input_dim"] == 7 and config["input_length"] == 3
    clone = Embedding.from_config(config)
    assert clone.get_config() == config
    given = np.arange(14, dtype="float32").reshape(7, 2)
    assert np.array_equal(Embedding(7, 2, weights=[given])(np.array([[6]])).numpy(),
                          [[[12.0, 13.0]]])


def test_embedding_mask_zero_marks_padding():
    out = Embedding(10, 4, mask_zero=True)(np.array([[3, 1, 0, 0], [5, 0, 2, 0]]))
    assert out._keras_mask.numpy().tolist() == [[True, True, False, False],
                                                [True, False, True, False]]
    assert getattr(Embedding(10, 4)(np.array([[3, 0]])), "_keras_mask", None) is None


@pytest.mark.parametrize("ids,message", [
    (np.array([[1, 10]]), "received id 10"),
    (np.array([[-1, 2]]), "received id -1"),
    (np.array([[1.5, 2.0]]), "expected integer ids"),
])
def test_embedding_rejects_bad_ids(ids, message):
    with pytest.raises(ValueError, match=message):
        Embedding(10, 2)(ids)


def test_embedding_rejects_bad_arguments_and_lengths():
    with pytest.raises(ValueError, match="input_dim"):
        Embedding(0, 2)
    with pytest.raises(ValueError, match="mask_zero"):
        Embedding(3, 2, mask_zero="yes")
    with pytest.raises(ValueError, match="input_length=4"):
        Embedding(3, 2, input_length=4)(np.zeros((1, 3), "int32"))
    with pytest.raises(TypeError, match="dtype <U1"):
        Embedding(3, 2)(np.array([["a"]]))


def test_masking_zeroes_and_masks_padded_steps():
    x = np.array([[[1.0, 2.0], [0.0, 0.0], [0.0, 3.0]]], "float32")
    out = Masking()(x)
    assert out._keras_mask.numpy().tolist() == [[True, False, True]]
    x_custom = np.array([[[-1.0, -1.0], [2.0, -1.0]]], "float32")
    out = Masking(mask_value=-1.0)(x_custom)
    assert out._keras_mask.numpy().tolist() == [[False, True]]
    assert out.numpy().tolist() == [[[0.0, 0.0], [2.0, -1.0]]]
    with pytest.raises(ValueError, match="mask_value"):
        Masking(mask_value="zero")


def test_masking_conformance():
    check_layer(lambda: Masking(mask_value=0.5), (2, 3, 4))


def test_mask_passes_through_supporting_layers_and_is_dropped_with_a_warning():
    x = Embedding(10, 4, mask_zero=True)(np.array([[1, 0, 2]]))
    y = Dropout(0.5)(Dense(3, activation="relu")(x), training=True)
    assert y._keras_mask.numpy().tolist() == [[True, False, True]]
    with pytest.warns(UserWarning, match="does not support masking"):
        flat = Flatten()(y)
    assert getattr(flat, "_keras_mask", None) is None
    # Keras 3's Lambda drops the mask unless told what it is.
    assert getattr(Lambda(lambda t: t * 2)(y), "_keras_mask", None) is None
    kept = Lambda(lambda t: t * 2, mask=lambda inputs, mask: mask)(y)
    assert kept._keras_mask.numpy().tolist() == [[True, False, True]]


def test_global_average_pooling_1d_averages_the_kept_steps():
    x = np.random.default_rng(0).standard_normal((2, 4, 3)).astype("float32")
    mask = np.array([[True, True, False, False], [True, False, False, False]])
    out = GlobalAveragePooling1D()(x, mask=mask).numpy()
    np.testing.assert_allclose(out[0], x[0, :2].mean(0), rtol=1e-6)
    np.testing.assert_allclose(out[1], x[1, 0], rtol=1e-6)
    first = GlobalAveragePooling1D(data_format="channels_first")
    out_cf = first(np.transpose(x, (0, 2, 1)), mask=mask).numpy()
    np.testing.assert_allclose(out_cf, out, rtol=1e-6)
    # Its gradient only reaches the kept steps, each with weight 1 / kept.
    t = Tensor(x, requires_grad=True)
    GlobalAveragePooling1D()(t, mask=mask).sum().backward()
    np.testing.assert_allclose(t.grad[:, :, 0], [[0.5, 0.5, 0, 0], [1, 0, 0, 0]])


def test_merge_layers_combine_masks_as_keras():
    a = Embedding(10, 2, mask_zero=True)(np.array([[1, 0, 3]]))
    b = Embedding(10, 2, mask_zero=True)(np.array([[1, 2, 0]]))
    # Keras 3 ORs the masks of Add, Subtract, Average, Maximum, Minimum, Multiply
    assert Add()([a, b])._keras_mask.numpy().tolist() == [[True, True, True]]
    assert Concatenate()([a, b])._keras_mask.numpy().tolist() == [[True, True, True]]
    assert Concatenate(axis=1)([a, b])._keras_mask.numpy().tolist() == [
        [True, False, True, True, True, False]]


def test_masked_timesteps_weigh_nothing_in_loss_and_metrics():
    rng = np.random.default_rng(0)
    x = rng.integers(1, 10, (8, 5))
    x[:, 3:] = 0
    y = rng.integers(0, 3, (8, 5))
    model = keras.Sequential([keras.Input((None,), dtype="int32"),
                              keras.layers.Embedding(10, 4, mask_zero=True),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    loss, accuracy = model.evaluate(x, y, verbose=0)
    p = model.predict(x, verbose=0)
    kept = np.take_along_axis(p, y[..., None], -1)[:, :3, 0]
    np.testing.assert_allclose(loss, -np.log(kept).mean(), rtol=1e-5)
    np.testing.assert_allclose(accuracy, (p.argmax(-1) == y)[:, :3].mean(), rtol=1e-6)


def test_string_input_declares_its_dtype():
    config = keras.layers.InputLayer(shape=(1,), dtype="string").get_config()
    assert config["dtype"] == "string"


def test_masked_model_from_a_fresh_interpreter(tmp_path):
    program = textwrap.dedent("""
        import numpy as np
        import glassnet as tf
        x = np.array([[3, 4, 0, 0], [5, 6, 7, 0]])
        inputs = tf.keras.Input(shape=(None,), dtype="int32")
        h = tf.keras.layers.Embedding(20, 8, mask_zero=True)(inputs)
        h = tf.keras.layers.Dense(8, activation="relu")(h)
        outputs = tf.keras.layers.Dense(1)(tf.keras.layers.GlobalAveragePooling1D()(h))
        model = tf.keras.Model(inputs, outputs)
        padded = np.array([[3, 4, 0, 0, 0, 0], [5, 6, 7, 0, 0, 0]])
        a, b = model.predict(x, verbose=0), model.predict(padded, verbose=0)
        assert np.allclose(a, b, atol=1e-6), (a, b)  # padding changes nothing
        print("ok")
    """)
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                            cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_no_warning_without_masks():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Flatten()(Dense(2)(np.ones((1, 3, 2), "float32")))


def test_symbolic_shapes_keep_an_unknown_length():
    tokens = keras.Input((None,), dtype="int32")
    x = keras.layers.Embedding(10, 16)(tokens)
    assert x.shape == (None, None, 16)
    assert (x + x).shape == (None, None, 16)  # an operator layer, shaped by running it
    assert keras.layers.Dense(3)(x).shape == (None, None, 3)
    assert keras.layers.GlobalAveragePooling1D()(x).shape == (None, 16)
    assert keras.layers.Reshape((-1, 4))(x).shape == (None, None, 4)
