"""Every snippet of docs/concepts.md runs and prints what the page says (doctest)."""

import doctest
import pathlib

DOC = pathlib.Path(__file__).resolve().parents[1] / "docs" / "concepts.md"


def test_the_concept_guide_snippets_give_their_outputs():
    result = doctest.testfile(str(DOC), module_relative=False,
                              optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    assert result.attempted > 20
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed"
