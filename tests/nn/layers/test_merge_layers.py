"""Merge layers (Keras 3's rules): elementwise merges with broadcasting, Dot, masks, the
functional forms, errors."""

import numpy as np
import pytest
import torch
from helpers import check_layer

import glassnet as gn
from glassnet import keras
from glassnet.keras.layers import (
    Add,
    Average,
    Dot,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    average,
    dot,
    maximum,
    minimum,
    multiply,
    subtract,
)


def test_elementwise_merges_match_torch():
    shapes = [(3, 4), (3, 4), (3, 4)]
    check_layer(Multiply, shapes, expected_output_shape=(3, 4),
                torch_module=lambda a, b, c: a * b * c)
    check_layer(Average, shapes, torch_module=lambda a, b, c: (a + b + c) / 3)
    check_layer(Maximum, shapes,
                torch_module=lambda a, b, c: torch.maximum(torch.maximum(a, b), c))
    check_layer(Minimum, shapes,
                torch_module=lambda a, b, c: torch.minimum(torch.minimum(a, b), c))
    check_layer(Subtract, [(2, 3, 4), (2, 3, 4)], expected_params=0,
                torch_module=lambda a, b: a - b)


def test_merges_broadcast_as_keras():
    # A size-1 axis stretches; a lower-rank input gains axes right after the batch axis.
    check_layer(Add, [(2, 3, 4), (2, 1, 4)], expected_output_shape=(2, 3, 4),
                torch_module=lambda a, b: a + b)
    check_layer(Subtract, [(2, 4), (2, 3, 4)], expected_output_shape=(2, 3, 4),
                torch_module=lambda a, b: a[:, None] - b)
    check_layer(Maximum, [(2, 3, 1), (2, 4)], expected_output_shape=(2, 3, 4),
                torch_module=lambda a, b: torch.maximum(a, b[:, None]))
    assert Multiply().compute_output_shape([(None, 5), (None, 2, None, 5)]) == (None, 2, None, 5)
    assert Add().compute_output_shape([(None, 3), (7, 3)]) == (7, 3)


def test_maximum_gradient_goes_to_the_winner_and_splits_ties():
    a = gn.tensor([[1.0, 5.0, 2.0]], requires_grad=True)
    b = gn.tensor([[3.0, 2.0, 2.0]], requires_grad=True)
    Maximum()([a, b]).sum().backward()
    np.testing.assert_allclose(a.grad, [[0, 1, 0.5]])
    np.testing.assert_allclose(b.grad, [[1, 0, 0.5]])
    a.grad = b.grad = None
    Minimum()([a, b]).sum().backward()
    np.testing.assert_allclose(a.grad, [[1, 0, 0.5]])


@pytest.mark.parametrize("axes, shapes, out", [
    (1, [(2, 3), (2, 3)], (2, 1)),
    (-1, [(2, 3, 5), (2, 4, 5)], (2, 3, 4)),
    ((1, 2), [(2, 3, 5), (2, 4, 3)], (2, 5, 4)),
    ([2, 1], [(2, 3, 5), (2, 5)], (2, 3)),
    ((-2, 1), [(2, 3, 2, 4), (2, 2, 3)], (2, 3, 4, 3)),
])
def test_dot_matches_torch(axes, shapes, out):
    a1, a2 = (axes, axes) if isinstance(axes, int) else axes

    def reference(x, y):
        x = torch.movedim(x, a1 % x.ndim, -1)
        y = torch.movedim(y, a2 % y.ndim, 1)
        r = torch.einsum("bik,bkj->bij", x.reshape(x.shape[0], -1, x.shape[-1]),
                         y.reshape(y.shape[0], y.shape[1], -1))
        return r.reshape(out)

    check_layer(lambda: Dot(axes=axes), shapes, expected_output_shape=out,
                torch_module=reference)


def test_dot_normalize_is_cosine_similarity():
    check_layer(lambda: Dot(axes=1, normalize=True), [(4, 5), (4, 5)],
                torch_module=lambda x, y: torch.nn.functional.cosine_similarity(
                    x, y, dim=1, eps=1e-7)[:, None])
    y = Dot(axes=-1, normalize=True)([np.array([[3.0, 4.0]]), np.array([[4.0, 3.0]])])
    np.testing.assert_allclose(y.numpy(), [[0.96]], rtol=1e-6)
    assert Dot(axes=(1, 2), normalize=True).get_config()["axes"] == (1, 2)


