import subprocess
import sys

import pytest

import glassnet
import glassnet.datasets
from glassnet import cli
from glassnet.datasets import digits


def test_version():
    out = subprocess.run([sys.executable, "-m", "glassnet", "--version"], capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == f"glassnet {glassnet.__version__}"


def test_demo_trains_and_reports_accuracy(capsys, monkeypatch):
    # The digits keep this quick; the demo picks MNIST or Fashion-MNIST when present.
    monkeypatch.setattr(glassnet.datasets, "best_available",
                        lambda: ("scikit-learn digits (8x8)", *digits.load_data()))
    accuracy = cli.demo(epochs=5)
    out = capsys.readouterr().out
    assert "Training the classic MLP on scikit-learn digits" in out
    assert "Test accuracy:" in out and accuracy > 0.85


def test_no_command_prints_help(capsys):
    assert cli.main([]) == 0
    assert "demo" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        cli.main(["bogus"])
