"""The Keras 3 losses glassnet lacked (focal cross-entropies, Dice, Tversky, CTC) and the
ones to check (Poisson, LogCosh, CosineSimilarity, ...): values and get_config against
Keras 3's (fixtures/make_keras_reference.py), forward and gradients against PyTorch or
float64 finite differences (tests/helpers.py), string names, errors."""

import json
import pathlib

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import check_op

import glassnet as gn
from glassnet import keras

REF = json.loads((pathlib.Path(__file__).parent / "fixtures" /
                  "keras_reference.json").read_text())
CASES = REF["cases"]
# glassnet keeps arguments Keras 3's get_config forgets, so that from_config round-trips
EXTRA = {"Huber": {"delta"}, "CosineSimilarity": {"axis"}}


def _id(case):
    return case["name"] + "-" + "-".join(f"{k}={v}" for k, v in case["kwargs"].items())


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_values_and_config_match_keras(case):
    cls = getattr(keras.losses, case["name"])
    y, p, w = (np.array(case[k], dtype=np.float32) for k in ("y_true", "y_pred", "weights"))
    for key, expected in case["values"].items():
        if expected is None:
            continue
        reduction, _, weighted = key.partition("+")
        loss = cls(reduction=reduction, **case["kwargs"])
        value = loss(y, p, sample_weight=w if weighted else None)
        np.testing.assert_allclose(np.asarray(value.numpy(), float), expected, rtol=2e-5,
                                   atol=2e-6, err_msg=key)
    config = cls(**case["kwargs"]).get_config()
    assert set(case["config"]) <= set(config)
    assert set(config) - set(case["config"]) <= EXTRA.get(case["name"], set())
    for key, value in case["config"].items():
        assert config[key] == (tuple(value) if isinstance(config[key], tuple) else value), key
    assert cls.from_config(config).get_config() == config


def test_ctc_matches_keras():
    ctc = REF["ctc"]
    labels, logits = np.array(ctc["labels"]), np.array(ctc["logits"], dtype=np.float32)
    loss = keras.losses.CTC()
    np.testing.assert_allclose(loss(labels, logits).numpy(), ctc["loss"], rtol=1e-5)
    np.testing.assert_allclose(keras.losses.CTC(reduction="none")(labels, logits).numpy(),
                               ctc["per_sample"], rtol=1e-5)
    assert loss.get_config() == ctc["config"]


# ---- gradients: PyTorch where it has the loss, else the formula in torch primitives ----

def _torch_bfce(t, z, gamma=2.0, alpha=0.25, balance=True, logits=True):
    p = torch.sigmoid(z) if logits else z
    q = p.clamp(1e-7, 1 - 1e-7)
    bce = -(t * torch.log(q) + (1 - t) * torch.log(1 - q))
    p_t = t * p + (1 - t) * (1 - p)
    focal = (1 - p_t) ** gamma * bce
    if balance:
        focal = (t * alpha + (1 - t) * (1 - alpha)) * focal
    return focal.mean(-1)


def _torch_cfce(t, z, gamma=2.0, alpha=0.25):
    p = torch.softmax(z, -1).clamp(1e-7, 1 - 1e-7)
    return ((1 - p) ** gamma * alpha * -(t * torch.log(p))).sum(-1)


def test_binary_focal_gradients():
    from glassnet.losses import binary_focal_crossentropy as bfce
    check_op(lambda t, z: bfce(t, z, apply_class_balancing=True, from_logits=True),
             _torch_bfce, [(5, 3), (5, 3)], low=-2, high=2, rtol=1e-4)
    check_op(lambda t, p: bfce(t, p), lambda t, p: _torch_bfce(t, p, balance=False,
                                                               logits=False),
             [(4, 3), (4, 3)], low=0.05, high=0.95, rtol=1e-4)


def test_generalized_cross_entropy_gradients():
    from glassnet.losses import categorical_generalized_cross_entropy as gce
    labels = np.array([0, 2, 1, 2])
    check_op(lambda p: gce(labels, p, 0.4),
             lambda p: (1 - p[torch.arange(4), torch.tensor(labels)] ** 0.4) / 0.4, [(4, 3)],
             low=0.05, high=1.0, rtol=1e-4)


def test_categorical_focal_gradients():
    from glassnet.losses import categorical_focal_crossentropy as cfce
    check_op(lambda t, z: cfce(t, z, gamma=1.5, from_logits=True),
             lambda t, z: _torch_cfce(t, z, gamma=1.5), [(4, 5), (4, 5)], rtol=1e-4)


@pytest.mark.parametrize("axis", [None, -1, (1, 2)])
def test_dice_and_tversky_gradients(axis):
    from glassnet.losses import dice, tversky
    dims = None if axis is None else axis

    def t_sum(x):
        return x.sum() if dims is None else x.sum(dim=dims)

    def torch_tversky(t, p, a=0.7, b=0.2):
        tp = t_sum(t * p)
        return 1 - tp / (tp + a * t_sum(t * (1 - p)) + b * t_sum((1 - t) * p) + 1e-7)

    shapes = [(3, 4, 2), (3, 4, 2)]
    check_op(lambda t, p: dice(t, p, axis=axis),
             lambda t, p: 1 - 2 * t_sum(t * p) / (t_sum(t) + t_sum(p) + 1e-7), shapes,
             low=0.0, high=1.0, rtol=1e-4)
    check_op(lambda t, p: tversky(t, p, 0.7, 0.2, axis=axis), torch_tversky, shapes,
             low=0.0, high=1.0, rtol=1e-4)


