"""The Keras 3 metrics beyond accuracy: confusion counts at thresholds, F-scores, IoU, AUC
curves, the "X at Y" metrics, correlations, Sum; their string names in compile, their use in
fit and evaluate, and their errors. (Values against Keras: test_keras_reference.py.)"""

import copy

import numpy as np
import pytest

from glassnet import keras

M = keras.metrics


def test_counts_at_several_thresholds_give_one_value_each():
    y, p = np.array([0, 1, 1, 1, 0]), np.array([0.2, 0.5, 0.8, 0.9, 0.6])
    tp = M.TruePositives(thresholds=[0.3, 0.7, 0.5])
    np.testing.assert_array_equal(tp(y, p), [3, 2, 2])  # strictly above: 0.5 is not > 0.5
    fp = M.FalsePositives(thresholds=[0.3, 0.7])
    fp.update_state(y, p, sample_weight=[1, 1, 1, 1, 2.5])
    np.testing.assert_array_equal(fp.result(), [2.5, 0])
    assert M.TrueNegatives()(y, p) == 1.0 and M.FalseNegatives()(y, p) == 1.0
    assert [v.shape for v in tp.variables] == [(3,)]


def test_precision_recall_top_k_and_class_id():
    y = np.array([[0, 1, 0, 1], [1, 0, 0, 0]])
    p = np.array([[0.1, 0.7, 0.6, 0.2], [0.9, 0.3, 0.8, 0.0]])
    # top 2 per row: {1, 2} and {0, 2}: 2 right of 4 predicted, 2 of 3 positives found
    assert M.Precision(top_k=2)(y, p) == pytest.approx(0.5)
    assert M.Recall(top_k=2)(y, p) == pytest.approx(2 / 3)
    assert M.Recall(class_id=3)(y, p) == 0.0 and M.Precision(class_id=0)(y, p) == 1.0
    np.testing.assert_allclose(M.Precision(thresholds=[0.15, 0.65])(y, p), [3 / 6, 2 / 3])


def test_auc_curves_and_summations():
    y = np.array([0, 0, 1, 1, 1, 0, 1, 0])
    p = np.array([0.1, 0.4, 0.35, 0.8, 0.7, 0.65, 0.9, 0.2])
    roc = M.AUC(num_thresholds=1000)(y, p)
    ranks = sum((a > b) + 0.5 * (a == b) for a in p[y == 1] for b in p[y == 0]) / 16
    assert roc == pytest.approx(ranks, abs=1e-3)
    low = M.AUC(curve="PR", summation_method="minoring")(y, p)
    high = M.AUC(curve="PR", summation_method="majoring")(y, p)
    assert low <= M.AUC(curve="PR")(y, p) <= high
    m = M.AUC(multi_label=True)
    m.update_state(np.stack([y, 1 - y], 1), np.stack([p, 1 - p], 1))
    assert m.true_positives.shape == (200, 2) and m.result() == pytest.approx(M.AUC()(y, p))
    with pytest.raises(ValueError, match=r"AUC metric 'auc': expected y_pred of shape "
                                         r"\(batch, 2\)"):
        m.update_state(np.zeros((2, 3)), np.zeros((2, 3)))


def test_at_metrics():
    y = np.array([0, 0, 1, 1, 1, 0])
    p = np.array([0.1, 0.6, 0.3, 0.8, 0.9, 0.2])
    assert M.PrecisionAtRecall(0.6)(y, p) == pytest.approx(1.0)
    assert M.RecallAtPrecision(1.0)(y, p) == pytest.approx(2 / 3)
    assert M.SensitivityAtSpecificity(1.0)(y, p) == pytest.approx(2 / 3)
    assert M.SpecificityAtSensitivity(1.0)(y, p) == pytest.approx(2 / 3)


def test_fbeta_averages():
    y = np.eye(3)[[0, 1, 2, 2, 1]]
    p = np.eye(3)[[0, 2, 2, 1, 1]] * 0.8 + 0.05
    per_class = M.FBetaScore(beta=2.0)(y, p)
    assert per_class.shape == (3,)
    assert M.FBetaScore(beta=2.0, average="macro")(y, p) == pytest.approx(per_class.mean())
    assert M.F1Score(average="micro")(y, p) == pytest.approx(0.6, abs=1e-6)
    with pytest.raises(ValueError, match=r"F1Score metric 'f1_score' expects 2D inputs"):
        M.F1Score()(np.zeros(3), np.zeros(3))


def test_iou_family():
    y, p = np.array([0, 0, 1, 1, 2]), np.array([0, 1, 1, 1, 0])
    # IoU: class 0 1/3, class 1 2/3, class 2 0 (it occurs, so it counts)
    assert M.MeanIoU(num_classes=3)(y, p) == pytest.approx(1 / 3, abs=1e-6)
    assert M.IoU(3, [1])(y, p) == pytest.approx(2 / 3, abs=1e-6)
    # without the class-2 sample: class 0 1/2, class 1 2/3, class 2 absent (left out)
    assert M.MeanIoU(3, ignore_class=2)(y, p) == pytest.approx(7 / 12, abs=1e-6)
    onehot = M.OneHotMeanIoU(3)(np.eye(3)[y], np.eye(3)[p] * 0.7)
    assert onehot == pytest.approx(1 / 3, abs=1e-6)
    assert M.BinaryIoU(threshold=0.5)([0, 1, 1], [0.2, 0.6, 0.4]) == pytest.approx(0.5, 1e-6)
    with pytest.raises(ValueError, match=r"MeanIoU metric 'mean_io_u': y_true and y_pred hold "
                                         r"different numbers of class ids \(5 and 4\)"):
        M.MeanIoU(3)(y, p[:4])
    with pytest.raises(ValueError, match=r"MeanIoU: `num_classes` must be at most"):
        M.MeanIoU.from_config({"num_classes": 10 ** 6})


