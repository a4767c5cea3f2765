"""The shap bridge on a real trained model (breast cancer): shap's KernelExplainer on
glassnet's predict adds up to the prediction and ranks the features as glassnet's own methods
do; GradientExplainer equals shap's GradientExplainer on the same network in PyTorch."""

import subprocess
import sys

import numpy as np
import pytest

shap = pytest.importorskip("shap")
torch = pytest.importorskip("torch")

from glassnet import keras  # noqa: E402
from glassnet.explain import FeaturePermutation, shap_bridge  # noqa: E402


@pytest.fixture(scope="module")
def cancer():
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    x = data.data.astype("float32")
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    y = data.target.astype("int64")
    order = np.random.default_rng(0).permutation(len(x))
    x, y = x[order], y[order]
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((30,)), keras.layers.Dense(16, activation="tanh"),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x[:450], y[:450], epochs=20, batch_size=32, verbose=0)
    accuracy = model.evaluate(x[450:], y[450:], verbose=0, return_dict=True)["accuracy"]
    assert accuracy > 0.93
    return model, x[:450], x[450:], y[450:]


def test_kernel_explainer_adds_up_to_the_prediction(cancer):
    model, train, test, _ = cancer
    explainer = shap_bridge.KernelExplainer(model, train[:40])
    assert isinstance(explainer, shap.KernelExplainer)
    values = explainer.shap_values(test[:3], nsamples=300, silent=True)
    assert values.shape == (3, 30, 2)
    prediction = model.predict(test[:3], verbose=0)
    np.testing.assert_allclose(values.sum(axis=1) + explainer.expected_value, prediction,
                               atol=1e-5)


def test_kernel_shap_and_permutation_importance_agree_on_the_top_features(cancer):
    model, train, test, y = cancer
    explainer = shap_bridge.KernelExplainer(model, shap.kmeans(train, 10))
    values = explainer.shap_values(test[:20], nsamples=400, silent=True)
    shap_top = set(np.argsort(-np.abs(values[..., 1]).mean(axis=0))[:8])
    permutation = FeaturePermutation(model).attribute(test, target=y)
    permutation_top = set(np.argsort(-permutation.mean(axis=0))[:8])
    assert len(shap_top & permutation_top) >= 3   # 8 of 30 at random share ~2


def _torch_copy(model):
    (w1, b1), (w2, b2) = (layer.get_weights() for layer in model.layers)
    net = torch.nn.Sequential(torch.nn.Linear(30, 16), torch.nn.Tanh(), torch.nn.Linear(16, 2),
                              torch.nn.Softmax(dim=1))
    with torch.no_grad():
        for lin, w, b in ((net[0], w1, b1), (net[2], w2, b2)):
            lin.weight.copy_(torch.tensor(w.T))
            lin.bias.copy_(torch.tensor(b))
    return net


def test_gradient_explainer_equals_shaps_on_the_same_torch_network(cancer):
    model, train, test, _ = cancer
    background, x = train[:50], test[:4]
    ours = shap_bridge.GradientExplainer(model, background).shap_values(x, nsamples=64,
                                                                        rseed=3)
    theirs = shap.GradientExplainer(_torch_copy(model), torch.tensor(background)).shap_values(
        torch.tensor(x), nsamples=64, rseed=3)
    assert ours.shape == np.shape(theirs) == (4, 30, 2)
    np.testing.assert_allclose(ours, theirs, rtol=1e-3, atol=1e-6)
    values, ranks = shap_bridge.GradientExplainer(model, background).shap_values(
        x, nsamples=64, rseed=3, ranked_outputs=1)
    their_values, their_ranks = shap.GradientExplainer(
        _torch_copy(model), torch.tensor(background)).shap_values(
        torch.tensor(x), nsamples=64, rseed=3, ranked_outputs=1)
    np.testing.assert_array_equal(ranks, np.asarray(their_ranks))
    np.testing.assert_allclose(values, their_values, rtol=1e-3, atol=1e-6)


def test_gradient_explainer_gives_a_shap_explanation(cancer):
    model, train, test, _ = cancer
    explanation = shap_bridge.GradientExplainer(model, train[:50])(test[:5], nsamples=2000,
                                                                    rseed=0)
    assert isinstance(explanation, shap.Explanation)
    assert explanation.values.shape == (5, 30, 2)
    # expected gradients add up to f(x) - E f(background) in expectation over the draws
    gap = model.predict(test[:5], verbose=0) - explanation.base_values
    assert np.abs(explanation.values.sum(axis=1) - gap).mean() < 0.15 * np.abs(gap).mean()


def test_shap_explainer_with_a_masker_and_wrong_shapes(cancer):
    model, train, test, _ = cancer
    explainer = shap_bridge.Explainer(model, shap.maskers.Independent(train[:30]))
    explanation = explainer(test[:2], max_evals=200)
    assert explanation.values.shape == (2, 30, 2)
    with pytest.raises(ValueError, match=r"expects samples of shape \(30,\); received data "
                                         r"of shape \(2, 29\)"):
        shap_bridge.predict_function(model)(test[:2, :29])
    with pytest.raises(ValueError, match="shaped like the background data"):
        shap_bridge.GradientExplainer(model, train[:10]).shap_values(test[:2, :29])


def test_a_missing_shap_is_one_line_naming_its_install(monkeypatch, cancer):
    monkeypatch.setitem(sys.modules, "shap", None)
    with pytest.raises(ImportError, match="needs shap: pip install shap"):
        shap_bridge.KernelExplainer(cancer[0], cancer[1][:5])


def test_a_users_kernel_shap_program_runs_in_a_fresh_interpreter():
    program = (
        "import numpy as np, shap\n"
        "from glassnet import keras\n"
        "from glassnet.explain import shap_bridge\n"
        "model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, "
        "activation='softmax')])\n"
        "X = np.random.default_rng(0).normal(size=(20, 4)).astype('float32')\n"
        "explainer = shap_bridge.KernelExplainer(model, X[:10])\n"
        "values = explainer.shap_values(X[:2], nsamples=50, silent=True)\n"
        "print(values.shape)\n")
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "(2, 4, 3)"