# ---- CTC against torch.nn.functional.ctc_loss ----

CTC_SETUPS = {
    # labels (padded), label lengths, logit lengths, time steps, classes, blank
    "repeats": ([[1, 1, 2, 0], [2, 3, 3, 3], [3, 2, 1, 2]], [3, 4, 4], [7, 9, 8], 9, 4, 0),
    "ragged": ([[2, 0, 0], [1, 2, 1], [3, 3, 0], [1, 0, 0]], [1, 3, 2, 0], [4, 6, 3, 2], 6,
               4, 0),
    "blank_last": ([[0, 1, 1], [2, 0, 1]], [3, 2], [8, 5], 8, 4, 3),
}


@pytest.mark.parametrize("setup", CTC_SETUPS, ids=list(CTC_SETUPS))
def test_ctc_value_and_gradient_match_torch(setup):
    from glassnet.losses import ctc_loss
    labels, label_len, logit_len, steps, classes, blank = CTC_SETUPS[setup]
    labels = np.array(labels)

    def ours(z):
        return ctc_loss(labels, z, label_len, logit_len, mask_index=blank)

    def theirs(z):
        return F.ctc_loss(torch.log_softmax(z, -1).transpose(0, 1), torch.tensor(labels),
                          torch.tensor(logit_len), torch.tensor(label_len), blank=blank,
                          reduction="none")

    check_op(ours, theirs, [(len(labels), steps, classes)], rtol=1e-4, atol=1e-5,
             fd_rtol=1e-4, fd_atol=1e-6, seed=len(setup))


def test_ctc_impossible_alignment_is_infinite_with_zero_gradient():
    from glassnet.losses import ctc_loss
    z = gn.tensor(np.zeros((2, 3, 3)), requires_grad=True)
    # "1 1" needs 3 steps (a blank between the repeats): it fits in 3, not in 2
    loss = ctc_loss([[1, 1], [1, 1]], z, [2, 2], [3, 2])
    assert np.isfinite(loss.numpy()[0]) and loss.numpy()[1] == np.inf
    loss[0:1].sum().backward()
    assert np.isfinite(z.grad).all() and not z.grad[1].any()


@pytest.mark.parametrize("call, match", [
    (lambda: keras.losses.CTC()(np.ones((2, 3, 1)), np.zeros((2, 5, 4))),
     r"CTC: targets `y_true` are expected to be a tensor of shape \(batch_size, max_length\)"),
    (lambda: keras.losses.CTC()(np.ones((2, 3)), np.zeros((2, 5))),
     r"CTC: logits `y_pred` are expected to be a tensor of shape"),
    (lambda: keras.losses.ctc_loss(np.ones((2, 3)), np.zeros((2, 5, 4)), [3, 4], [5, 5]),
     r"ctc_loss: `target_length` must be in \[0, 3\]"),
])
def test_ctc_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_ctc_label_errors():
    from glassnet.losses import ctc_loss
    with pytest.raises(ValueError, match=r"labels within target_length must be classes in "
                                         r"\[0, 4\) other than mask_index=0"):
        ctc_loss([[1, 0]], np.zeros((1, 4, 4)), [2], [4])
    with pytest.raises(ValueError, match=r"`output_length` must be in \[0, 4\]"):
        ctc_loss([[1, 2]], np.zeros((1, 4, 4)), [2], [5])
    with pytest.raises(TypeError, match=r"`target` must hold integers"):
        ctc_loss([[1.5, 2]], np.zeros((1, 4, 4)), [2], [4])


@pytest.mark.parametrize("name, cls", [
    ("dice", "Dice"), ("Tversky", "Tversky"), ("ctc", "CTC"),
    ("binary_focal_crossentropy", "BinaryFocalCrossentropy"),
    ("CategoricalFocalCrossentropy", "CategoricalFocalCrossentropy"),
    ("poisson", "Poisson"), ("log_cosh", "LogCosh"), ("cosine_similarity", "CosineSimilarity"),
    ("categorical_generalized_cross_entropy", "CategoricalGeneralizedCrossEntropy"),
])
def test_string_names(name, cls):
    loss = keras.losses.get(name)
    assert type(loss) is getattr(keras.losses, cls)
    again = keras.losses.deserialize(keras.losses.serialize(loss))
    assert type(again) is type(loss) and again.get_config() == loss.get_config()


def test_argument_errors():
    with pytest.raises(TypeError, match=r"Tversky: `alpha` must be a number"):
        keras.losses.Tversky(alpha="a")
    with pytest.raises(ValueError, match=r"BinaryFocalCrossentropy: `gamma` must be >= 0.0"):
        keras.losses.BinaryFocalCrossentropy(gamma=-1)
    with pytest.raises(ValueError, match=r"label_smoothing must be in \[0, 1\]"):
        keras.losses.CategoricalFocalCrossentropy(label_smoothing=2)


def test_focal_loss_trains_in_fit():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 3)).astype("float32")
    y = (x[:, :1] > 0.5).astype("float32")
    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(inputs))
    model.compile("adam", "binary_focal_crossentropy")
    history = model.fit(x, y, epochs=3, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
