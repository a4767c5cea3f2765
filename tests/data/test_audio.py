"""Audio features: the STFT against torch.stft, mel filterbanks against librosa's numbers and an
independent construction, log-mel of pure tones, resampling against scipy, WAV reading."""

import io
import struct
import wave

import numpy as np
import pytest
import torch

from glassnet.data import audio

RNG = np.random.default_rng(0)


# --- frames, windows, STFT -------------------------------------------------------------------

def test_frame_is_a_strided_view():
    x = np.arange(10.0)
    frames = audio.frame(x, 4, 3)
    assert frames.tolist() == [[0, 1, 2, 3], [3, 4, 5, 6], [6, 7, 8, 9]]
    assert np.shares_memory(frames, x)
    assert audio.frame(np.zeros((2, 5, 9)), 4, 2).shape == (2, 5, 3, 4)


@pytest.mark.parametrize("periodic", [True, False])
@pytest.mark.parametrize("length", [1, 2, 7, 400, 512])
def test_windows_match_torch(length, periodic):
    np.testing.assert_allclose(audio.hann_window(length, periodic, np.float64),
                               torch.hann_window(length, periodic, dtype=torch.float64),
                               atol=1e-12)
    np.testing.assert_allclose(audio.hamming_window(length, periodic, np.float64),
                               torch.hamming_window(length, periodic, dtype=torch.float64),
                               atol=1e-12)


STFT_CASES = [  # n_fft, hop_length, win_length, center, pad_mode
    (256, 64, None, True, "reflect"),
    (255, 100, 200, True, "reflect"),
    (512, 160, 400, True, "constant"),
    (64, 7, 33, True, "replicate"),
    (64, 16, None, True, "circular"),
    (128, 50, 100, False, "reflect"),
]


@pytest.mark.parametrize("n_fft,hop,win,center,pad_mode", STFT_CASES)
def test_stft_matches_torch(n_fft, hop, win, center, pad_mode):
    x = RNG.standard_normal((3, 1000)).astype(np.float32)
    ours = audio.stft(x, n_fft, hop, win, "hann", center, pad_mode)
    window = torch.hann_window(win or n_fft)
    ref = torch.stft(torch.tensor(x), n_fft, hop, win, window=window, center=center,
                     pad_mode=pad_mode, return_complex=True).numpy().transpose(0, 2, 1)
    assert ours.shape == ref.shape and ours.dtype == np.complex64
    np.testing.assert_allclose(ours, ref, rtol=1e-5, atol=2e-5)


