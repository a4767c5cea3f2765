"""Metrics against scikit-learn's implementations, accumulated over several batches."""

import numpy as np
import pytest
from sklearn import metrics as skm

from glassnet import metrics

RNG = np.random.default_rng(5)
N, C = 300, 4


def _batches(*arrays, n=3):
    return zip(*(np.array_split(a, n) for a in arrays))


def _accumulate(metric, *arrays, weights=None):
    metric.reset_state()
    if weights is None:
        for batch in _batches(*arrays):
            metric.update_state(*batch)
    else:
        for *batch, w in _batches(*arrays, weights):
            metric.update_state(*batch, sample_weight=w)
    return metric.result()


def _classification_data():
    labels = RNG.integers(0, C, N)
    scores = RNG.random((N, C)) + np.eye(C)[labels] * 0.6  # informative, not perfect
    return labels, scores


@pytest.mark.parametrize("weighted", [False, True])
def test_accuracies(weighted):
    labels, scores = _classification_data()
    w = RNG.uniform(0.1, 2, N) if weighted else None
    expected = skm.accuracy_score(labels, scores.argmax(1), sample_weight=w)
    onehot = np.eye(C)[labels]
    assert _accumulate(metrics.SparseCategoricalAccuracy(), labels, scores, weights=w) == \
        pytest.approx(expected)
    assert _accumulate(metrics.CategoricalAccuracy(), onehot, scores, weights=w) == \
        pytest.approx(expected)
    binary = (RNG.random(N) > 0.5).astype(float)
    probs = np.clip(binary * 0.4 + RNG.random(N) * 0.6, 0, 1)
    assert _accumulate(metrics.BinaryAccuracy(), binary, probs, weights=w) == pytest.approx(
        skm.accuracy_score(binary, probs > 0.5, sample_weight=w))
    assert _accumulate(metrics.Accuracy(), labels, scores.argmax(1), weights=w) == \
        pytest.approx(expected)


@pytest.mark.parametrize("k", [1, 2, 3])
def test_top_k(k):
    labels, scores = _classification_data()
    expected = skm.top_k_accuracy_score(labels, scores, k=k, labels=range(C))
    assert _accumulate(metrics.TopKCategoricalAccuracy(k=k), np.eye(C)[labels], scores) == \
        pytest.approx(expected)
    assert _accumulate(metrics.SparseTopKCategoricalAccuracy(k=k), labels, scores) == \
        pytest.approx(expected)


@pytest.mark.parametrize("weighted", [False, True])
def test_precision_recall_binary_f1(weighted):
    y = (RNG.random(N) > 0.4).astype(float)
    p = np.clip(y * 0.3 + RNG.random(N) * 0.7, 0, 1)
    w = RNG.uniform(0.1, 2, N) if weighted else None
    pred = p > 0.5
    assert _accumulate(metrics.Precision(), y, p, weights=w) == pytest.approx(
        skm.precision_score(y, pred, sample_weight=w))
    assert _accumulate(metrics.Recall(), y, p, weights=w) == pytest.approx(
        skm.recall_score(y, pred, sample_weight=w))
    f1 = _accumulate(metrics.F1Score(threshold=0.5), y[:, None], p[:, None], weights=w)
    assert float(np.asarray(f1)[0]) == pytest.approx(skm.f1_score(y, pred, sample_weight=w))


@pytest.mark.parametrize("average", ["macro", "micro", "weighted", None])
def test_multiclass_f1(average):
    labels, scores = _classification_data()
    ours = _accumulate(metrics.F1Score(average=average), np.eye(C)[labels], scores)
    theirs = skm.f1_score(labels, scores.argmax(1), average=average)
    np.testing.assert_allclose(ours, theirs, rtol=1e-5)  # Keras adds eps = 1e-7


