import numpy as np
import pytest
import torch
from helpers import check_layer
from nn.layers.augmentation_fixtures import KERAS, SIGNAL

from glassnet import keras
from glassnet.keras.layers import MelSpectrogram, STFTSpectrogram


def test_mel_spectrogram_matches_keras():
    # Keras 3.15's numbers on the same signal (fixtures/make_augmentation_reference.py)
    db = MelSpectrogram(fft_length=128, sequence_stride=32, num_mel_bins=16,
                        sampling_rate=8000, min_freq=50.0)
    out = db(SIGNAL[None])
    assert out.dtype == np.float32 and out.shape == (1, 16, 26)
    assert db.compute_output_shape((None, 800)) == (None, 16, 26)
    np.testing.assert_allclose(out.numpy(), KERAS["mel"], atol=2e-3, rtol=1e-4)
    linear = MelSpectrogram(fft_length=64, sequence_stride=16, sequence_length=48,
                            window="hamming", num_mel_bins=8, sampling_rate=4000, mag_exp=1.0,
                            power_to_db=False)
    np.testing.assert_allclose(linear(SIGNAL[None]).numpy(), KERAS["mel_linear"], atol=2e-4,
                               rtol=1e-4)
    np.testing.assert_allclose(linear(SIGNAL).numpy(), KERAS["mel_linear"][0], atol=2e-4,
                               rtol=1e-4)  # unbatched
    config = db.get_config()
    assert MelSpectrogram.from_config(config).get_config() == config


def test_mel_spectrogram_of_a_tone_peaks_at_its_frequency():
    t = np.arange(4000) / 8000
    tone = np.sin(2 * np.pi * 1000 * t).astype("float32")
    out = MelSpectrogram(fft_length=256, sequence_stride=128, num_mel_bins=40,
                         sampling_rate=8000, power_to_db=False)(tone[None]).numpy()[0]
    centres = 700 * (np.exp(np.linspace(1127 * np.log(1 + 20 / 700),
                                        1127 * np.log(1 + 4000 / 700), 42)[1:-1] / 1127) - 1)
    assert abs(centres[out.mean(axis=1).argmax()] - 1000) < 100


def test_stft_spectrogram_matches_keras():
    log = STFTSpectrogram(mode="log", frame_length=64, frame_step=16, fft_length=64)
    out = log(SIGNAL[None, :, None])
    assert out.shape == (1, 47, 33) == log.compute_output_shape((1, 800, 1))
    np.testing.assert_allclose(out.numpy(), KERAS["stft"], atol=5e-3)
    assert log.count_params() == 2 * 64 * 33  # learnable real and imaginary kernels, as Keras
    real = STFTSpectrogram(mode="real", frame_length=48, frame_step=20, fft_length=64,
                           window="hamming", padding="same", expand_dims=True)
    np.testing.assert_allclose(real(SIGNAL[None, :300, None]).numpy(), KERAS["stft_real"],
                               atol=2e-4)
    assert real.count_params() == 48 * 33


def test_stft_modes_agree_with_numpy_fft():
    x = np.random.default_rng(0).standard_normal((2, 96, 2)).astype("float32")
    frames = np.lib.stride_tricks.sliding_window_view(x, 32, axis=1)[:, ::8]  # (b, t, c, 32)
    spectrum = np.fft.rfft(frames, axis=-1)  # rectangular window, no scaling
    layer = STFTSpectrogram(mode="stft", frame_length=32, frame_step=8, window=None,
                            expand_dims=True)
    out = layer(x).numpy()  # (batch, frames, 2 * bins, channels)
    np.testing.assert_allclose(out[:, :, :17], spectrum.real.transpose(0, 1, 3, 2), atol=1e-4)
    np.testing.assert_allclose(out[:, :, 17:], spectrum.imag.transpose(0, 1, 3, 2), atol=1e-4)
    psd = STFTSpectrogram(mode="psd", frame_length=32, frame_step=8, window=None)(x).numpy()
    power = np.abs(spectrum) ** 2
    power[..., 1:-1] *= 2
    np.testing.assert_allclose(psd, power.reshape(2, -1, 34), rtol=1e-4, atol=1e-3)
    first = STFTSpectrogram(mode="magnitude", frame_length=32, frame_step=8,
                            data_format="channels_first")(x.transpose(0, 2, 1)).numpy()
    last = STFTSpectrogram(mode="magnitude", frame_length=32, frame_step=8)(x).numpy()
    np.testing.assert_allclose(first, last.transpose(0, 2, 1), rtol=1e-5)


def _channels_first(a, inverse=False):
    return np.moveaxis(a, 1, -1) if inverse else np.moveaxis(a, -1, 1)


def _torch_conv(layer, module):
    with torch.no_grad():  # ours (frame_length, 1, bins) -> torch (bins, 1, frame_length)
        module.weight.copy_(torch.tensor(layer.real_kernel.numpy()).permute(2, 1, 0))
    return [(layer.real_kernel, module.weight, lambda g: g.permute(2, 1, 0).numpy())]


@pytest.mark.parametrize("mode", ["real", "magnitude", "log", "stft"])
def test_stft_spectrogram_layer_conformance(mode):
    torch_args = {}
    if mode == "real":  # one strided Conv1d with the DFT kernel
        torch_args = dict(torch_module=torch.nn.Conv1d(1, 5, 8, stride=3, bias=False),
                          torch_weights=_torch_conv,
                          to_torch_input=_channels_first,
                          from_torch_output=lambda t: t.permute(0, 2, 1))
    check_layer(lambda: STFTSpectrogram(mode=mode, frame_length=8, frame_step=3),
                (2, 20, 1), expected_params=8 * 5 * (1 if mode == "real" else 2),
                rtol=1e-4, atol=1e-4, **torch_args)


def test_bad_arguments_and_inputs():
    with pytest.raises(ValueError, match=r"`fft_length` must be greater than or equal to"):
        MelSpectrogram(fft_length=64, sequence_length=128)
    with pytest.raises(ValueError, match=r"`frame_step` should be a positive integer not "
                                         r"greater than `frame_length`"):
        STFTSpectrogram(frame_length=16, frame_step=32)
    with pytest.raises(ValueError, match=r"Output mode is invalid.*Received: mode=power"):
        STFTSpectrogram(mode="power")
    with pytest.raises(ValueError, match=r"Padding is invalid"):
        STFTSpectrogram(padding="causal")
    with pytest.raises(ValueError, match=r"expected input of rank 3"):
        STFTSpectrogram(frame_length=8)(np.zeros((2, 50), "float32"))
    with pytest.raises(ValueError, match=r"received input of shape \(2, 10\)"):
        MelSpectrogram(fft_length=64)(np.zeros((2, 10), "float32"))
    with pytest.warns(UserWarning, match="power of two"):
        STFTSpectrogram(frame_length=8, fft_length=12)


def test_mel_features_feed_a_model_that_fits():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    t = np.arange(1024) / 8000
    x = np.stack([np.sin(2 * np.pi * (300 if i % 2 else 2000) * t + rng.uniform(0, 6))
                  for i in range(16)]).astype("float32")
    y = np.arange(16) % 2
    model = keras.Sequential([
        keras.Input((1024,)), MelSpectrogram(fft_length=256, sequence_stride=128,
                                             num_mel_bins=16, sampling_rate=8000),
        keras.layers.Rescaling(1 / 80), keras.layers.Flatten(),
        keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, y, epochs=30, verbose=0)
    assert history.history["accuracy"][-1] == 1.0
