"""Metric arguments and shapes are validated with Keras-style errors (review fixes)."""

import numpy as np
import pytest

from glassnet import keras

M = keras.metrics


def test_accuracy_shape_mismatch_names_metric_and_shapes():
    with pytest.raises(ValueError, match=r"Accuracy metric 'accuracy': y_true and y_pred have "
                                         r"incompatible shapes. Received: y_true.shape=\(2,\), "
                                         r"y_pred.shape=\(3,\)"):
        M.Accuracy().update_state([1, 2], [1, 2, 3])


@pytest.mark.parametrize("metric, t, p", [
    (M.BinaryAccuracy(), np.zeros(4), np.zeros(3)),
    (M.CategoricalAccuracy(), np.zeros((4, 3)), np.zeros((4, 2))),
    (M.SparseCategoricalAccuracy(), np.zeros(3), np.zeros((4, 5))),
    (M.SparseTopKCategoricalAccuracy(k=2), np.zeros((4, 5)), np.zeros((4, 5))),
    (M.TopKCategoricalAccuracy(k=2), np.zeros((4, 3)), np.zeros((4, 5))),
    (M.MeanSquaredError(), np.zeros(4), np.zeros(3)),
    (M.MeanAbsoluteError(), np.zeros((4, 2)), np.zeros((4, 3))),
    (M.RootMeanSquaredError(), np.zeros(4), np.zeros(3)),
    (M.Precision(), np.zeros(4), np.zeros(3)),
    (M.Recall(), np.zeros(4), np.zeros(3)),
    (M.AUC(), np.zeros(4), np.zeros(3)),
    (M.R2Score(), np.zeros(4), np.zeros(3)),
])
def test_every_metric_checks_shapes(metric, t, p):
    name = type(metric).__name__
    with pytest.raises(ValueError, match=rf"{name} metric '{metric.name}': y_true and y_pred "
                                         rf"have incompatible shapes"):
        metric.update_state(t, p)


def test_compatible_shapes_still_work():
    acc = M.Accuracy()
    acc.update_state([[1], [2]], [1, 2])  # trailing axis of size 1
    assert acc.result() == 1.0
    sparse = M.SparseCategoricalAccuracy()
    sparse.update_state(np.array([[1], [0]]), np.array([[0.1, 0.9], [0.8, 0.2]]))
    assert sparse.result() == 1.0
    binary = M.BinaryAccuracy()
    binary.update_state(np.array([[1.0], [0.0]]), np.array([0.9, 0.2]))
    assert binary.result() == 1.0


def test_sample_weight_shape_checked():
    with pytest.raises(ValueError, match=r"Accuracy metric 'accuracy': sample_weight of shape "
                                         r"\(3,\) is incompatible with the values of shape "
                                         r"\(2,\)"):
        M.Accuracy().update_state([1, 2], [1, 2], sample_weight=[1, 2, 3])
    with pytest.raises(ValueError, match=r"Mean metric 'mean': sample_weight of shape \(3,\)"):
        M.Mean().update_state([1.0, 2.0], sample_weight=[1, 2, 3])
    with pytest.raises(ValueError, match=r"Precision metric 'precision': sample_weight"):
        M.Precision().update_state(np.zeros((2, 3)), np.zeros((2, 3)), np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"R2Score metric 'r2_score': sample_weight"):
        M.R2Score().update_state(np.zeros((2, 3)), np.zeros((2, 3)), np.ones((2, 3)))
    m = M.Mean()
    m.update_state([1.0, 3.0], sample_weight=np.array([[1.0], [3.0]]))
    assert m.result() == 2.5


def test_function_metric_only_checks_batch_size():
    metric = M.get(lambda t, p: np.zeros(len(t)))
    metric.update_state(np.zeros((3, 2)), np.zeros((3, 5)))
    with pytest.raises(ValueError, match=r"FunctionMetric metric '<lambda>'.*y_true.shape="
                                         r"\(3, 2\), y_pred.shape=\(4, 5\).*batch size"):
        metric.update_state(np.zeros((3, 2)), np.zeros((4, 5)))


