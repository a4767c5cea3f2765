"""Audio features in NumPy: frames, windows, the STFT, mel filterbanks, log-mel spectrograms,
16-bit PCM WAV files and band-limited resampling.

Time comes first in every feature array, ``(..., frames, bins)``, as ``tf.signal.stft`` and
the sequence layers (``Conv1D``, ``LSTM``: ``(batch, time, features)``) want it; torch and
librosa put frequency first. Any leading axes are a batch: one call transforms a whole batch
of equal-length signals (strided views and one ``rfft``, no loop over frames or signals).
Float64 signals give float64 features; anything else gives float32.

>>> import numpy as np
>>> tone = np.sin(2 * np.pi * 1000 * np.arange(16000) / 16000)
>>> log_mel_spectrogram(tone, 16000, n_fft=512, hop_length=160, n_mels=40).shape
(101, 40)
"""

from __future__ import annotations

import math
import os
import wave

import numpy as np

PAD_MODES = {"constant": "constant", "reflect": "reflect", "replicate": "edge",
             "circular": "wrap"}


def _float(signal, name="signal"):
    x = np.asarray(signal)
    if x.dtype.kind not in "biuf":
        raise TypeError(f"{name}: expected real samples; received dtype {x.dtype}")
    return x if x.dtype in (np.float32, np.float64) else x.astype(np.float32)


def _positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name}: expected a positive integer. Received: {name}={value!r}")
    return int(value)


def frame(signal, frame_length, hop_length):
    """Overlapping frames of the last axis, as a read-only strided view (no copy).

    Frame ``t`` is ``signal[..., t * hop_length : t * hop_length + frame_length]``; there are
    ``1 + (length - frame_length) // hop_length`` of them (``tf.signal.frame`` without padding).

    Shapes: ``(..., length)`` -> ``(..., frames, frame_length)``.

    >>> frame(np.arange(5), 3, 2).tolist()
    [[0, 1, 2], [2, 3, 4]]
    """
    frame_length = _positive_int(frame_length, "frame_length")
    hop_length = _positive_int(hop_length, "hop_length")
    x = np.asarray(signal)
    if x.ndim == 0 or x.shape[-1] < frame_length:
        raise ValueError(f"frame: the signal must have at least frame_length={frame_length} "
                         f"samples on its last axis. Received shape {x.shape}")
    return np.lib.stride_tricks.sliding_window_view(x, frame_length, axis=-1)[..., ::hop_length, :]


def _cosine_window(length, periodic, dtype, a):
    length = _positive_int(length, "window length")
    # Periodic (the STFT's choice, torch's and librosa's default): one period of length N,
    # so overlapping windows sum to a constant; symmetric: first and last samples equal.
    if length == 1:
        return np.ones(1, dtype)  # torch's and numpy's convention
    denominator = length if periodic else length - 1
    n = np.arange(length)
    return (a - (1 - a) * np.cos(2 * np.pi * n / denominator)).astype(dtype)


def hann_window(length, periodic=True, dtype=np.float32):
    """w[n] = 0.5 - 0.5 cos(2 pi n / N), N = length if periodic else length - 1.

    >>> hann_window(4).tolist()
    [0.0, 0.5, 1.0, 0.5]
    """
    return _cosine_window(length, periodic, dtype, 0.5)


def hamming_window(length, periodic=True, dtype=np.float32):
    """w[n] = 0.54 - 0.46 cos(2 pi n / N), N = length if periodic else length - 1."""
    return _cosine_window(length, periodic, dtype, 0.54)


WINDOWS = {"hann": hann_window, "hamming": hamming_window}


def _window(window, win_length, n_fft, dtype):
    """The analysis window, zero-padded on both sides to n_fft (torch's and librosa's
    placement: ``(n_fft - win_length) // 2`` zeros on the left)."""
    if isinstance(window, str):
        if window not in WINDOWS:
            raise ValueError(f"window must be one of {sorted(WINDOWS)} or an array. "
                             f"Received: window={window!r}")
        w = WINDOWS[window](win_length, dtype=dtype)
    elif window is None:
        w = np.ones(win_length, dtype)
    else:
        w = np.asarray(window, dtype=dtype)
        if w.shape != (win_length,):
            raise ValueError(f"window: expected shape ({win_length},) (win_length). "
                             f"Received shape {w.shape}")
    left = (n_fft - win_length) // 2
    return np.pad(w, (left, n_fft - win_length - left))


