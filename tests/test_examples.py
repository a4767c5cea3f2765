"""The examples run (on the small embedded digits, to keep the suite fast)."""

import runpy
from pathlib import Path

import pytest

import glassnet.datasets
from glassnet.datasets import digits

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.mark.parametrize("script", ["mlp_keras.py", "mlp_pytorch_style.py"])
def test_example_runs_and_learns(script, monkeypatch, capsys):
    monkeypatch.setattr(glassnet.datasets, "best_available",
                        lambda: ("scikit-learn digits (8x8)", *digits.load_data()))
    runpy.run_path(str(EXAMPLES / script), run_name="__main__")
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("scikit-learn digits (8x8): test accuracy")
    assert float(last.rsplit(" ", 1)[1]) > 0.85
