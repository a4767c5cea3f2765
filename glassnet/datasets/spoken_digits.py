"""Spoken digits synthesised with espeak-ng, as log-mel spectrograms, split by voice.

Each example is one digit, 0 to 9, spoken by one espeak-ng voice, that is a language or
accent ("en-us", "en-gb-scotland", ...; the digit is written as a numeral, so a "de" voice
says "sieben") with a voice variant ("m1".."m7", "f1".."f5": different vocal tracts, pitch
ranges and breathiness), at one speaking rate (``-s``, words per minute) and base pitch
(``-p``, 0-99). Each utterance appears once clean (``None`` in ``snr_db``) and once for each
signal-to-noise ratio in ``snr_db`` with white Gaussian noise added at that ratio (signal power
measured over the whole clip), drawn from a generator seeded by ``seed`` and the voice name.

The 22.05 kHz waveform is resampled to ``sample_rate``, cut or padded with silence to
``duration`` seconds and turned into a log-mel spectrogram of shape (time, n_mels) by
``glassnet.data.audio``: 25 ms Hann windows every 10 ms, FFT of the next power of two,
mel filters from 20 Hz to the Nyquist frequency, ``log(mel + 1e-6)``. One second gives 101
frames.

Held-out voices: every voice whose variant is in ``test_variants`` goes to the test set, in
every language, so the model is scored on vocal tracts it never heard in training.

The default: 8 English accents x 12 variants = 96 voices (80 for training, the 16 of "m3"
and "f2" for test), 2 speeds x 2 pitches x 10 digits = 40 utterances each, clean, at 10 dB
and at 0 dB: 9,600 training and 1,920 test spectrograms of shape (101, 40).

The arrays are built once (espeak-ng processes run in parallel, one per voice, speed and
pitch; 10-40 s on 2 cores for the default) and cached under ``cache_dir()/spoken_digits``
in an ``.npz`` named by a hash of the settings; a copy of that file works where espeak-ng is
not installed.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import shutil
import subprocess
import tempfile
import zlib
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from glassnet.data import audio
from glassnet.datasets._fetch import cache_dir
from glassnet.kernels.threads import thread_pool

LANGUAGES = ("en-us", "en-gb", "en-gb-scotland", "en-gb-x-rp", "en-gb-x-gbclan",
             "en-gb-x-gbcwmd", "en-029", "en-us-nyc")
VARIANTS = ("m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4", "f5")
TEST_VARIANTS = ("m3", "f2")
SPEEDS = (130, 180)
PITCHES = (35, 65)
SNR_DB = (None, 10.0, 0.0)
FORMAT = 2  # bumped whenever the build changes what it computes, so old caches are ignored
MISSING = ("spoken_digits synthesises its data with espeak-ng, which is not installed: "
           "apt-get install espeak-ng")


def load_data(languages=LANGUAGES, variants=VARIANTS, test_variants=TEST_VARIANTS,
              speeds=SPEEDS, pitches=PITCHES, snr_db=SNR_DB, seed=0, sample_rate=16000,
              duration=1.0, n_mels=40, workers=None, cache=True):
    """``((x_train, y_train), (x_test, y_test))``: float32 log-mel spectrograms of shape
    (N, frames, n_mels) and uint8 labels 0-9; test holds the voices of ``test_variants``.

    Args:
        languages: espeak-ng language voices (``espeak-ng --voices``).
        variants: espeak-ng voice variants (``espeak-ng --voices=variant``).
        test_variants: the variants held out for the test set (a non-empty proper subset).
        speeds: speaking rates in words per minute, 80-450.
        pitches: base pitches, 0-99.
        snr_db: None for the clean copy, numbers for noisy copies at those SNRs in dB.
        seed: seeds the noise.
        sample_rate, duration, n_mels: the features' rate, clip length in seconds and bands.
        workers: espeak-ng processes run at once (default: the CPU count, at most 8).
        cache: read and write the cached ``.npz`` (False: always build, keep nothing).

    Examples are ordered by voice (language, variant), then speed, pitch, digit and noise,
    so ``validation_split`` holds out whole voices too.

    Raises:
        OSError: espeak-ng is needed (no cached copy) and not installed.
        ValueError: an unknown voice, or a setting out of range.
    """
    data = load_all(languages, variants, test_variants, speeds, pitches, snr_db, seed,
                    sample_rate, duration, n_mels, workers, cache)
    test = data["test"]
    return (data["x"][~test], data["y"][~test]), (data["x"][test], data["y"][test])


def load_all(languages=LANGUAGES, variants=VARIANTS, test_variants=TEST_VARIANTS,
             speeds=SPEEDS, pitches=PITCHES, snr_db=SNR_DB, seed=0, sample_rate=16000,
             duration=1.0, n_mels=40, workers=None, cache=True):
    """Every example with its metadata, as a dict of arrays of equal length: ``x``, ``y``,
    ``voice`` (e.g. "en-us+m3"), ``speed``, ``pitch``, ``snr_db`` (NaN when clean) and
    ``test`` (True for the held-out voices). Arguments as ``load_data``."""
    config = _config(languages, variants, speeds, pitches, snr_db, seed, sample_rate,
                     duration, n_mels)
    test_variants = _names(test_variants, "test_variants")
    if workers is not None:
        workers = _ints([workers], "workers", 1, 256)[0]
    if not set(test_variants) < set(config["variants"]):
        raise ValueError(f"spoken_digits: test_variants must be a non-empty proper subset of "
                         f"variants={config['variants']}. Received: test_variants="
                         f"{test_variants}")
    key = hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:16]
    path = cache_dir() / "spoken_digits" / f"spoken_digits-{key}.npz"
    if cache and path.exists():
        with np.load(path, allow_pickle=False) as f:
            data = {name: f[name] for name in f.files}
    else:
        data = _build(config, workers)
        if cache:
            _save(path, data)
    variant = np.char.partition(data["voice"], "+")[:, 2]
    data["test"] = np.isin(variant, test_variants)
    data.pop("config", None)
    return data


def _names(values, arg):
    values = (values,) if isinstance(values, str) else tuple(values)
    if not values or not all(isinstance(v, str) and v and "+" not in v for v in values):
        raise ValueError(f"spoken_digits: {arg} must be a non-empty list of espeak-ng names. "
                         f"Received: {arg}={values!r}")
    if len(set(values)) != len(values):
        raise ValueError(f"spoken_digits: {arg} has duplicates. Received: {arg}={values!r}")
    return values


def _ints(values, arg, low, high):
    values = tuple(values)
    if not values or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                             and low <= v <= high for v in values):
        raise ValueError(f"spoken_digits: {arg} must be a non-empty list of integers in "
                         f"[{low}, {high}]. Received: {arg}={values!r}")
    return [int(v) for v in values]


def _config(languages, variants, speeds, pitches, snr_db, seed, sample_rate, duration,
            n_mels):
    snr_db = (snr_db,) if snr_db is None or isinstance(snr_db, (int, float)) else tuple(snr_db)
    if not snr_db or not all(s is None or (isinstance(s, (int, float)) and math.isfinite(s))
                             for s in snr_db):
        raise ValueError(f"spoken_digits: snr_db must list None (clean) and/or finite "
                         f"numbers. Received: snr_db={snr_db!r}")
    if not isinstance(duration, (int, float)) or not 0.1 <= duration <= 10:
        raise ValueError(f"spoken_digits: duration must be between 0.1 and 10 seconds. "
                         f"Received: duration={duration!r}")
    return {"format": FORMAT, "languages": list(_names(languages, "languages")),
            "variants": list(_names(variants, "variants")),
            "speeds": _ints(speeds, "speeds", 80, 450),
            "pitches": _ints(pitches, "pitches", 0, 99),
            "snr_db": [None if s is None else float(s) for s in snr_db],
            "seed": _ints([seed], "seed", 0, 2**32 - 1)[0],
            "sample_rate": _ints([sample_rate], "sample_rate", 4000, 48000)[0],
            "duration": float(duration), "n_mels": _ints([n_mels], "n_mels", 1, 256)[0]}


def _espeak():
    program = shutil.which("espeak-ng")
    if program is None:
        raise OSError(MISSING)
    return program


def _check_voices(program, languages, variants):
    """ValueError naming any language or variant this espeak-ng does not have (it would
    silently fall back to its default variant)."""
    def listing(option):
        return subprocess.run([program, option], capture_output=True, text=True,
                              check=True).stdout.splitlines()[1:]

    known_languages = {line.split()[1] for line in listing("--voices") if len(line.split()) > 1}
    # A variant's file column reads "!v/<name>", and a name may hold a space.
    known_variants = {line[line.find("!v/") + 3:].strip()
                      for line in listing("--voices=variant") if "!v/" in line}
    for arg, names, known in (("languages", languages, known_languages),
                              ("variants", variants, known_variants)):
        unknown = [n for n in names if n not in known]
        if unknown:
            raise ValueError(f"spoken_digits: espeak-ng has no {arg} {unknown}; see "
                             f"`espeak-ng --voices{'=variant' if arg == 'variants' else ''}`")


def _build(config, workers):
    program = _espeak()
    _check_voices(program, config["languages"], config["variants"])
    voices = [f"{lang}+{variant}" for lang in config["languages"]
              for variant in config["variants"]]
    workers = workers or min(os.cpu_count() or 1, 8)
    # The parallelism is the pool's; a BLAS spreading each small product over every core
    # as well would only make the threads wait on each other.
    with thread_pool(), ThreadPoolExecutor(workers) as pool:
        parts = list(pool.map(lambda v: _voice(program, v, config), voices))
    data = {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}
    data["config"] = np.array(json.dumps(config, sort_keys=True))
    return data


def _voice(program, voice, config):
    """All examples of one voice: its utterances synthesised one (speed, pitch) after the
    other (the pool runs several voices at once), then noise and features in one batch."""
    grid = [(s, p, d) for s in config["speeds"] for p in config["pitches"] for d in range(10)]
    sr, clips, rates = config["sample_rate"], [], []
    for speed, pitch in dict.fromkeys((s, p) for s, p, _ in grid):
        ten, rate = _ten_digits(program, voice, speed, pitch)
        clips += ten
        rates += [rate] * 10
    waves = _fixed_length(clips, rates, sr, round(config["duration"] * sr))
    # The voice name, not its place in the list, seeds the noise: a voice's examples are the
    # same whichever other voices are built with it.
    rng = np.random.default_rng([config["seed"], zlib.crc32(voice.encode())])
    power = np.mean(waves**2, axis=1, keepdims=True)
    copies = []
    for snr in config["snr_db"]:
        if snr is None:
            copies.append(waves)
        else:
            noise = rng.standard_normal(waves.shape, dtype=np.float32)
            copies.append(waves + noise * np.sqrt(power / 10.0 ** (snr / 10.0)))
    # (snr, utterance, time) -> (utterance, snr, time): each utterance's copies side by side.
    batch = np.stack(copies, axis=1).reshape(-1, waves.shape[1])
    n_snr = len(config["snr_db"])
    meta = np.array(grid).repeat(n_snr, axis=0)
    return {"x": features(batch, sr, config["n_mels"]),
            "y": meta[:, 2].astype(np.uint8),
            "voice": np.array([voice] * len(batch)),
            "speed": meta[:, 0].astype(np.int16), "pitch": meta[:, 1].astype(np.int16),
            "snr_db": np.tile([np.nan if s is None else s for s in config["snr_db"]],
                              len(grid)).astype(np.float32)}


def _say(program, voice, speed, pitch, text, ssml=False):
    done = subprocess.run([program, "-v", voice, "-s", str(speed), "-p", str(pitch),
                           *(["-m"] if ssml else []), "--stdout", text], capture_output=True)
    if done.returncode != 0:
        raise RuntimeError(f"espeak-ng -v {voice} failed: "
                           f"{done.stderr.decode(errors='replace').strip()}")
    clip, rate = audio.read_wav(io.BytesIO(_sized(done.stdout)))
    return (clip if clip.ndim == 1 else clip.mean(axis=1)), rate


def _ten_digits(program, voice, speed, pitch):
    """The digits 0-9 as ten clips trimmed of silence, and their sample rate.

    One espeak-ng process says all ten, each as its own sentence (so with the falling
    intonation of a digit said alone) between 1.5 s breaks, and the recording is cut at the
    silences: ten times fewer processes, whose start-up costs more than the speech. Where
    the cut does not give ten pieces, each digit is said by its own process.
    """
    text = "".join(f'<s>{d}</s><break time="1500ms"/>' for d in range(10))
    clip, rate = _say(program, voice, speed, pitch, f"<speak>{text}</speak>", ssml=True)
    pieces = _split(clip, rate)
    if len(pieces) != 10:
        pieces = [_split(_say(program, voice, speed, pitch, str(d))[0], rate, np.inf)[0]
                  for d in range(10)]
    return pieces, rate


def _split(clip, rate, gap=0.25):
    """The stretches of sound separated by more than ``gap`` seconds of silence (samples
    under 2 steps of 16-bit PCM), each trimmed to its first and last sound. Within a digit
    espeak-ng pauses at most 0.08 s (at 80 words per minute); its 1.5 s breaks shrink to
    0.5 s at 450 words per minute, less the echo some variants add."""
    sound = np.flatnonzero(np.abs(clip) >= 2 / 32768)
    if len(sound) == 0:
        return [clip[:0]]
    cuts = np.flatnonzero(np.diff(sound) > gap * rate)
    starts, ends = np.r_[sound[0], sound[cuts + 1]], np.r_[sound[cuts], sound[-1]] + 1
    return [clip[a:b] for a, b in zip(starts, ends)]


def _sized(wav):
    """A WAV written to a pipe, with its RIFF and data sizes set to the bytes it holds:
    espeak-ng cannot seek back to fill them in, so it writes placeholders (about 2 GB)."""
    fmt_size = int.from_bytes(wav[16:20], "little") if len(wav) >= 20 else -1
    start = 20 + fmt_size
    if wav[:4] != b"RIFF" or wav[12:16] != b"fmt " or wav[start:start + 4] != b"data":
        raise RuntimeError("espeak-ng wrote something that is not a plain WAV stream")
    return b"".join([wav[:4], (len(wav) - 8).to_bytes(4, "little"), wav[8:start + 4],
                     (len(wav) - start - 8).to_bytes(4, "little"), wav[start + 8:]])


def _fixed_length(clips, rates, sr, length):
    """The clips resampled to ``sr`` and cut or zero-padded to ``length`` samples, as one
    (clips, length) float32 array; clips of one rate are resampled as one batch."""
    out = np.zeros((len(clips), length), np.float32)
    rates = np.asarray(rates)
    for rate in np.unique(rates):
        index = np.flatnonzero(rates == rate)
        native = round(length * rate / sr)
        group = np.zeros((len(index), native), np.float32)
        for row, i in enumerate(index):
            clip = clips[i][:native]
            group[row, : len(clip)] = clip
        out[index] = audio.resample(group, rate, sr)[:, :length]
    return out


def features(waves, sample_rate, n_mels=40):
    """The log-mel spectrograms this dataset is made of, for your own recordings: waves of
    shape (..., samples) at ``sample_rate`` -> float32 (..., frames, n_mels), 25 ms Hann
    windows every 10 ms (``sample_rate // 100`` samples), 20 Hz to Nyquist.

    >>> features(np.zeros(16000, np.float32), 16000).shape
    (101, 40)
    """
    win = int(round(0.025 * sample_rate))
    n_fft = 1 << (win - 1).bit_length()
    return audio.log_mel_spectrogram(np.asarray(waves, np.float32), sample_rate, n_fft=n_fft,
                                     hop_length=sample_rate // 100, win_length=win,
                                     n_mels=n_mels, fmin=20.0)


def _save(path, data):
    """Write the arrays atomically: a temporary file in the same folder, then a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            np.savez(out, **data)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