def stft(signal, n_fft=2048, hop_length=None, win_length=None, window="hann", center=True,
         pad_mode="reflect"):
    """Short-time Fourier transform, time-major.

    X[..., t, k] = sum_n w[n] x[n + t hop] exp(-2 pi i k n / n_fft), k = 0 .. n_fft // 2,

    of the signal padded by ``n_fft // 2`` on each side when ``center`` (so frame t is centred
    on sample t * hop). The same numbers as ``torch.stft(x, n_fft, hop_length, win_length,
    window, center, pad_mode, return_complex=True)``, transposed to (frames, bins).

    Args:
        signal: real samples, shape (..., length).
        n_fft: FFT size; frames hold n_fft samples.
        hop_length: samples between frame starts (default ``n_fft // 4``).
        win_length: window size, at most n_fft (default ``n_fft``); centred in the frame.
        window: "hann" (periodic), "hamming", an array of win_length, or None (rectangular).
        center: pad so that frames are centred on multiples of hop_length.
        pad_mode: "reflect" (torch's default), "constant" (librosa 0.10's), "replicate" or
            "circular".

    Returns:
        complex64 (complex128 for float64 input) of shape (..., frames, n_fft // 2 + 1), with
        ``frames = 1 + length // hop_length`` when centred.

    >>> stft(np.ones(8), n_fft=4, hop_length=2, window=None).shape
    (5, 3)
    """
    x = _float(signal)
    n_fft = _positive_int(n_fft, "n_fft")
    hop_length = _positive_int(n_fft // 4 if hop_length is None else hop_length, "hop_length")
    win_length = _positive_int(n_fft if win_length is None else win_length, "win_length")
    if win_length > n_fft:
        raise ValueError(f"stft: win_length must be at most n_fft={n_fft}. "
                         f"Received: win_length={win_length}")
    if x.ndim == 0:
        raise ValueError("stft: expected a signal of shape (..., length); received a scalar")
    if center:
        if pad_mode not in PAD_MODES:
            raise ValueError(f"pad_mode must be one of {sorted(PAD_MODES)}. "
                             f"Received: pad_mode={pad_mode!r}")
        pad = n_fft // 2
        if pad_mode == "reflect" and x.shape[-1] <= pad:
            raise ValueError(f"stft: reflect padding needs more than n_fft // 2 = {pad} "
                             f"samples. Received a signal of length {x.shape[-1]}")
        x = np.pad(x, [(0, 0)] * (x.ndim - 1) + [(pad, pad)], mode=PAD_MODES[pad_mode])
    if x.shape[-1] < n_fft:
        raise ValueError(f"stft: the signal must have at least n_fft={n_fft} samples "
                         f"(or use center=True). Received length {x.shape[-1]}")
    frames = frame(x, n_fft, hop_length) * _window(window, win_length, n_fft, x.dtype)
    return np.fft.rfft(frames, axis=-1)


def spectrogram(signal, n_fft=2048, hop_length=None, win_length=None, window="hann",
                center=True, pad_mode="reflect", power=2.0):
    """|STFT|^power: the power spectrogram (power=2) or magnitude (power=1), real, of shape
    (..., frames, n_fft // 2 + 1). Arguments as ``stft``.

    >>> spectrogram(np.ones(8), n_fft=4, hop_length=4, window=None, center=False).tolist()
    [[16.0, 0.0, 0.0], [16.0, 0.0, 0.0]]
    """
    if not power > 0:
        raise ValueError(f"spectrogram: power must be positive. Received: power={power!r}")
    magnitude = np.abs(stft(signal, n_fft, hop_length, win_length, window, center, pad_mode))
    return magnitude**2 if power == 2 else magnitude**power


# The Slaney (Auditory Toolbox) mel scale, librosa's default: linear below 1 kHz at 200/3 Hz
# per mel, logarithmic above (27 mels per factor 6.4 in frequency), so 1 kHz is mel 15.
_F_SP, _MIN_LOG_HZ, _LOGSTEP = 200.0 / 3, 1000.0, math.log(6.4) / 27.0


def hz_to_mel(frequencies, htk=False):
    """Hz -> mel. HTK: m = 2595 log10(1 + f / 700). Slaney (default): m = f / (200/3) below
    1 kHz, 15 + ln(f / 1000) / (ln(6.4) / 27) above.

    >>> round(float(hz_to_mel(1000.0)), 9), round(float(hz_to_mel(1000.0, htk=True)), 2)
    (15.0, 999.99)
    """
    f = np.asarray(frequencies, dtype=np.float64)
    if htk:
        return 2595.0 * np.log10(1.0 + f / 700.0)
    log_part = _MIN_LOG_HZ / _F_SP + np.log(np.maximum(f, _MIN_LOG_HZ) / _MIN_LOG_HZ) / _LOGSTEP
    return np.where(f >= _MIN_LOG_HZ, log_part, f / _F_SP)


def mel_to_hz(mels, htk=False):
    """mel -> Hz, the inverse of ``hz_to_mel``."""
    m = np.asarray(mels, dtype=np.float64)
    if htk:
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)
    min_log_mel = _MIN_LOG_HZ / _F_SP
    log_part = _MIN_LOG_HZ * np.exp(_LOGSTEP * (np.maximum(m, min_log_mel) - min_log_mel))
    return np.where(m >= min_log_mel, log_part, m * _F_SP)


