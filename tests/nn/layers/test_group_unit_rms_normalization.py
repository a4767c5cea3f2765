"""GroupNormalization (torch.nn.GroupNorm), UnitNormalization, RMSNormalization
(torch.nn.RMSNorm)."""

import numpy as np
import pytest
import torch
from helpers import check_layer

from glassnet import keras
from glassnet.keras.layers import GroupNormalization, RMSNormalization, UnitNormalization


def _channels_first(a, inverse=False):
    return np.moveaxis(a, 1, -1) if inverse else np.moveaxis(a, -1, 1)


def _affine_into(layer, module):
    rng = np.random.default_rng(3)
    gamma, beta = rng.uniform(0.5, 1.5, layer.gamma.shape), rng.uniform(-1, 1, layer.beta.shape)
    layer.gamma.assign(gamma.astype("float32"))
    layer.beta.assign(beta.astype("float32"))
    with torch.no_grad():
        module.weight.copy_(torch.tensor(gamma))
        module.bias.copy_(torch.tensor(beta))
    return [(layer.gamma, module.weight, lambda g: g.numpy()),
            (layer.beta, module.bias, lambda g: g.numpy())]


@pytest.mark.parametrize("groups, shape", [(2, (3, 5, 4)), (3, (2, 4, 3, 6)), (1, (3, 6)),
                                           (-1, (2, 5, 4))])
def test_group_normalization_matches_torch_group_norm(groups, shape):
    channels = shape[-1]
    torch_groups = channels if groups == -1 else groups
    module = torch.nn.GroupNorm(torch_groups, channels, eps=1e-3)
    nd = len(shape)
    layer = check_layer(lambda: GroupNormalization(groups=groups), shape,
                        expected_params=2 * channels, torch_module=module,
                        torch_weights=_affine_into, to_torch_input=_channels_first,
                        from_torch_output=lambda t: t.permute(0, *range(2, nd), 1))
    assert layer.groups == torch_groups  # -1 resolves to one group per channel (Keras)


def test_group_normalization_channels_first_axis_and_no_affine():
    module = torch.nn.GroupNorm(2, 4, eps=1e-5, affine=False)
    check_layer(lambda: GroupNormalization(groups=2, axis=1, epsilon=1e-5, center=False,
                                           scale=False),
                (3, 4, 5), expected_params=0, torch_module=module)


