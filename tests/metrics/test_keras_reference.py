"""Every metric against Keras 3's own results and get_config on the same inputs (two
batches, with and without sample weights); the values were written by
fixtures/make_keras_reference.py."""

import json
import pathlib
import re

import numpy as np
import pytest

from glassnet import keras

CASES = json.loads((pathlib.Path(__file__).parent / "fixtures" /
                    "keras_reference.json").read_text())


EXTRA = {"CosineSimilarity": {"axis"}}


def _id(case):
    return case["name"] + "-" + "-".join(f"{k}={v}" for k, v in case["kwargs"].items())


def _run(case, weighted):
    m = getattr(keras.metrics, case["name"])(**case["kwargs"])
    for (y, p), w in zip(case["batches"], case["weights"]):
        w = np.array(w) if weighted else None
        if p is None:  # Mean, Sum
            m.update_state(np.array(y), sample_weight=w)
        else:
            m.update_state(np.array(y), np.array(p), sample_weight=w)
    return m


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_result_and_config_match_keras(case):
    for weighted in (False, True):
        m = _run(case, weighted)
        np.testing.assert_allclose(np.asarray(m.result(), dtype=float),
                                   case["weighted" if weighted else "plain"],
                                   rtol=2e-5, atol=2e-6, err_msg=f"weighted={weighted}")
    config = m.get_config()
    expected = dict(case["config"])
    # Keras numbers a second metric of one default name ("auc_1"); glassnet does not
    expected["name"] = re.sub(r"_\d+$", "", expected["name"])
    # glassnet keeps what Keras's config forgets, so that from_config round-trips
    assert set(config) - set(expected) <= EXTRA.get(case["name"], set())
    assert set(expected) <= set(config)
    for key, value in expected.items():
        got = config[key]
        if isinstance(value, list) and value and isinstance(value[0], float):
            np.testing.assert_allclose(got, value, rtol=1e-6)
        else:
            assert got == value, key
    clone = type(m).from_config(config)
    assert clone.get_config() == config


@pytest.mark.parametrize("case", CASES[:: 3], ids=_id)
def test_reset_state_then_same_result(case):
    m = _run(case, True)
    first = np.asarray(m.result(), dtype=float)
    m.reset_states()
    for (y, p), w in zip(case["batches"], case["weights"]):
        args = (np.array(y),) if p is None else (np.array(y), np.array(p))
        m.update_state(*args, sample_weight=np.array(w))
    np.testing.assert_allclose(np.asarray(m.result(), dtype=float), first, rtol=1e-6)
