"""Runs every program in this folder as a user would: ``python program.py`` in a fresh
interpreter, from a scratch directory, so no import made by the test session can help it.

A program is any ``*.py`` file here whose name does not start with ``test_``. Each is written
the way Keras guides and TensorFlow tutorials write code, with only the import changed, and
asserts its own results; exit status 0 means it ran and its checks held.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest

HERE = pathlib.Path(__file__).parent
PROGRAMS = sorted(p for p in HERE.glob("*.py") if not p.name.startswith(("test_", "_")))


def test_there_are_at_least_fifteen_programs():
    assert len(PROGRAMS) >= 15, [p.name for p in PROGRAMS]


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.stem)
def test_program_runs(program, tmp_path):
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    env.pop("PYTHONPATH", None)  # the installed package, as a user has it
    result = subprocess.run([sys.executable, str(program)], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, (
        f"{program.name} exited with {result.returncode}\n"
        f"--- stdout ---\n{result.stdout[-3000:]}\n--- stderr ---\n{result.stderr[-6000:]}")