def mel_filterbank(sr, n_fft, n_mels=128, fmin=0.0, fmax=None, htk=False, norm="slaney",
                   dtype=np.float32):
    """Triangular mel filters over the rFFT bins, librosa's ``filters.mel`` (Slaney scale
    and area normalisation by default; ``htk=True`` for the HTK scale).

    Filter m rises linearly from f[m] to f[m+1] and falls to f[m+2], where f are n_mels + 2
    frequencies equally spaced in mel from fmin to fmax; with ``norm="slaney"`` it is scaled
    by 2 / (f[m+2] - f[m]) so that every filter has the same area (unit-height triangles with
    ``norm=None``).

    Returns:
        (n_mels, n_fft // 2 + 1) weights: ``power_spectrogram @ filters.T`` is the mel
        spectrogram. With n_mels too large for n_fft some filters fall between bins and are
        all zero.

    >>> fb = mel_filterbank(16000, 512, n_mels=40)
    >>> fb.shape, bool((fb >= 0).all())
    ((40, 257), True)
    """
    n_fft = _positive_int(n_fft, "n_fft")
    n_mels = _positive_int(n_mels, "n_mels")
    if not sr > 0:
        raise ValueError(f"mel_filterbank: sr must be positive. Received: sr={sr!r}")
    fmax = sr / 2 if fmax is None else fmax
    if not 0 <= fmin < fmax <= sr / 2:
        raise ValueError(f"mel_filterbank: expected 0 <= fmin < fmax <= sr / 2 = {sr / 2}. "
                         f"Received: fmin={fmin}, fmax={fmax}")
    if norm not in ("slaney", None):
        raise ValueError(f"norm must be 'slaney' or None. Received: norm={norm!r}")
    edges = mel_to_hz(np.linspace(hz_to_mel(fmin, htk), hz_to_mel(fmax, htk), n_mels + 2), htk)
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    bins = np.fft.rfftfreq(n_fft, 1.0 / sr)[None, :]
    rising = (bins - lower) / (centre - lower)
    falling = (upper - bins) / (upper - centre)
    weights = np.maximum(0.0, np.minimum(rising, falling))
    if norm == "slaney":
        weights *= 2.0 / (upper - lower)
    return weights.astype(dtype)


def log_mel_spectrogram(signal, sample_rate, n_fft=2048, hop_length=None, win_length=None,
                        window="hann", n_mels=128, fmin=0.0, fmax=None, center=True,
                        pad_mode="reflect", power=2.0, htk=False, log_offset=1e-6):
    """log(mel_spectrogram + log_offset), natural log, time-major.

    mel[..., t, m] = sum_k |X[..., t, k]|^power W[m, k] with W = ``mel_filterbank(sample_rate,
    n_fft, n_mels, fmin, fmax, htk)`` and X = ``stft(...)``; the small offset keeps digital
    silence finite (log(1e-6) = -13.8), as in TensorFlow's audio tutorials.

    Returns:
        float32 (float64 for float64 input) of shape (..., frames, n_mels).

    >>> log_mel_spectrogram(np.zeros(4000), 16000, n_fft=400, n_mels=8).shape
    (41, 8)
    """
    if not log_offset > 0:
        raise ValueError(f"log_mel_spectrogram: log_offset must be positive. "
                         f"Received: log_offset={log_offset!r}")
    power_spec = spectrogram(signal, n_fft, hop_length, win_length, window, center, pad_mode,
                             power)
    filters = mel_filterbank(sample_rate, n_fft, n_mels, fmin, fmax, htk, dtype=power_spec.dtype)
    # one (frames of every signal, bins) x (bins, mels) product, not one per signal
    flat = power_spec.reshape(-1, power_spec.shape[-1]) @ np.ascontiguousarray(filters.T)
    return np.log(flat.reshape(*power_spec.shape[:-1], n_mels) + log_offset)