@pytest.mark.parametrize("weighted", [False, True])
def test_auc_roc_close_to_sklearn(weighted):
    y = (RNG.random(2000) > 0.5).astype(float)
    p = 1 / (1 + np.exp(-(y * 1.5 + RNG.standard_normal(2000))))
    w = RNG.uniform(0.1, 2, 2000) if weighted else None
    ours = _accumulate(metrics.AUC(), y, p, weights=w)
    # 200 threshold buckets approximate the exact rank statistic closely.
    assert ours == pytest.approx(skm.roc_auc_score(y, p, sample_weight=w), abs=2e-3)
    logits = np.log(p / (1 - p))
    assert _accumulate(metrics.AUC(from_logits=True), y, logits, weights=w) == \
        pytest.approx(ours, abs=1e-9)


@pytest.mark.parametrize("weighted", [False, True])
def test_regression_metrics(weighted):
    y = RNG.standard_normal((N, 2))
    p = y + RNG.standard_normal((N, 2)) * 0.5
    w = RNG.uniform(0.1, 2, N) if weighted else None
    mse = skm.mean_squared_error(y, p, sample_weight=w)
    assert _accumulate(metrics.MeanSquaredError(), y, p, weights=w) == pytest.approx(mse)
    assert _accumulate(metrics.RootMeanSquaredError(), y, p, weights=w) == \
        pytest.approx(np.sqrt(mse))
    assert _accumulate(metrics.MeanAbsoluteError(), y, p, weights=w) == pytest.approx(
        skm.mean_absolute_error(y, p, sample_weight=w))
    assert _accumulate(metrics.R2Score(), y, p, weights=w) == pytest.approx(
        skm.r2_score(y, p, sample_weight=w))
    np.testing.assert_allclose(_accumulate(metrics.R2Score(class_aggregation=None), y, p),
                               skm.r2_score(y, p, multioutput="raw_values"))


def test_confusion_matrix_matches_sklearn():
    labels, scores = _classification_data()
    pred = scores.argmax(1)
    np.testing.assert_array_equal(metrics.confusion_matrix(labels, pred),
                                  skm.confusion_matrix(labels, pred))
    w = RNG.uniform(0, 1, N)
    np.testing.assert_allclose(metrics.confusion_matrix(labels, pred, num_classes=6, weights=w),
                               skm.confusion_matrix(labels, pred, labels=range(6),
                                                    sample_weight=w))
    with pytest.raises(ValueError, match="same length"):
        metrics.confusion_matrix([0, 1], [0])


def test_stateful_protocol():
    m = metrics.get("sparse_categorical_accuracy")
    assert m([0, 1], np.array([[0.9, 0.1], [0.8, 0.2]])) == 0.5
    assert m([1], np.array([[0.1, 0.9]])) == pytest.approx(2 / 3)
    m.reset_state()
    assert m.result() == 0.0
    mean = metrics.Mean()
    mean.update_state([1.0, 3.0])
    mean.update_state([5.0], sample_weight=[2.0])
    assert mean.result() == pytest.approx((1 + 3 + 10) / 4)


def test_accuracy_is_resolved_from_shapes_and_loss_like_keras():
    assert isinstance(metrics.get("accuracy", (32,), (32, 10)), metrics.SparseCategoricalAccuracy)
    assert isinstance(metrics.get("acc", (32, 1), (32, 10)), metrics.SparseCategoricalAccuracy)
    assert isinstance(metrics.get("accuracy", (32, 10), (32, 10)), metrics.CategoricalAccuracy)
    assert isinstance(metrics.get("accuracy", (32, 1), (32, 1)), metrics.BinaryAccuracy)
    assert isinstance(metrics.get("accuracy", (32, 5), (32, 5), loss="binary_crossentropy"),
                      metrics.BinaryAccuracy)
    assert metrics.get("accuracy", (32,), (32, 10)).name == "accuracy"


def test_unknown_metric_lists_the_known_ones():
    with pytest.raises(ValueError, match=r"Unknown metric: 'acuracy'. Did you mean 'accuracy'\? "
                                         r"Known metrics: acc, accuracy, auc,"):
        metrics.get("acuracy")
    with pytest.raises(ValueError, match="invalid `average` argument value"):
        metrics.F1Score(average="samples")
