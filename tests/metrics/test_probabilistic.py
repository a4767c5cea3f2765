import numpy as np
import pytest
import torch
import torch.nn.functional as F

from glassnet import keras

rng = np.random.default_rng(0)
LOGITS = rng.normal(size=(6, 4))
LABELS = rng.integers(0, 4, size=6)
ONE_HOT = np.eye(4)[LABELS]


def _probs(z):
    return torch.softmax(torch.tensor(z), -1).numpy()


@pytest.mark.parametrize("from_logits", [False, True])
def test_categorical_and_sparse_crossentropy_match_torch(from_logits):
    y_pred = LOGITS if from_logits else _probs(LOGITS)
    expected = F.cross_entropy(torch.tensor(LOGITS), torch.tensor(LABELS)).item()
    cat = keras.metrics.CategoricalCrossentropy(from_logits=from_logits)
    sparse = keras.metrics.SparseCategoricalCrossentropy(from_logits=from_logits)
    assert cat(ONE_HOT, y_pred) == pytest.approx(expected, rel=1e-6)
    assert sparse(LABELS, y_pred) == pytest.approx(expected, rel=1e-6)
    assert sparse(LABELS[:, None], y_pred) == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("from_logits", [False, True])
def test_binary_crossentropy_matches_torch_and_accumulates(from_logits):
    z = rng.normal(size=(8, 3))
    t = (rng.random((8, 3)) > 0.5).astype(float)
    expected = F.binary_cross_entropy_with_logits(torch.tensor(z), torch.tensor(t)).item()
    m = keras.metrics.BinaryCrossentropy(from_logits=from_logits)
    y_pred = z if from_logits else torch.sigmoid(torch.tensor(z)).numpy()
    m.update_state(t[:4], y_pred[:4])
    m.update_state(t[4:], y_pred[4:])
    assert m.result() == pytest.approx(expected, rel=1e-6)
    m.reset_state()
    assert m.result() == 0.0


def test_kl_divergence_matches_torch():
    p, q = _probs(LOGITS), _probs(LOGITS[::-1].copy())
    expected = F.kl_div(torch.tensor(np.log(q)), torch.tensor(p), reduction="batchmean").item()
    assert keras.metrics.KLDivergence()(p, q) == pytest.approx(expected, rel=1e-6)


def test_by_name_in_compile_and_bad_labels():
    model = keras.Sequential([keras.layers.Dense(3, activation="sigmoid")])
    model.compile(optimizer="sgd", loss="binary_crossentropy",
                  metrics=["binary_crossentropy"])
    x = rng.random((16, 2)).astype("float32")
    y = (rng.random((16, 3)) > 0.5).astype("float32")
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert logs["binary_crossentropy"] == pytest.approx(logs["loss"], rel=1e-4)
    with pytest.raises(ValueError, match=r"labels must be in \[0, 4\)"):
        keras.metrics.SparseCategoricalCrossentropy()(np.array([0, 5]), _probs(LOGITS[:2]))


def test_results_answer_numpy_as_in_tensorflows_guides():
    m = keras.metrics.Mean()
    m.update_state([1.0, 2.0])
    value = m.result()
    assert value == 1.5 and isinstance(value, float)
    assert value.numpy() == np.float32(1.5) and value.numpy().dtype == np.float32
    acc = keras.metrics.SparseCategoricalAccuracy()
    acc.update_state([1, 0], [[0.2, 0.8], [0.3, 0.7]])
    assert acc.result().numpy() == np.float32(0.5)


def test_percentage_and_log_errors_match_torch_formulas():
    t = rng.uniform(0.5, 2.0, size=(5, 3))
    p = rng.uniform(0.0, 2.0, size=(5, 3))
    tt, tp = torch.tensor(t), torch.tensor(p)
    mape = (100 * ((tt - tp) / tt).abs()).mean().item()
    msle = ((torch.log1p(tp) - torch.log1p(tt)) ** 2).mean().item()
    assert keras.metrics.MeanAbsolutePercentageError()(t, p) == pytest.approx(mape, rel=1e-6)
    assert keras.metrics.MeanSquaredLogarithmicError()(t, p) == pytest.approx(msle, rel=1e-6)
    assert type(keras.metrics.get("mape")).__name__ == "MeanAbsolutePercentageError"