def _masked_pair():
    x1 = gn.tensor([[[1.0, -2.0], [3.0, 4.0], [5.0, 6.0]]])
    x2 = gn.tensor([[[2.0, 1.0], [-1.0, 7.0], [0.5, -3.0]]])
    return x1, x2, np.array([[True, False, True]]), np.array([[True, True, False]])


# Expected values computed with Keras 3.15 (torch backend) on the same inputs and masks.
@pytest.mark.parametrize("layer, which, expected", [
    (Multiply, "both", [[2.0, -2.0], [-1.0, 7.0], [5.0, 6.0]]),
    (Multiply, "first", [[2.0, -2.0], [-1.0, 7.0], [2.5, -18.0]]),
    (Multiply, "second", [[2.0, -2.0], [-3.0, 28.0], [5.0, 6.0]]),
    (Maximum, "both", [[2.0, 1.0], [-1.0, 7.0], [5.0, 6.0]]),
    (Maximum, "second", [[2.0, 1.0], [3.0, 7.0], [5.0, 6.0]]),
    (Minimum, "both", [[1.0, -2.0], [-1.0, 7.0], [5.0, 6.0]]),
    (Minimum, "first", [[1.0, -2.0], [-1.0, 7.0], [0.5, -3.0]]),
    (Minimum, "second", [[1.0, -2.0], [-1.0, 4.0], [5.0, 6.0]]),
    (Add, "both", [[3.0, -1.0], [2.0, 11.0], [5.5, 3.0]]),
    (Average, "first", [[1.5, -0.5], [1.0, 5.5], [2.75, 1.5]]),
])
def test_masked_values_and_masks_as_keras(layer, which, expected):
    x1, x2, m1, m2 = _masked_pair()
    if which in ("both", "first"):
        x1._keras_mask = gn.tensor(m1)
    if which in ("both", "second"):
        x2._keras_mask = gn.tensor(m2)
    y = layer()([x1, x2])
    np.testing.assert_allclose(y.numpy()[0], expected)
    mask = getattr(y, "_keras_mask", None)
    if which == "both":  # OR of the masks when every input has one, else no mask
        assert mask.numpy().tolist() == [[True, True, True]]
    else:
        assert mask is None


def test_merge_masks_or_together_and_dot_drops_them():
    a = keras.layers.Embedding(10, 2, mask_zero=True)(np.array([[1, 0, 3, 0]]))
    b = keras.layers.Embedding(10, 2, mask_zero=True)(np.array([[1, 2, 0, 0]]))
    for layer in (Add, Subtract, Multiply, Average, Maximum, Minimum):
        assert layer()([a, b])._keras_mask.numpy().tolist() == [[True, True, True, False]]
    assert getattr(Dot(axes=-1)([a, b]), "_keras_mask", None) is None


def test_config_round_trip_and_functional_forms():
    for layer in (Subtract(name="s"), Dot(axes=[1, 2], normalize=True, name="d")):
        config = layer.get_config()
        assert type(layer).from_config(config).get_config() == config
    assert Dot(axes=(1, 2)).get_config()["normalize"] is False
    x, y = np.full((2, 3), 2.0, "float32"), np.full((2, 3), 3.0, "float32")
    for fn, value in ((add, 5.0), (subtract, -1.0), (multiply, 6.0), (average, 2.5),
                      (maximum, 3.0), (minimum, 2.0)):
        assert fn([x, y], name=f"{fn.__name__}_fn").numpy().tolist() == [[value] * 3] * 2
    assert dot([x, y]).numpy().tolist() == [[18.0], [18.0]]  # dot's axes default -1
    assert dot([x, y], axes=1, normalize=True).shape == (2, 1)


