"""The programs here are run by test_programs.py, each in a fresh interpreter; pytest must not
import them itself (--doctest-modules would, running each program inside the test session)."""

import pathlib

collect_ignore = [p.name for p in pathlib.Path(__file__).parent.glob("*.py")
                  if not p.name.startswith(("test_", "conftest"))]
