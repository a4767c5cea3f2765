"""The spoken-digits data set: a small build with espeak-ng, its shapes, its determinism, its
voice split and its cache; the errors for a missing synthesiser and bad settings."""

import shutil

import numpy as np
import pytest

from glassnet.datasets import spoken_digits

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None,
                                  reason="needs espeak-ng (apt-get install espeak-ng)")
SMALL = {"languages": ("en-us", "en-gb"), "variants": ("m1", "f1", "m3"),
         "test_variants": ("m3",), "speeds": (160,), "pitches": (50,),
         "snr_db": (None, 10.0), "workers": 2}


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("GLASSNET_HOME", str(tmp_path))
    return tmp_path / "datasets" / "spoken_digits"


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """One small build shared by the tests that only read it (2 x 3 voices, 10 digits,
    clean and at 10 dB: 120 examples)."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("needs espeak-ng (apt-get install espeak-ng)")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GLASSNET_HOME", str(tmp_path_factory.mktemp("home")))
        return spoken_digits.load_all(**SMALL, cache=False)


@needs_espeak
def test_shapes_labels_and_metadata(small):
    x, y = small["x"], small["y"]
    assert x.shape == (120, 101, 40) and x.dtype == np.float32 and np.isfinite(x).all()
    assert y.dtype == np.uint8 and np.bincount(y).tolist() == [12] * 10
    assert set(small["voice"]) == {f"{lang}+{v}" for lang in ("en-us", "en-gb")
                                   for v in ("m1", "f1", "m3")}
    assert (small["speed"] == 160).all() and (small["pitch"] == 50).all()
    clean = np.isnan(small["snr_db"])
    assert clean.sum() == 60 and (small["snr_db"][~clean] == 10).all()
    # speech is louder than the -13.8 of digital silence somewhere in every clip
    assert (x.max(axis=(1, 2)) > 0).all()
    # each noisy copy follows its clean original and differs from it
    assert (clean[0::2]).all() and not np.allclose(x[0::2], x[1::2])


@needs_espeak
def test_test_voices_are_never_heard_in_training(small):
    test = small["test"]
    assert test.sum() == 40
    train_voices, test_voices = set(small["voice"][~test]), set(small["voice"][test])
    assert not train_voices & test_voices
    assert all(v.endswith("+m3") for v in test_voices)


@needs_espeak
def test_load_data_splits_by_voice_and_caches(home, monkeypatch):
    settings = {k: v for k, v in SMALL.items() if k != "languages"}
    (x_train, y_train), (x_test, y_test) = spoken_digits.load_data(languages="en-us",
                                                                   **settings)
    assert x_train.shape == (40, 101, 40) and x_test.shape == (20, 101, 40)
    assert sorted(np.unique(y_test).tolist()) == list(range(10))
    assert len(list(home.glob("spoken_digits-*.npz"))) == 1
    # the cache is read without espeak-ng, and serves another split of the same voices
    monkeypatch.setattr(spoken_digits.shutil, "which", lambda name: None)
    (again, _), _ = spoken_digits.load_data(languages="en-us", **settings)
    np.testing.assert_array_equal(again, x_train)
    settings["test_variants"] = ("f1", "m3")
    (fewer, _), (more, _) = spoken_digits.load_data(languages="en-us", **settings)
    assert len(fewer) == 20 and len(more) == 40


@needs_espeak
def test_builds_are_deterministic_and_seeded(small, home):
    settings = dict(SMALL, languages=("en-gb",), variants=("f1", "m3"))
    first = spoken_digits.load_all(**settings, cache=False)
    again = spoken_digits.load_all(**dict(settings, workers=1), cache=False)
    for name in ("x", "y", "voice", "speed", "pitch", "test"):
        np.testing.assert_array_equal(first[name], again[name])
    # the same voices inside a bigger build get the same noise: it is seeded per voice
    mine = np.isin(small["voice"], ["en-gb+f1", "en-gb+m3"])
    np.testing.assert_array_equal(small["x"][mine], first["x"])
    other = spoken_digits.load_all(**settings, seed=1, cache=False)
    clean = np.isnan(first["snr_db"])
    np.testing.assert_array_equal(other["x"][clean], first["x"][clean])
    assert not np.allclose(other["x"][~clean], first["x"][~clean])


def test_missing_espeak_is_one_clear_line(home, monkeypatch):
    monkeypatch.setattr(spoken_digits.shutil, "which", lambda name: None)
    with pytest.raises(OSError, match="apt-get install espeak-ng") as err:
        spoken_digits.load_data(languages="en-us", variants=("m1", "m3"),
                                test_variants=("m3",))
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("settings,message", [
    ({"test_variants": ("m9",)}, "test_variants must be a non-empty proper subset"),
    ({"test_variants": spoken_digits.VARIANTS}, "non-empty proper subset"),
    ({"test_variants": ()}, "test_variants must be a non-empty list"),
    ({"variants": ("m1", "m1", "m3")}, "variants has duplicates"),
    ({"languages": ("en-us+m1",)}, "languages must be a non-empty list"),
    ({"speeds": (40,)}, r"speeds must be a non-empty list of integers in \[80, 450\]"),
    ({"pitches": (50.5,)}, r"pitches .* \[0, 99\]"),
    ({"snr_db": (None, float("nan"))}, "snr_db must list None"),
    ({"duration": 0}, "duration must be between"),
    ({"n_mels": 0}, "n_mels"),
    ({"seed": -1}, "seed"),
    ({"workers": 0}, "workers"),
])
def test_bad_settings(home, settings, message):
    with pytest.raises(ValueError, match=message):
        spoken_digits.load_data(**settings)


@needs_espeak
def test_unknown_voices_are_named(home):
    with pytest.raises(ValueError, match=r"no variants \['m99'\]"):
        spoken_digits.load_data(languages="en-us", variants=("m1", "m99"),
                                test_variants=("m1",))
    with pytest.raises(ValueError, match=r"no languages \['xx-yy'\]"):
        spoken_digits.load_data(languages="xx-yy", variants=("m1", "m3"),
                                test_variants=("m3",))


def test_features_of_your_own_recording():
    t = np.arange(8000) / 8000
    logmel = spoken_digits.features(np.sin(2 * np.pi * 500 * t), 8000, n_mels=20)
    assert logmel.shape == (101, 20) and logmel.dtype == np.float32