@pytest.mark.parametrize("make, error, match", [
    (lambda: M.TopKCategoricalAccuracy(k=0), ValueError,
     r"TopKCategoricalAccuracy: `k` must be a positive integer. Received: k=0"),
    (lambda: M.SparseTopKCategoricalAccuracy(k=-2), ValueError,
     r"SparseTopKCategoricalAccuracy: `k` must be a positive integer. Received: k=-2"),
    (lambda: M.TopKCategoricalAccuracy(k=2.5), TypeError, r"`k` must be a positive integer"),
    (lambda: M.TopKCategoricalAccuracy(k=True), TypeError, r"`k` must be a positive integer"),
    (lambda: M.BinaryAccuracy(threshold="0.5"), TypeError,
     r"BinaryAccuracy: `threshold` must be a number"),
    (lambda: M.Precision(thresholds=1.5), ValueError,
     r"Precision: `thresholds` must be in \[0.0, 1.0\]. Received: thresholds=1.5"),
    (lambda: M.Recall(thresholds=-0.1), ValueError, r"Recall: `thresholds` must be in"),
    (lambda: M.Precision(thresholds=[0.3, 1.5]), ValueError,
     r"Precision: `thresholds` must be in \[0.0, 1.0\]. Received: thresholds=1.5"),
    (lambda: M.TruePositives(thresholds=[]), ValueError, r"TruePositives: `thresholds` must "),
    (lambda: M.Precision(top_k=0), ValueError, r"Precision: `top_k` must be None or a posit"),
    (lambda: M.Precision(thresholds="a"), TypeError, r"Precision: `thresholds` must be a number"),
    (lambda: M.Recall(class_id=-1), ValueError, r"Recall: `class_id` must be None or a "
                                                r"non-negative integer. Received: class_id=-1"),
    (lambda: M.Recall(class_id="a"), TypeError, r"Recall: `class_id` must be None"),
    (lambda: M.F1Score(threshold=0.0), ValueError, r"F1Score: invalid `threshold` argument "
                                                   r"value. It should verify 0 < threshold"),
    (lambda: M.F1Score(threshold=2), ValueError, r"F1Score: .* It should be a Python float"),
    (lambda: M.F1Score(average="mean"), ValueError, r"F1Score: invalid `average` argument"),
    (lambda: M.FBetaScore(beta=0.0), ValueError, r"FBetaScore: .* It should be > 0"),
    (lambda: M.FBetaScore(beta=2), ValueError, r"FBetaScore: .* It should be a Python float"),
    (lambda: M.MeanIoU(num_classes=0), ValueError, r"MeanIoU: `num_classes` must be a positi"),
    (lambda: M.IoU(3, [0, 3]), ValueError, r"IoU: target class id 3 is out of range"),
    (lambda: M.IoU(3, []), ValueError, r"IoU: `target_class_ids` must not be empty"),
    (lambda: M.PrecisionAtRecall(1.5), ValueError, r"PrecisionAtRecall: `recall` must be in"),
    (lambda: M.SensitivityAtSpecificity(0.5, num_thresholds=0), ValueError,
     r"SensitivityAtSpecificity: `num_thresholds` must be > 0"),
    (lambda: M.AUC(multi_label="no"), TypeError, r"AUC: `multi_label` must be a boolean"),
    (lambda: M.AUC(num_labels=3), ValueError, r"`num_labels` is needed only when"),
    (lambda: M.Mean(dtype="floaty"), TypeError, r"Mean: `dtype` must name a NumPy dtype"),
    (lambda: M.AUC(num_thresholds=1), ValueError,
     r"AUC: `num_thresholds` must be > 1. Received: num_thresholds=1"),
    (lambda: M.AUC(num_thresholds="200"), TypeError, r"AUC: `num_thresholds` must be an integer"),
    (lambda: M.AUC(num_thresholds=10.0), TypeError, r"AUC: `num_thresholds` must be an integer"),
    (lambda: M.AUC(curve=3), ValueError, r"AUC: invalid `curve` argument value 3. Expected one"),
    (lambda: M.AUC(summation_method="mid"), ValueError, r"`summation_method` argument value 'mid"),
    (lambda: M.AUC(from_logits="yes"), TypeError, r"AUC: `from_logits` must be a boolean"),
    (lambda: M.R2Score(num_regressors=-1), ValueError,
     r"R2Score: `num_regressors` must be a non-negative integer. Received: num_regressors=-1"),
    (lambda: M.R2Score(num_regressors=1.5), TypeError, r"R2Score: `num_regressors` must be"),
    (lambda: M.R2Score(class_aggregation="sum"), ValueError,
     r"R2Score: invalid value for argument `class_aggregation`. Expected one of"),
    (lambda: M.Accuracy(name=3), TypeError, r"Accuracy: `name` must be a string. Received: name=3"),
])
def test_constructor_arguments_validated(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_valid_constructor_arguments_accepted():
    assert M.TopKCategoricalAccuracy(k=np.int64(3)).kwargs["k"] == 3
    assert M.Precision(thresholds=1).thresholds == [1.0]
    assert M.F1Score(threshold=1.0).threshold == 1.0
    assert M.AUC(num_thresholds=np.int32(10)).num_thresholds == 10


def test_class_id_out_of_range():
    with pytest.raises(ValueError, match=r"Precision metric 'precision': class_id=5 needs y_pred "
                                         r"of shape \(num_samples, num_classes > 5\)"):
        M.Precision(class_id=5).update_state(np.zeros((2, 3)), np.zeros((2, 3)))


def test_sparse_top_k_label_out_of_range():
    with pytest.raises(ValueError, match=r"labels must be class indices in \[0, 4\)"):
        M.SparseTopKCategoricalAccuracy(k=2).update_state([7, 1], np.zeros((2, 4)))
