import json
import os
from pathlib import Path

import numpy as np
import pytest

from glassnet import keras

REF = json.loads((Path(__file__).parents[1] / "datasets" / "fixtures" /
                  "keras_reference.json").read_text())


@pytest.fixture
def folder(tmp_path):
    from PIL import Image

    rng = np.random.default_rng(0)
    for rel in REF["image_layout"]:
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if rel.endswith(".txt"):
            path.write_text("not an image")
        else:
            Image.fromarray(rng.integers(0, 256, (5, 7, 3), dtype=np.uint8)).save(path)
    return tmp_path


def _rel(paths, root):
    return [os.path.relpath(p, root) for p in paths]


@pytest.mark.parametrize("seed", ["1", "1337"])
def test_subset_both_picks_the_files_keras_picks(folder, seed):
    train, val = keras.utils.image_dataset_from_directory(
        folder, validation_split=0.25, subset="both", seed=int(seed), image_size=(4, 4),
        verbose=False)
    assert _rel(train.file_paths, folder) == REF["image_subsets"][seed]["training"]
    assert _rel(val.file_paths, folder) == REF["image_subsets"][seed]["validation"]
    assert train.class_names == val.class_names == ["cats", "dogs", "owls"]
    alone = keras.utils.image_dataset_from_directory(
        folder, validation_split=0.25, subset="validation", seed=int(seed),
        image_size=(4, 4), verbose=False)
    assert alone.file_paths == val.file_paths
    x, y = val[0]
    assert x.shape == (4, 4, 4, 3) and x.dtype == np.float32 and y.dtype == np.int32
    names = [p.split(os.sep)[0] for p in _rel(val.file_paths, folder)]
    assert [val.class_names[k] for k in y] == names  # labels follow their files


def test_unshuffled_split_and_label_modes(folder):
    val = keras.utils.image_dataset_from_directory(
        folder, validation_split=0.5, subset="validation", shuffle=False, image_size=(3, 3),
        label_mode="categorical", verbose=False)
    assert _rel(val.file_paths, folder) == REF["image_subsets"]["unshuffled_validation"]
    assert val[0][1].shape == (8, 3) and val[0][1].dtype == np.float32
    binary = keras.utils.image_dataset_from_directory(
        folder, class_names=["dogs", "owls"], label_mode="binary", image_size=8,
        shuffle=False, batch_size=20, verbose=False)
    x, y = binary[0]
    assert x.shape == (10, 8, 8, 3) and y.shape == (10, 1) and y.sum() == 4
    images_only = keras.utils.image_dataset_from_directory(
        folder, labels=None, image_size=(2, 2), batch_size=50, seed=0, color_mode="grayscale",
        verbose=False)
    assert images_only[0].shape == (17, 2, 2, 1)


@pytest.mark.parametrize("kwargs, message", [
    ({"validation_split": 0.2, "subset": "both"}, "you must provide a `seed` argument"),
    ({"validation_split": 0.2}, "If `subset` is set, `validation_split` must be set"),
    ({"validation_split": 1.5, "subset": "both", "seed": 1}, "must be between 0 and 1"),
    ({"validation_split": 0.2, "subset": "all", "seed": 1}, '"training", "validation" or '
                                                            '"both", received: all'),
    ({"label_mode": "binary"}, "there must be exactly 2 class_names"),
    ({"interpolation": "gaussian"}, "Argument `interpolation` should be one of"),
    ({"image_size": (4,)}, "Invalid `image_size` value"),
])
def test_bad_arguments_are_named(folder, kwargs, message):
    with pytest.raises(ValueError, match=message):
        keras.utils.image_dataset_from_directory(folder, verbose=False, **kwargs)