def test_stft_float64_rectangular_window_and_custom_window():
    x = RNG.standard_normal(777)
    ours = audio.stft(x, 128, 32, window=None)
    ref = torch.stft(torch.tensor(x), 128, 32, window=torch.ones(128, dtype=torch.float64),
                     return_complex=True).numpy().T
    assert ours.dtype == np.complex128 and ours.shape == (1 + 777 // 32, 65)
    np.testing.assert_allclose(ours, ref, atol=1e-10)
    custom = RNG.uniform(size=100)
    ref = torch.stft(torch.tensor(x), 128, 32, 100, window=torch.tensor(custom),
                     return_complex=True).numpy().T
    np.testing.assert_allclose(audio.stft(x, 128, 32, 100, window=custom), ref, atol=1e-10)


def test_spectrogram_power_and_magnitude():
    x = RNG.standard_normal((2, 600))
    ref = torch.stft(torch.tensor(x), 200, 50, window=torch.hann_window(200, dtype=torch.float64),
                     return_complex=True).abs().numpy().transpose(0, 2, 1)
    np.testing.assert_allclose(audio.spectrogram(x, 200, 50, power=1.0), ref, rtol=1e-10)
    np.testing.assert_allclose(audio.spectrogram(x, 200, 50), ref**2, rtol=1e-10)


def test_integer_samples_give_float32():
    x = (RNG.standard_normal(500) * 1000).astype(np.int16)
    assert audio.spectrogram(x, 128).dtype == np.float32
    assert audio.log_mel_spectrogram(x, 8000, n_fft=128, n_mels=10).dtype == np.float32


# --- mel scale and filterbank ----------------------------------------------------------------

def test_mel_scale_against_librosa():
    # librosa 0.11 hz_to_mel([0, 500, 1000, 4000, 8000]) (Slaney) and with htk=True.
    f = [0, 500, 1000, 4000, 8000]
    np.testing.assert_allclose(audio.hz_to_mel(f), [0, 7.5, 15, 35.16376031, 45.24564047],
                               rtol=1e-9)
    np.testing.assert_allclose(audio.hz_to_mel(f, htk=True),
                               [0, 607.44591966, 999.98553714, 2146.06452751, 2840.02304671],
                               rtol=1e-9)
    for htk in (False, True):
        m = np.linspace(0, 50 if not htk else 3000, 31)
        np.testing.assert_allclose(audio.hz_to_mel(audio.mel_to_hz(m, htk), htk), m,
                                   atol=1e-9)


# librosa 0.11 filters.mel(sr=16000, n_fft=512, n_mels=40): the non-zero bins and weights of
# rows 0 and 17, and with fmin=20, fmax=7600, htk=True.
LIBROSA_ROWS = {
    (False, 0): ([1, 2, 3, 4], [0.0057736011, 0.011547202, 0.0098641366, 0.0040905355]),
    (False, 17): (list(range(42, 49)), [0.0016130615, 0.0044983602, 0.007383659, 0.0086425049,
                                        0.0059680189, 0.0032935324, 0.00061904616]),
    (True, 0): ([1, 2, 3], [0.0055772089, 0.021069456, 0.0081475144]),
    (True, 17): (list(range(42, 50)), [0.0018525376, 0.0038925954, 0.0059326529, 0.0079449145,
                                       0.0060229455, 0.0041009774, 0.0021790091,
                                       0.00025704081]),
}


@pytest.mark.parametrize("htk,row", list(LIBROSA_ROWS))
def test_mel_filterbank_against_librosa(htk, row):
    kwargs = {"fmin": 20.0, "fmax": 7600.0, "htk": True} if htk else {}
    fb = audio.mel_filterbank(16000, 512, 40, **kwargs)
    bins, weights = LIBROSA_ROWS[htk, row]
    assert np.flatnonzero(fb[row]).tolist() == bins
    np.testing.assert_allclose(fb[row, bins], weights, rtol=1e-6)


def test_mel_filterbank_last_row_against_librosa():
    fb = audio.mel_filterbank(16000, 512, 40)
    assert np.flatnonzero(fb[39]).tolist() == list(range(220, 256))
    assert fb[39].argmax() == 237
    np.testing.assert_allclose(fb[39].max(), 0.0017454237, rtol=1e-6)


def _triangles(sr, n_fft, n_mels, fmin, fmax, htk):
    """Each filter by linear interpolation through (lower, 0), (centre, 1), (upper, 0): a
    construction independent of the library's ramps."""
    edges = audio.mel_to_hz(np.linspace(audio.hz_to_mel(fmin, htk), audio.hz_to_mel(fmax, htk),
                                        n_mels + 2), htk)
    freqs = np.arange(n_fft // 2 + 1) * sr / n_fft
    return np.stack([np.interp(freqs, edges[m:m + 3], [0.0, 1.0, 0.0])
                     for m in range(n_mels)]), edges


@pytest.mark.parametrize("sr,n_fft,n_mels,fmin,fmax,htk", [
    (16000, 512, 40, 0.0, None, False), (22050, 2048, 128, 0.0, None, False),
    (16000, 400, 26, 300.0, 6000.0, True), (8000, 256, 20, 20.0, 4000.0, False)])
def test_mel_filterbank_properties(sr, n_fft, n_mels, fmin, fmax, htk):
    plain = audio.mel_filterbank(sr, n_fft, n_mels, fmin, fmax, htk, norm=None,
                                 dtype=np.float64)
    ref, edges = _triangles(sr, n_fft, n_mels, fmin, fmax or sr / 2, htk)
    np.testing.assert_allclose(plain, ref, atol=1e-12)
    slaney = audio.mel_filterbank(sr, n_fft, n_mels, fmin, fmax, htk, dtype=np.float64)
    assert slaney.shape == (n_mels, n_fft // 2 + 1) and (slaney >= 0).all()
    np.testing.assert_allclose(slaney, plain * (2 / (edges[2:] - edges[:-2]))[:, None])
    # Equal areas: a unit-height triangle's area is (upper - lower) / 2 Hz, so every Slaney
    # filter sums to 1 / bin width, up to sampling, for filters many bins wide.
    wide = (edges[2:] - edges[:-2]) > 8 * sr / n_fft
    np.testing.assert_allclose(slaney[wide].sum(axis=1) * sr / n_fft, 1.0, rtol=0.02)
    peaks = plain.argmax(axis=1)[plain.max(axis=1) > 0]
    assert (np.diff(peaks) >= 0).all()
    assert audio.mel_filterbank(sr, n_fft, n_mels, fmin, fmax, htk).dtype == np.float32


@pytest.mark.parametrize("band", [3, 13, 24, 37])
def test_log_mel_of_a_pure_tone_peaks_at_its_band(band):
    sr, n_fft, n_mels = 16000, 512, 40
    centres = audio.mel_to_hz(np.linspace(0, audio.hz_to_mel(sr / 2), n_mels + 2))[1:-1]
    tone = np.sin(2 * np.pi * centres[band] * np.arange(sr) / sr)
    logmel = audio.log_mel_spectrogram(tone, sr, n_fft=n_fft, hop_length=160, n_mels=n_mels)
    assert logmel.shape == (101, n_mels)
    # the first and last frames see the reflected padding's phase jump
    assert (logmel[1:-1].argmax(axis=1) == band).all()
    # the bands far from the tone get only the Hann window's leakage, far below the peak
    assert (logmel[1:-1, band] - np.delete(logmel[1:-1], np.s_[band - 2:band + 3], axis=1)
            .max(axis=1) > 5).all()


def test_log_mel_against_librosa():
    # librosa 0.11: log(feature.melspectrogram(y, sr=16000, n_fft=512, hop_length=160,
    # win_length=400, n_mels=40, center=True, pad_mode="reflect") + 1e-6), transposed,
    # of a chirp from 200 Hz, at frames [0, 12, 25, 37, 50] and bands [0, 9, 19, 29, 39].
    expected = [[3.47544, -2.00229, -5.24044, -8.06025, -9.86711],
                [-13.62077, -2.87138, -13.26871, -13.81521, -13.81551],
                [-13.81505, -13.72728, 4.19067, -13.81298, -13.81551],
                [-13.81488, -13.81145, -13.50569, -13.74952, -13.8155],
                [-5.17295, -5.05064, -4.46864, -1.2029, -6.38442]]
    t = np.arange(8000) / 16000
    y = np.sin(2 * np.pi * (200 + 3000 * t) * t)
    for dtype, atol in ((np.float64, 2e-5), (np.float32, 2e-3)):
        logmel = audio.log_mel_spectrogram(y.astype(dtype), 16000, n_fft=512, hop_length=160,
                                           win_length=400, n_mels=40)
        assert logmel.shape == (51, 40) and logmel.dtype == dtype
        np.testing.assert_allclose(logmel[np.ix_([0, 12, 25, 37, 50], [0, 9, 19, 29, 39])],
                                   expected, atol=atol)


def test_log_mel_of_a_batch_equals_each_signal():
    x = RNG.standard_normal((4, 3000)).astype(np.float32)
    batch = audio.log_mel_spectrogram(x, 8000, n_fft=256, n_mels=32)
    single = audio.log_mel_spectrogram(x[2], 8000, n_fft=256, n_mels=32)
    np.testing.assert_allclose(batch[2], single, rtol=1e-5, atol=1e-5)


# --- resampling ------------------------------------------------------------------------------

@pytest.mark.parametrize("n,m", [(22050, 16000), (1001, 500), (1000, 437), (1000, 1600),
                                 (999, 2000), (1000, 500)])
def test_resample_matches_scipy(n, m):
    signal = pytest.importorskip("scipy.signal")
    x = RNG.standard_normal((2, n))
    ours = audio.resample(x, n, m)
    assert ours.shape == (2, m)
    np.testing.assert_allclose(ours, signal.resample(x, m, axis=-1), atol=1e-10)
    assert audio.resample(x.astype(np.float32), n, m).dtype == np.float32


def test_resample_keeps_a_band_limited_tone():
    t = np.arange(22050) / 22050
    y = audio.resample(np.sin(2 * np.pi * 440 * t), 22050, 16000)
    np.testing.assert_allclose(y, np.sin(2 * np.pi * 440 * np.arange(16000) / 16000),
                               atol=1e-9)


# --- WAV files -------------------------------------------------------------------------------

def _wav_bytes(samples, rate=16000, width=2):
    samples = np.asarray(samples)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1 if samples.ndim == 1 else samples.shape[1])
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(samples.astype("<i2" if width == 2 else "u1").tobytes())
    return buffer.getvalue()


def test_read_wav_of_files_written_by_wave(tmp_path):
    mono = np.array([0, 1, -1, 32767, -32768, 12345], np.int16)
    path = tmp_path / "mono.wav"
    path.write_bytes(_wav_bytes(mono, 22050))
    for source in (path, str(path)):
        x, sr = audio.read_wav(source)
        assert sr == 22050 and x.dtype == np.float32 and x.shape == (6,)
        np.testing.assert_array_equal(x, mono / 32768.0)
    stereo = RNG.integers(-32768, 32768, (50, 2)).astype(np.int16)
    x, sr = audio.read_wav(io.BytesIO(_wav_bytes(stereo, 8000)))
    assert sr == 8000 and x.shape == (50, 2)
    np.testing.assert_array_equal(x, stereo / 32768.0)
    x, _ = audio.read_wav(io.BytesIO(_wav_bytes(np.zeros(0, np.int16))))
    assert x.shape == (0,)


def _patched(data, offset, fmt, value):
    data = bytearray(data)
    struct.pack_into(fmt, data, offset, value)
    return bytes(data)


GOOD = _wav_bytes(np.arange(100, dtype=np.int16))  # 44-byte header, then 200 bytes


@pytest.mark.parametrize("data,message", [
    (_patched(GOOD, 40, "<I", 0xFFFFFFF0), "declares 4294967280 bytes of samples but only 200"),
    (GOOD[:100], "declares 200 bytes of samples but only 56"),
    (_patched(GOOD, 22, "<H", 0), "not a readable WAV"),  # no channels
    (_patched(GOOD, 20, "<H", 3), "not a readable WAV"),  # IEEE float, not PCM
    (_patched(GOOD, 24, "<I", 0), "0 Hz"),
    (_wav_bytes(np.arange(10, dtype=np.uint8), width=1), "16-bit PCM; .* 8-bit"),
    (b"RIFX" + GOOD[4:], "not a readable WAV"),
    (GOOD[:10], "not a readable WAV"),
    (b"", "not a readable WAV"),
])
def test_read_wav_rejects_hostile_headers(data, message):
    with pytest.raises(ValueError, match=message):
        audio.read_wav(io.BytesIO(data))


def test_read_wav_names_the_file(tmp_path):
    path = tmp_path / "broken.wav"
    path.write_bytes(GOOD[:60])
    with pytest.raises(ValueError, match="broken.wav"):
        audio.read_wav(path)


# --- bad arguments ---------------------------------------------------------------------------

@pytest.mark.parametrize("call,error,message", [
    (lambda x: audio.stft(x, 256, win_length=300), ValueError, "win_length must be at most"),
    (lambda x: audio.stft(x, 0), ValueError, "n_fft=0"),
    (lambda x: audio.stft(x, 256, hop_length=2.5), ValueError, "hop_length=2.5"),
    (lambda x: audio.stft(x, 256, pad_mode="mirror"), ValueError, "pad_mode"),
    (lambda x: audio.stft(x, 256, window="kaiser"), ValueError, "window must be one of"),
    (lambda x: audio.stft(x, 256, window=np.ones(5)), ValueError, r"expected shape \(256,\)"),
    (lambda x: audio.stft(x[:100], 256), ValueError, "reflect padding needs more than"),
    (lambda x: audio.stft(x[:100], 256, center=False), ValueError, "at least n_fft=256"),
    (lambda x: audio.stft(x.astype(complex), 256), TypeError, "real samples"),
    (lambda x: audio.stft(np.float32(1.0), 4), ValueError, "scalar"),
    (lambda x: audio.spectrogram(x, 256, power=0), ValueError, "power"),
    (lambda x: audio.mel_filterbank(16000, 512, fmax=9000), ValueError, "fmax=9000"),
    (lambda x: audio.mel_filterbank(16000, 512, fmin=-1), ValueError, "fmin=-1"),
    (lambda x: audio.mel_filterbank(16000, 512, n_mels=0), ValueError, "n_mels=0"),
    (lambda x: audio.mel_filterbank(0, 512), ValueError, "sr=0"),
    (lambda x: audio.mel_filterbank(16000, 512, norm="l2"), ValueError, "norm"),
    (lambda x: audio.log_mel_spectrogram(x, 16000, log_offset=0), ValueError, "log_offset"),
    (lambda x: audio.frame(x, 2000, 10), ValueError, "frame_length=2000"),
    (lambda x: audio.resample(x, 0, 16000), ValueError, "orig_sr=0"),
    (lambda x: audio.resample(x[:2], 16000, 100), ValueError, "give no sample"),
])
def test_bad_arguments(call, error, message):
    with pytest.raises(error, match=message):
        call(RNG.standard_normal(1000).astype(np.float32))