def test_group_normalization_config_and_statistics():
    config = GroupNormalization(groups=4, name="g").get_config()
    assert {k: config[k] for k in ("groups", "axis", "epsilon", "center", "scale",
                                   "beta_constraint", "gamma_constraint")} == {
        "groups": 4, "axis": -1, "epsilon": 1e-3, "center": True, "scale": True,
        "beta_constraint": None, "gamma_constraint": None}
    assert config["gamma_initializer"] == {"class_name": "Ones", "config": {}}
    assert GroupNormalization.from_config(config).get_config() == config
    x = np.random.default_rng(0).normal(3, 2, (2, 7, 8)).astype("float32")
    y = GroupNormalization(groups=4)(x).numpy().reshape(2, 7, 4, 2)
    np.testing.assert_allclose(y.mean(axis=(1, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(y.var(axis=(1, 3)), 1, atol=1e-3)


def test_group_normalization_bad_input():
    for groups in (0, -2, 2.5, True):
        with pytest.raises(ValueError, match=r"invalid value for argument `groups`.*Received: "
                                             rf"groups={groups}"):
            GroupNormalization(groups=groups)
    with pytest.raises(ValueError, match=r"GroupNormalization '.*': number of groups \(3\) must "
                                         r"divide the number of channels \(8\) along axis -1"):
        GroupNormalization(groups=3)(np.ones((2, 8)))
    with pytest.raises(ValueError, match=r"number of groups \(32\) cannot be more than the "
                                         r"number of channels \(8\)"):
        GroupNormalization()(np.ones((2, 8)))
    with pytest.raises(ValueError, match=r"should have a defined size"):
        GroupNormalization(groups=2, axis=1)(keras.Input((None, 4)))
    with pytest.raises(ValueError, match=r"out of range \(or the batch axis\)"):
        GroupNormalization(groups=1, axis=0)(np.ones((2, 8)))
    with pytest.raises(ValueError, match=r"gamma_constraint` is not supported"):
        GroupNormalization(gamma_constraint="non_neg")
    layer = GroupNormalization(groups=2)
    layer(np.ones((2, 3, 4), "float32"))
    with pytest.raises(ValueError, match=r"built for inputs of shape \(2, 3, 4\) \(4 channels "
                                         r"along axis -1\), received input of shape \(2, 3, 6\)"):
        layer(np.ones((2, 3, 6), "float32"))


def test_unit_normalization():
    check_layer(UnitNormalization, (3, 5), expected_params=0,
                torch_module=lambda x: torch.nn.functional.normalize(x, dim=-1, eps=1e-12))
    check_layer(lambda: UnitNormalization(axis=[1, 2]), (2, 3, 4),
                torch_module=lambda x: x / x.square().sum((1, 2), keepdim=True).sqrt())
    y = UnitNormalization()(np.zeros((1, 3), "float32"))
    assert y.numpy().tolist() == [[0.0, 0.0, 0.0]]  # an all-zero sample stays zero, no NaN
    assert UnitNormalization(axis=(1, 2)).get_config()["axis"] == [1, 2]
    with pytest.raises(TypeError, match=r"UnitNormalization: invalid value for `axis` "
                                        r"argument.*Received: axis='x'"):
        UnitNormalization(axis="x")
    with pytest.raises(ValueError, match=r"axis 2 is out of bounds for input shape \(2, 3\)"):
        UnitNormalization(axis=2)(np.ones((2, 3)))


def _scale_into(layer, module):
    values = np.random.default_rng(2).uniform(0.5, 1.5, layer.scale.shape)
    layer.scale.assign(values.astype("float32"))
    with torch.no_grad():
        module.weight.copy_(torch.tensor(values))
    return [(layer.scale, module.weight, lambda g: g.numpy())]


def test_rms_normalization_matches_torch_rms_norm():
    layer = check_layer(RMSNormalization, (3, 4, 6), expected_params=6,
                        torch_module=torch.nn.RMSNorm(6, eps=1e-6), torch_weights=_scale_into)
    assert layer.axis == [-1] and layer.get_config()["epsilon"] == 1e-6  # Keras: a list
    check_layer(lambda: RMSNormalization(axis=[2, 1], epsilon=1e-4), (2, 3, 4),
                expected_params=12, torch_module=torch.nn.RMSNorm((3, 4), eps=1e-4),
                torch_weights=_scale_into)


def test_rms_normalization_bad_input():
    with pytest.raises(TypeError, match=r"RMSNormalization: invalid value for `axis`"):
        RMSNormalization(axis=None)
    with pytest.raises(ValueError, match=r"`epsilon` must be a number >= 0"):
        RMSNormalization(epsilon=-1)
    with pytest.raises(ValueError, match=r"axis 3 is out of bounds for input shape \(2, 3\)"):
        RMSNormalization(axis=3)(np.ones((2, 3)))
    layer = RMSNormalization()
    layer(np.ones((2, 3), "float32"))
    with pytest.raises(ValueError, match=r"built for inputs of shape \(2, 3\) .*received input "
                                         r"of shape \(2, 4\)"):
        layer(np.ones((2, 4), "float32"))


def test_normalizations_in_a_functional_model_fit():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(2, 3, size=(64, 5, 8)).astype("float32")
    y = x[:, :, :2].mean((1, 2))[:, None] / 3
    inp = keras.Input((5, 8))
    h = GroupNormalization(groups=4)(keras.layers.Dense(8)(inp))
    h = RMSNormalization()(h)
    h = UnitNormalization()(keras.layers.Flatten()(h))
    model = keras.Model(inp, keras.layers.Dense(1)(h))
    model.compile("adam", "mse")
    history = model.fit(x, y, epochs=8, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