def test_functional_model_with_every_merge_fits():
    keras.utils.set_random_seed(0)
    a, b = keras.Input((4,)), keras.Input((3, 4))
    h = keras.layers.Dense(4)(a)
    parts = [add([h, b]), subtract([b, h]), multiply([h, b]), average([h, b]),
             maximum([h, b]), minimum([h, b])]
    merged = keras.layers.concatenate(parts, axis=-1)
    assert merged.shape == (None, 3, 24)
    pooled = keras.layers.Flatten()(merged)
    cosine = dot([keras.layers.Dense(5)(a), keras.layers.Dense(5)(a)], axes=1, normalize=True)
    out = add([Dot(axes=1)([keras.layers.Dense(3)(pooled), keras.layers.Dense(3)(a)]), cosine])
    assert out.shape == (None, 1)
    model = keras.Model([a, b], out)
    rng = np.random.default_rng(0)
    xa, xb = rng.normal(size=(64, 4)).astype("float32"), rng.normal(size=(64, 3, 4)).astype(
        "float32")
    target = (xa.sum(1, keepdims=True) + xb.mean((1, 2))[:, None]).astype("float32")
    model.compile("adam", "mse")
    history = model.fit([xa, xb], target, epochs=8, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert model.predict([xa[:2], xb[:2]], verbose=0).shape == (2, 1)


def test_merge_errors_name_the_layer_and_shapes():
    with pytest.raises(ValueError, match=r"Add 'a1': inputs have incompatible shapes. Received "
                                         r"shapes \(2, 3\) and \(2, 4\)"):
        Add(name="a1")([np.zeros((2, 3)), np.zeros((2, 4))])
    with pytest.raises(ValueError, match=r"Multiply '.*': cannot merge tensors with different "
                                         r"batch sizes. Received tensors with shapes \(2, 3\) "
                                         r"and \(3, 3\)"):
        Multiply()([np.zeros((2, 3)), np.zeros((3, 3))])
    with pytest.raises(ValueError, match=r"Subtract '.*' should be called on exactly 2 inputs; "
                                         r"received 3 inputs"):
        Subtract()([np.zeros((2, 3))] * 3)
    with pytest.raises(ValueError, match=r"Subtract '.*' should be called on exactly 2 inputs"):
        subtract([keras.Input((3,))])
    with pytest.raises(ValueError, match=r"Maximum '.*' expects a list of at least 1 input.*"
                                         r"received a single input of shape \(2, 3\)"):
        Maximum()(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"incompatible shapes"):  # symbolic: at build
        Average()([keras.Input((3,)), keras.Input((4,))])
    built = Add()
    built([np.zeros((2, 3)), np.zeros((2, 3))])
    with pytest.raises(ValueError, match=r"Add '.*': inputs have incompatible shapes"):
        built([np.zeros((2, 3)), np.zeros((2, 5))])


def test_dot_errors():
    with pytest.raises(TypeError, match=r"Dot: invalid type for argument `axes`.*axes='1'"):
        Dot(axes="1")
    with pytest.raises(ValueError, match=r"should contain two elements. Received: "
                                         r"axes=\(1, 2, 3\)"):
        Dot(axes=(1, 2, 3))
    with pytest.raises(ValueError, match=r"list elements should be integers"):
        Dot(axes=(1, 2.0))
    with pytest.raises(ValueError, match=r"Dot '.*': incompatible input shapes: axis values 3 "
                                         r"\(at axis 1\) != 4 \(at axis 1\)"):
        Dot(axes=1)([np.ones((2, 3)), np.ones((2, 4))])
    with pytest.raises(ValueError, match=r"over axis 0 \(the batch axis\)"):
        Dot(axes=0)([np.ones((2, 3)), np.ones((2, 3))])
    with pytest.raises(ValueError, match=r"should be called on a list of 2 inputs; received 3"):
        Dot(axes=1)([np.ones((2, 3))] * 3)
    with pytest.raises(ValueError, match=r"rank >= 2"):
        Dot(axes=-1)([np.ones(3), np.ones(3)])
    with pytest.raises(ValueError, match=r"out of range"):
        Dot(axes=3)([np.ones((2, 3)), np.ones((2, 3))])
    with pytest.raises(ValueError, match=r"different batch sizes"):
        Dot(axes=1)([np.ones((2, 3)), np.ones((4, 3))])
    with pytest.raises(ValueError, match=r"expected a boolean.*normalize"):
        Dot(axes=1, normalize="yes")


def test_model_with_this_slice_of_layers_saves_and_loads(tmp_path):
    from glassnet.keras.layers import (
        ActivityRegularization,
        AlphaDropout,
        GaussianDropout,
        GaussianNoise,
        GroupNormalization,
        Identity,
        PReLU,
        RMSNormalization,
        UnitNormalization,
    )

    a, b = keras.Input((4,)), keras.Input((4,))
    h = Subtract()([keras.layers.Dense(4)(a), b])
    h = RMSNormalization()(GroupNormalization(2)(PReLU()(GaussianNoise(0.1)(h))))
    h = Maximum()([UnitNormalization()(h), Identity()(b)])
    h = ActivityRegularization(l1=0.01)(AlphaDropout(0.1)(GaussianDropout(0.1)(h)))
    model = keras.Model([a, b], Dot(axes=1, normalize=True)([h, a]))
    x = [np.random.default_rng(0).random((3, 4)).astype("float32")] * 2
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)
    assert [type(layer).__name__ for layer in loaded.layers][-1] == "Dot"
