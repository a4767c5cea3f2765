import inspect
import random

import numpy as np
import pytest

from glassnet import keras


def test_progbar_averages_values_over_the_steps_they_cover(capsys):
    bar = keras.utils.Progbar(None, verbose=0, stateful_metrics=["acc"])
    bar.update(1, [("loss", 1.0), ("acc", 0.1)])
    bar.add(2, [("loss", 4.0), ("acc", 0.7)])
    assert bar._values["loss"] == [9.0, 3]  # (1*1 + 4*2) / 3 = 3 is shown
    assert bar._values["acc"] == [0.7, 1]  # stateful: shown as given
    assert capsys.readouterr().out == ""


def test_progbar_verbose_2_prints_one_line_at_the_target(capsys):
    bar = keras.utils.Progbar(4, verbose=2, unit_name="sample")
    for step in range(1, 5):
        bar.update(step, [("loss", float(step))])
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and out.startswith("4/4 - ")
    assert "/sample - loss: 4.0000" in out  # the final update is shown as given


def test_progbar_verbose_1_draws_a_bar(capsys):
    bar = keras.utils.Progbar(10, width=10, interval=0)
    bar.update(5, [("loss", 0.5)])
    bar.update(10, [("loss", 0.25)])
    out = capsys.readouterr().out
    assert " 5/10" in out and "10/10" in out and out.endswith("\n")
    assert "━" * 10 in out and "loss: 0.2500" in out
    unknown = keras.utils.Progbar(None, interval=0)
    unknown.update(3)
    assert "3/Unknown" in capsys.readouterr().out


def test_progbar_has_keras_3_signature_and_checks_its_arguments():
    params = inspect.signature(keras.utils.Progbar).parameters
    assert list(params) == ["target", "width", "verbose", "interval", "stateful_metrics",
                            "stateless_metrics", "unit_name"]
    assert params["width"].default == 20 and params["interval"].default == 0.05
    with pytest.raises(ValueError, match="at most one of stateful_metrics and "
                                         "stateless_metrics"):
        keras.utils.Progbar(3, stateful_metrics=["a"], stateless_metrics=["b"])
    with pytest.raises(ValueError, match="target must be a non-negative integer or None. "
                                         "Received: target='3'"):
        keras.utils.Progbar("3")


def test_keras_utils_signatures():
    sig = {name: list(inspect.signature(getattr(keras.utils, name)).parameters)
           for name in ("get_file", "split_dataset", "normalize", "load_img",
                        "image_dataset_from_directory", "set_random_seed")}
    assert sig["get_file"][:11] == ["fname", "origin", "untar", "md5_hash", "file_hash",
                                    "cache_subdir", "hash_algorithm", "extract",
                                    "archive_format", "cache_dir", "force_download"]
    assert sig["split_dataset"] == ["dataset", "left_size", "right_size", "shuffle", "seed"]
    assert sig["normalize"] == ["x", "axis", "order"]
    assert sig["load_img"] == ["path", "color_mode", "target_size", "interpolation",
                               "keep_aspect_ratio"]
    assert sig["image_dataset_from_directory"][-7:] == [
        "interpolation", "follow_links", "crop_to_aspect_ratio", "pad_to_aspect_ratio",
        "data_format", "format", "verbose"]
    assert list(inspect.signature(keras.utils.PyDataset).parameters) == [
        "workers", "use_multiprocessing", "max_queue_size"]


def test_set_random_seed_repeats_python_and_numpy_draws():
    keras.utils.set_random_seed(5)
    first = (random.random(), np.random.rand())
    keras.utils.set_random_seed(5)
    assert (random.random(), np.random.rand()) == first


def test_to_categorical_and_normalize_as_keras():
    one_hot = keras.utils.to_categorical([0, 2, 1], num_classes=3)
    assert one_hot.dtype == np.float32 and one_hot.tolist() == [[1, 0, 0], [0, 0, 1],
                                                                [0, 1, 0]]
    unit = keras.utils.normalize(np.array([[3.0, 4.0]]), axis=-1, order=2)
    np.testing.assert_allclose(unit, [[0.6, 0.8]])
