"""plot_model: Graphviz images through pydot (as Keras), Mermaid text for .mmd/.md."""

import shutil
import sys

import pytest

from glassnet import keras

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def two_branch_model():
    inner = keras.Sequential([keras.layers.Dense(8, activation="relu", input_shape=(4,)),
                              keras.layers.Dense(4)], name="block")
    x = keras.Input(shape=(4,), name="x")
    a = inner(x)
    b = keras.layers.Dense(4, activation="tanh", name="side")(x)
    out = keras.layers.Dense(2, activation="softmax", name="head")(
        keras.layers.Add(name="sum")([a, b]))
    return keras.Model(x, out)


def needs_graphviz():
    pytest.importorskip("pydot", reason="images are drawn through pydot (pip install pydot)")
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed (apt-get install graphviz)")


@pytest.mark.parametrize("name", ["model.png", "model.svg"])
def test_images_are_real_png_and_svg(tmp_path, name):
    needs_graphviz()
    path = tmp_path / name
    dot = keras.utils.plot_model(two_branch_model(), to_file=path, show_shapes=True,
                                 show_dtype=True, show_layer_activations=True,
                                 show_trainable=True, rankdir="LR", dpi=72)
    data = path.read_bytes()
    if name.endswith(".png"):
        assert data.startswith(PNG_MAGIC)
    else:
        assert b"<svg" in data[:1000] and b"head: Dense" in data
    assert "rankdir=LR" in dot and "activation softmax" in dot and "float32" in dot
    assert "output (None, 2)" in dot


def test_expand_nested_draws_the_inner_layers_in_a_cluster(tmp_path):
    pytest.importorskip("pydot", reason="the DOT text is built by pydot (pip install pydot)")
    model = two_branch_model()
    flat = keras.utils.plot_model(model, to_file=tmp_path / "flat.dot")
    nested = keras.utils.plot_model(model, to_file=tmp_path / "nested.dot", expand_nested=True)
    assert "cluster" not in flat and "block: Sequential" in flat
    assert "subgraph cluster_n1" in nested and "dense" in nested
    assert (tmp_path / "nested.dot").read_text().startswith("digraph")


def test_mermaid_for_mmd_and_md(tmp_path):
    model = two_branch_model()
    text = keras.utils.plot_model(model, to_file=tmp_path / "m.mmd", show_shapes=True)
    assert text.splitlines()[0] == "flowchart TB" and "n3 --> n4" in text
    assert (tmp_path / "m.mmd").read_text() == text + "\n"
    keras.utils.plot_model(model, to_file=tmp_path / "m.md", expand_nested=True)
    md = (tmp_path / "m.md").read_text()
    assert md.startswith("```mermaid\nflowchart TB\n") and 'subgraph n1["block: Sequential"]' in md


def test_a_missing_pydot_or_graphviz_is_named_in_one_line(tmp_path, monkeypatch):
    model = two_branch_model()
    monkeypatch.setitem(sys.modules, "pydot", None)
    with pytest.raises(ImportError, match="pip install pydot") as err:
        keras.utils.plot_model(model, to_file=tmp_path / "m.png")
    assert "\n" not in str(err.value)
    monkeypatch.undo()
    pytest.importorskip("pydot", reason="pip install pydot")
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(ImportError, match="apt-get install graphviz"):
        keras.utils.plot_model(model, to_file=tmp_path / "m.svg")
    assert not (tmp_path / "m.svg").exists()


def test_bad_arguments():
    model = two_branch_model()
    with pytest.raises(ValueError, match="use one of .png"):
        keras.utils.plot_model(model, to_file="model.txt")
    with pytest.raises(ValueError, match="rankdir"):
        keras.utils.plot_model(model, rankdir="XY")
    with pytest.raises(TypeError, match="unexpected arguments"):
        keras.utils.plot_model(model, show_colors=True)


def test_plot_files_get_the_usual_permissions(tmp_path):
    import os
    import stat

    from glassnet import keras

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    old = os.umask(0o022)
    try:
        keras.utils.plot_model(model, to_file=str(tmp_path / "m.mmd"))
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "m.mmd").st_mode) == 0o644