def resample(signal, orig_sr, target_sr):
    """Band-limited (FFT) resampling of the last axis from orig_sr to target_sr, as
    ``scipy.signal.resample`` computes it.

    The rFFT is cut (downsampling: frequencies above the new Nyquist are dropped, an ideal
    low-pass) or zero-extended (upsampling) to ``round(length * target_sr / orig_sr)``
    samples and inverted; the signal is treated as one period, so pad it with silence if its
    ends differ. The unpaired Nyquist bin of an even output length is doubled (down) or halved
    (up) to keep both of its halves.

    >>> resample(np.ones(441), 44100, 16000).round(6).tolist() == [1.0] * 160
    True
    """
    x = _float(signal)
    if not (orig_sr > 0 and target_sr > 0):
        raise ValueError(f"resample: sample rates must be positive. Received: "
                         f"orig_sr={orig_sr!r}, target_sr={target_sr!r}")
    n = x.shape[-1]
    m = int(round(n * target_sr / orig_sr))
    if m == n:
        return x.copy()
    if m < 1:
        raise ValueError(f"resample: {n} samples at {orig_sr} Hz give no sample at "
                         f"{target_sr} Hz")
    spectrum = np.fft.rfft(x, axis=-1)[..., : min(m, n) // 2 + 1]
    if min(m, n) % 2 == 0:
        spectrum[..., min(m, n) // 2] *= 2.0 if m < n else 0.5
    return np.fft.irfft(spectrum * (m / n), n=m, axis=-1).astype(x.dtype, copy=False)


def read_wav(path):
    """``(samples, sample_rate)`` from a 16-bit PCM WAV file: float32 in [-1, 1), shape
    (frames,) for mono and (frames, channels) otherwise (soundfile's layout).

    The sizes the header declares are checked against the bytes the file holds before any
    buffer is allocated, so a hostile header cannot ask for gigabytes.

    Raises:
        ValueError: not a WAV file, not 16-bit PCM, or a header that does not fit the file;
            the message names the file.

    >>> import io, wave
    >>> buffer = io.BytesIO()
    >>> with wave.open(buffer, "wb") as w:
    ...     w.setnchannels(1); w.setsampwidth(2); w.setframerate(8000)
    ...     w.writeframes(np.array([0, 16384, -32768], "<i2").tobytes())
    >>> x, sr = read_wav(io.BytesIO(buffer.getvalue()))
    >>> x.tolist(), sr
    ([0.0, 0.5, -1.0], 8000)
    """
    if isinstance(path, (str, os.PathLike)):
        with open(path, "rb") as f:
            return _read_wav(f, os.fspath(path))
    return _read_wav(path, getattr(path, "name", "the WAV stream"))


def _read_wav(f, name):
    try:
        reader = wave.open(f, "rb")
    except (wave.Error, EOFError) as err:
        raise ValueError(f"read_wav: {name} is not a readable WAV file ({err})") from None
    with reader:
        channels, width = reader.getnchannels(), reader.getsampwidth()
        rate, frames = reader.getframerate(), reader.getnframes()
        if width != 2:
            raise ValueError(f"read_wav reads 16-bit PCM; {name} has {8 * width}-bit samples")
        if channels < 1 or rate < 1:
            raise ValueError(f"read_wav: {name} declares {channels} channels at {rate} Hz")
        # wave leaves the file at the first sample: what remains is what the data can be.
        here = f.tell()
        available = f.seek(0, os.SEEK_END) - here
        f.seek(here)
        declared = frames * channels * width
        if declared > available:
            raise ValueError(f"read_wav: {name} declares {declared} bytes of samples but only "
                             f"{available} follow its header (truncated or corrupt)")
        raw = reader.readframes(frames)
    samples = np.frombuffer(raw, dtype="<i2").astype(np.float32) / np.float32(32768)
    return (samples if channels == 1 else samples.reshape(-1, channels)), rate
