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
    pytest.importorskip("sklearn", reason="the digits come with scikit-learn (the [datasets] "
                                          "extra)")
    # The digits keep this quick; the demo picks MNIST or Fashion-MNIST when present.
    monkeypatch.setattr(glassnet.datasets, "best_available",
                        lambda: ("scikit-learn digits (8x8)", *digits.load_data()))
    accuracy = cli.demo(epochs=5, batch_size=32)
    out = capsys.readouterr().out
    assert "Training the classic MLP on scikit-learn digits" in out
    assert "Test accuracy:" in out and accuracy > 0.85


def test_no_command_prints_help(capsys):
    assert cli.main([]) == 0
    assert "demo" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        cli.main(["bogus"])


def test_help_describes_the_commands_with_examples():
    out = subprocess.run([sys.executable, "-m", "glassnet", "--help"], capture_output=True,
                         text=True, check=True).stdout
    assert out.startswith("usage: glassnet [-h] [--version] COMMAND ...")
    assert "demo      train the classic MLP" in out and "examples:" in out
    assert "COMMAND\n" not in out  # the command list has no bare metavar line


def test_demo_help_says_what_it_trains_on(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["demo", "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "dataset-fashion-mnist" in out and "--epochs N" in out and "(default: 5)" in out


def test_demo_rejects_a_non_positive_epoch_count(capsys):
    with pytest.raises(SystemExit):
        cli.main(["demo", "--epochs", "0"])
    assert "expected a positive integer, received '0'" in capsys.readouterr().err
