"""Every ```python block of README.md runs as pasted, each in a fresh interpreter in an empty
folder. A ``<!-- readme-test: ... -->`` line just above a block says what it needs:
``slow`` (marked slow), ``requires=a,b`` (Python modules, ``fashion-mnist``: Debian's
dataset-fashion-mnist, or ``wordlists``: Debian's word lists; skipped when absent)."""

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCK = re.compile(r"(?:<!-- readme-test: (?P<marks>[^>]*?) -->\n)?```python\n(?P<code>.*?)```",
                   re.S)


def snippets():
    text = README.read_text()
    for match in BLOCK.finditer(text):
        line = text.count("\n", 0, match.start("code")) + 1
        marks = (match["marks"] or "").split()
        requires = [r for m in marks if m.startswith("requires=")
                    for r in m[len("requires="):].split(",")]
        yield pytest.param(match["code"], requires, id=f"README.md:{line}",
                           marks=[pytest.mark.slow] if "slow" in marks else [])


def _present(requirement):
    if requirement == "fashion-mnist":
        from glassnet.datasets import fashion_mnist

        return fashion_mnist.find_files() is not None
    if requirement == "wordlists":  # Debian's word lists, for glassnet.datasets.wordlang
        from glassnet.datasets import wordlang

        return all((wordlang.DICT_DIR / f).exists() for f, _ in wordlang.LANGUAGES.values())
    return importlib.util.find_spec(requirement) is not None


def test_the_readme_has_snippets():
    assert len(list(snippets())) >= 4


@pytest.mark.parametrize("code, requires", list(snippets()))
def test_readme_snippet_runs_as_pasted(code, requires, tmp_path):
    for requirement in requires:
        if not _present(requirement):
            pytest.skip(f"the snippet needs {requirement}, which is not installed")
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
