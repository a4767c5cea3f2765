"""scikit-learn's own conformance suite (check_estimator) on small, fast models."""

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from glassnet import keras
from glassnet.wrappers import KerasClassifier, KerasRegressor

# Checks expected to fail, each with the reason; every other check must pass.
EXPECTED_FAILED = {
    "check_estimators_pickle": "a fitted estimator holds a glassnet model, which never goes "
                               "through pickle (save model_ as .keras instead)",
    "check_sample_weight_equivalence_on_dense_data": "minibatch gradient descent from a random "
                                                     "start is not exactly equivalent to "
                                                     "repeating samples",
}


def build_classifier(hidden=16, meta=None):
    return keras.Sequential([keras.Input((meta["n_features_in_"],)),
                             keras.layers.Dense(hidden, activation="relu"),
                             keras.layers.Dense(meta["n_classes_"], activation="softmax")])


def build_regressor(hidden=16, meta=None):
    return keras.Sequential([keras.Input((meta["n_features_in_"],)),
                             keras.layers.Dense(hidden, activation="relu"),
                             keras.layers.Dense(meta["n_outputs_expected_"])])


def small(cls, build):
    # An optimizer instance (not optimizer__learning_rate): check_no_attributes_set_in_init
    # allows only signature parameters as attributes.
    return cls(build, epochs=10, verbose=0, random_state=0,
               optimizer=keras.optimizers.Adam(learning_rate=0.05))


@parametrize_with_checks([small(KerasClassifier, build_classifier),
                          small(KerasRegressor, build_regressor)],
                         expected_failed_checks=lambda est: EXPECTED_FAILED)
def test_scikit_learn_check_estimator(estimator, check):
    check(estimator)


def test_a_routed_parameter_is_the_one_listed_deviation():
    """SciKeras stores ``optimizer__learning_rate=...`` as an attribute too, which
    check_no_attributes_set_in_init reports; the check fails for that reason only."""
    from sklearn.utils.estimator_checks import check_no_attributes_set_in_init

    est = KerasClassifier(build_classifier, optimizer__learning_rate=0.05)
    with pytest.raises(AssertionError, match="optimizer__learning_rate"):
        check_no_attributes_set_in_init("KerasClassifier", est)