def test_sum_correlations_and_new_mean_wrappers():
    s = M.Sum()
    s.update_state([1, 3, 5, 7])
    s.update_state([1.0], sample_weight=[2.0])
    assert s.result() == 18.0
    assert M.PearsonCorrelation()([[1.0, 2.0, 3.0]], [[2.0, 4.0, 6.0]]) == pytest.approx(1.0)
    assert M.ConcordanceCorrelation()([[1.0, 2.0, 3.0]], [[1.0, 2.0, 3.0]]) == \
        pytest.approx(1.0, abs=1e-6)
    wrapped = M.MeanMetricWrapper(lambda t, p, scale: scale * np.abs(t - p), name="l1",
                                  scale=2.0)
    assert wrapped([1.0, 2.0], [2.0, 2.0]) == 1.0 and wrapped.get_config()["scale"] == 2.0
    assert M.MeanSquaredError("mse_named").name == "mse_named"


@pytest.mark.parametrize("name, cls", [
    ("true_positives", "TruePositives"), ("FalseNegatives", "FalseNegatives"),
    ("auc", "AUC"), ("f1_score", "F1Score"), ("fbeta_score", "FBetaScore"),
    ("log_cosh_error", "LogCoshError"), ("logcosh", "LogCoshError"),
    ("cosine_similarity", "CosineSimilarity"), ("poisson", "Poisson"), ("hinge", "Hinge"),
    ("squared_hinge", "SquaredHinge"), ("categorical_hinge", "CategoricalHinge"),
    ("kl_divergence", "KLDivergence"), ("r2_score", "R2Score"), ("sum", "Sum"),
    ("mape", "MeanAbsolutePercentageError"), ("msle", "MeanSquaredLogarithmicError"),
    ("bce", "BinaryCrossentropy"), ("pearson_correlation", "PearsonCorrelation"),
])
def test_string_names(name, cls):
    m = M.get(name)
    assert type(m) is getattr(M, cls) and m.name == name
    again = M.deserialize(M.serialize(m))
    assert type(again) is type(m) and again.get_config() == m.get_config()


def test_compile_with_names_and_instances_and_fit_logs():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((64, 4)).astype("float32")
    y = (x[:, :1] + 0.3 * rng.standard_normal((64, 1)) > 0).astype("float32")
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(inputs))
    model.compile("adam", "binary_crossentropy",
                  metrics=["true_positives", M.AUC(curve="PR", name="pr_auc"),
                           M.FalsePositives(thresholds=[0.3, 0.7]), "crossentropy",
                           M.PrecisionAtRecall(0.5), M.BinaryIoU()])
    history = model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    logs = history.history
    assert {"true_positives", "pr_auc", "false_positives", "crossentropy",
            "precision_at_recall", "binary_io_u"} <= set(logs)
    assert np.shape(logs["false_positives"][-1]) == (2,)
    result = model.evaluate(x, y, verbose=0, return_dict=True)
    predicted = model.predict(x, verbose=0)
    assert result["true_positives"] == float(((predicted > 0.5) & (y > 0)).sum())
    expected = M.AUC(curve="PR")(y, predicted)
    assert result["pr_auc"] == pytest.approx(expected, rel=1e-5)
    assert result["crossentropy"] == pytest.approx(result["loss"], rel=1e-4)


def test_state_is_per_copy_and_reset():
    m = M.AUC(multi_label=True)
    m.update_state(np.eye(2)[[0, 1, 1]], np.array([[0.8, 0.2], [0.3, 0.7], [0.6, 0.4]]))
    twin = copy.deepcopy(m)
    twin.reset_state()
    assert twin.result() == 0.0 and m.result() > 0
    assert all(not v.numpy().any() for v in twin.variables)


@pytest.mark.parametrize("make", [
    M.TruePositives, M.FalseNegatives, M.Precision, M.AUC, lambda: M.PrecisionAtRecall(0.5),
    lambda: M.SpecificityAtSensitivity(0.5), M.CosineSimilarity, M.LogCoshError, M.Poisson,
    M.Hinge, M.PearsonCorrelation,
])
def test_bad_shapes_and_weights_name_the_metric(make):
    m = make()
    with pytest.raises(ValueError, match=rf"{type(m).__name__} metric '{m.name}': y_true and "
                                         rf"y_pred have incompatible shapes"):
        m.update_state(np.zeros((4, 3)), np.zeros((4, 2)))
    with pytest.raises(ValueError, match=rf"{type(m).__name__} metric '{m.name}': "
                                         rf"sample_weight of shape \(3,\)"):
        m.update_state(np.zeros((4, 2)), np.zeros((4, 2)), sample_weight=np.ones(3))
