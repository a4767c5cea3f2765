"""Keras 3's audio layers: STFTSpectrogram (a learnable DFT, as Keras) and MelSpectrogram.

STFTSpectrogram frames the signal and multiplies each frame by two kernels initialised to
the windowed DFT basis, ``real[n, k] = w[n] cos(2 pi n k / N) / s`` and ``imag[n, k] =
-w[n] sin(2 pi n k / N) / s`` (N = fft_length, s the window scaling), so it is an ordinary
differentiable layer whose kernels may be trained. MelSpectrogram is a fixed feature: the
centred STFT of ``glassnet.data.audio``, |X|^mag_exp, TensorFlow's mel filter bank
(mel(f) = 1127 ln(1 + f / 700)) and optionally decibels.

>>> import numpy as np
>>> from glassnet.nn.layers.spectrogram import MelSpectrogram
>>> MelSpectrogram(fft_length=256, sequence_stride=64, num_mel_bins=32)(
...     np.zeros((2, 1024), "float32")).shape
(2, 32, 17)
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from glassnet import backend
from glassnet.autograd import ops
from glassnet.autograd.tensor import Tensor
from glassnet.data import audio
from glassnet.nn import validation as check
from glassnet.nn.layer import Layer

_EPSILON = 1e-7  # keras.backend.epsilon()


def get_window(window, length, periodic=True):
    """A named window ("hann", "hamming", or any scipy.signal window), an array, or None."""
    if window is None:
        return np.ones(length)
    if isinstance(window, str):
        if window in audio.WINDOWS:
            return audio.WINDOWS[window](length, periodic=periodic, dtype=np.float64)
        try:
            from scipy import signal
        except ImportError:
            raise ValueError(f"window {window!r} needs scipy (pip install scipy); 'hann' and "
                             f"'hamming' work without it") from None
        try:
            return signal.get_window(window, length, fftbins=periodic)
        except ValueError as err:
            raise ValueError(f"Unknown window {window!r}: {err}") from None
    w = np.asarray(window, dtype=np.float64)
    if w.shape != (length,):
        raise ValueError(f"The shape of `window` must be equal to [{length}]. Received: "
                         f"window shape={w.shape}")
    return w


def linear_to_mel_weight_matrix(num_mel_bins=20, num_spectrogram_bins=129,
                                sampling_rate=8000, lower_edge_hertz=125.0,
                                upper_edge_hertz=3800.0):
    """tf.signal's (num_spectrogram_bins, num_mel_bins) triangular filters, equally spaced
    in mel(f) = 1127 ln(1 + f / 700) between the edges; the DC bin gets no weight."""
    def mel(f):
        return 1127.0 * np.log(1.0 + np.asarray(f, np.float64) / 700.0)

    bins = mel(np.linspace(0.0, sampling_rate / 2.0, num_spectrogram_bins)[1:])[:, None]
    edges = np.linspace(mel(lower_edge_hertz), mel(upper_edge_hertz), num_mel_bins + 2)
    lower, centre, upper = edges[:-2], edges[1:-1], edges[2:]
    weights = np.maximum(0.0, np.minimum((bins - lower) / (centre - lower),
                                         (upper - bins) / (upper - centre)))
    return np.pad(weights, ((1, 0), (0, 0)))


class MelSpectrogram(Layer):
    """Mel spectrogram of (batch, time) or (time,) signals -> (batch, num_mel_bins, frames),
    frames = 1 + time // sequence_stride.

    S = |STFT(x)|^mag_exp @ M; with ``power_to_db``: 10 log10(max(S, min_power)) - 10
    log10(max(|ref_power|, min_power)), floored at its maximum (over the whole call, as
    Keras) minus ``top_db``.
    """

    def __init__(self, fft_length=2048, sequence_stride=512, sequence_length=None,
                 window="hann", sampling_rate=16000, num_mel_bins=128, min_freq=20.0,
                 max_freq=None, power_to_db=True, top_db=80.0, mag_exp=2.0, min_power=1e-10,
                 ref_power=1.0, **kwargs):
        super().__init__(**kwargs)
        name = "MelSpectrogram"
        self.fft_length = check.positive_int(fft_length, "fft_length", name)
        self.sequence_stride = check.positive_int(sequence_stride, "sequence_stride", name)
        self.sequence_length = check.positive_int(sequence_length or fft_length,
                                                  "sequence_length", name)
        if self.fft_length < self.sequence_length:
            raise ValueError(f"{name}: `fft_length` must be greater than or equal to "
                             f"`sequence_length`. Received: `sequence_length`="
                             f"{self.sequence_length}, `fft_length`={self.fft_length}.")
        self.window = window
        self._window = None if window is None else get_window(window, self.sequence_length)
        self.sampling_rate = check.positive_int(sampling_rate, "sampling_rate", name)
        self.num_mel_bins = check.positive_int(num_mel_bins, "num_mel_bins", name)
        self.min_freq = check.number(min_freq, "min_freq", name, low=0)
        self.max_freq = max_freq or int(sampling_rate / 2)
        check.number(self.max_freq, "max_freq", name, low=self.min_freq, low_open=True,
                     high=sampling_rate / 2)
        self.power_to_db = check.boolean(power_to_db, "power_to_db", name)
        self.top_db = check.number(top_db, "top_db", name, low=0)
        self.mag_exp = check.number(mag_exp, "mag_exp", name, low=0, low_open=True)
        self.min_power = check.number(min_power, "min_power", name, low=0, low_open=True)
        self.ref_power = check.number(ref_power, "ref_power", name)
        self._filters = linear_to_mel_weight_matrix(
            self.num_mel_bins, self.fft_length // 2 + 1, self.sampling_rate, self.min_freq,
            self.max_freq)

    def check_input(self, inputs):
        if inputs.ndim not in (1, 2) or inputs.shape[-1] <= self.fft_length // 2:
            raise ValueError(f"MelSpectrogram '{self.name}' expected signals of shape "
                             f"(batch, time) or (time,) with time > fft_length // 2 = "
                             f"{self.fft_length // 2} (reflect padding); received input of "
                             f"shape {tuple(inputs.shape)}")

    def call(self, inputs):
        # (glassnet.data.audio is NumPy code: a GPU input is computed on the host, and the
        # result copied back to that GPU)
        x = np.asarray(backend.to_host(inputs.data), dtype=np.float64)
        spec = np.abs(audio.stft(x, self.fft_length, self.sequence_stride, self.sequence_length,
                                 self._window, center=True, pad_mode="reflect")) ** self.mag_exp
        out = spec @ self._filters
        if self.power_to_db:
            out = 10.0 * np.log10(np.maximum(out, self.min_power)) - \
                10.0 * np.log10(max(abs(self.ref_power), self.min_power))
            out = np.maximum(out, out.max() - self.top_db)
        out = np.ascontiguousarray(np.swapaxes(out, -1, -2).astype(np.float32))
        if backend.on_device(inputs.data):
            out = backend.to_device(out, backend.device_of(inputs.data))
        return Tensor._from_op(out, None)

    def compute_output_shape(self, input_shape):
        *batch, time = input_shape
        frames = None if time is None else 1 + time // self.sequence_stride
        return (*batch, self.num_mel_bins, frames)

    def get_config(self):
        return {**super().get_config(), "fft_length": self.fft_length,
                "sequence_stride": self.sequence_stride,
                "sequence_length": self.sequence_length, "window": self.window,
                "sampling_rate": self.sampling_rate, "num_mel_bins": self.num_mel_bins,
                "min_freq": self.min_freq, "max_freq": self.max_freq,
                "power_to_db": self.power_to_db, "top_db": self.top_db,
                "mag_exp": self.mag_exp, "min_power": self.min_power,
                "ref_power": self.ref_power}


class STFTSpectrogram(Layer):
    """Spectrogram of (batch, time, channels) signals (channels_last) by a learnable DFT.

    ``mode``: "log" (log |X|), "magnitude" (|X|), "psd" (|X|^2, interior bins doubled),
    "real", "imag", "angle", "stft" (real and imaginary parts concatenated). Output (batch,
    frames, channels * bins), or (batch, frames, bins, channels) with ``expand_dims``;
    channels_first swaps as Keras. ``scaling`` divides the kernels by sqrt(sum w^2)
    ("density") or sum |w| ("spectrum").
    """

    MODES = ("log", "magnitude", "psd", "real", "imag", "angle", "stft")

    def __init__(self, mode="log", frame_length=256, frame_step=None, fft_length=None,
                 window="hann", periodic=False, scaling="density", padding="valid",
                 expand_dims=False, data_format=None, **kwargs):
        name = "STFTSpectrogram"
        frame_length = check.positive_int(frame_length, "frame_length", name)
        if frame_step is not None and (not isinstance(frame_step, (int, np.integer))
                                       or frame_step > frame_length or frame_step < 1):
            raise ValueError(f"{name}: `frame_step` should be a positive integer not greater "
                             f"than `frame_length`. Received frame_step={frame_step}, "
                             f"frame_length={frame_length}")
        if fft_length is not None and (not isinstance(fft_length, (int, np.integer))
                                       or fft_length < frame_length):
            raise ValueError(f"{name}: `fft_length` should be not less than `frame_length`. "
                             f"Received fft_length={fft_length}, frame_length={frame_length}")
        if fft_length is not None and (fft_length & -fft_length) != fft_length:
            warnings.warn(f"`fft_length` is recommended to be a power of two. Received "
                          f"fft_length={fft_length}", stacklevel=2)
        if mode not in self.MODES:
            raise ValueError(f"{name}: Output mode is invalid, it must be one of "
                             f"{', '.join(self.MODES)}. Received: mode={mode}")
        if scaling is not None and scaling not in ("density", "spectrum"):
            raise ValueError(f"{name}: Scaling is invalid, it must be `None`, 'density' or "
                             f"'spectrum'. Received scaling={scaling}")
        if padding not in ("valid", "same"):
            raise ValueError(f"{name}: Padding is invalid, it should be 'valid', 'same'. "
                             f"Received: padding={padding}")
        super().__init__(**kwargs)
        self.mode, self.frame_length, self.frame_step = mode, frame_length, frame_step
        self.fft_length, self.window, self.periodic = fft_length, window, periodic
        self.scaling, self.padding = scaling, padding
        self.expand_dims = check.boolean(expand_dims, "expand_dims", name)
        self.data_format = "channels_last" if data_format is None else check.one_of(
            data_format, ("channels_last", "channels_first"), "data_format", name)
        self._frame_step = frame_step or frame_length // 2
        self._fft_length = fft_length or 2 ** int(math.ceil(math.log2(frame_length)))
        self._win = None if window is None else get_window(window, frame_length, periodic)

    def _kernel(self, side):
        bins = self._fft_length // 2 + 1
        angle = -2 * np.pi * np.arange(self.frame_length)[:, None] * \
            np.arange(bins) / ((bins - 1) * 2)
        kernel = np.cos(angle) if side == "real" else np.sin(angle)
        if self._win is not None:
            scale = {"density": np.sqrt(np.sum(self._win ** 2)),
                     "spectrum": np.sum(np.abs(self._win)), None: 1.0}[self.scaling]
            kernel = kernel * self._win[:, None] / scale
        return kernel[:, None, :]

    def build(self, input_shape):
        shape = (self.frame_length, 1, self._fft_length // 2 + 1)
        for side in ("real", "imag"):
            if self.mode != ("imag" if side == "real" else "real"):
                values = self._kernel(side)
                setattr(self, f"{side}_kernel", self.add_weight(
                    f"{side}_kernel", shape, initializer=lambda s, dtype=None, v=values:
                    v.astype(dtype or np.float32)))
        self.built = True

    def check_input(self, inputs):
        if inputs.ndim != 3:
            raise ValueError(f"STFTSpectrogram '{self.name}' expected input of rank 3 "
                             f"(batch, time, channels) ({self.data_format}); received shape "
                             f"{tuple(inputs.shape)}")
        if inputs.shape[self._time_axis()] < (self.frame_length if self.padding == "valid"
                                              else 1):
            raise ValueError(f"STFTSpectrogram '{self.name}': the signal is shorter than "
                             f"frame_length={self.frame_length}; received input of shape "
                             f"{tuple(inputs.shape)}")

    def _time_axis(self):
        return 1 if self.data_format == "channels_last" else 2

    def _frames(self, length):
        """Start offsets of the frames and the zero padding (left, right) of "same"."""
        step, size = self._frame_step, self.frame_length
        if self.padding == "valid":
            return (length - size) // step + 1, (0, 0)
        count = -(-length // step)
        total = max((count - 1) * step + size - length, 0)
        return count, (total // 2, total - total // 2)

    def call(self, inputs):
        x = inputs if self.data_format == "channels_first" else ops.transpose(inputs, (0, 2, 1))
        batch, channels, length = x.shape
        count, pad = self._frames(length)
        if pad != (0, 0):
            x = ops.pad(x, ((0, 0), (0, 0), pad))
        xp = backend.get_array_module(x.data)  # the frames' index is made where x is
        index = xp.arange(count)[:, None] * self._frame_step + xp.arange(self.frame_length)
        frames = x[:, :, index]  # (batch, channels, frames, frame_length)
        real = None if self.mode == "imag" else ops.matmul(frames, self.real_kernel[:, 0, :])
        imag = None if self.mode == "real" else ops.matmul(frames, self.imag_kernel[:, 0, :])
        if self.mode in ("real", "imag", "angle", "stft"):
            out = {"real": real, "imag": imag}.get(self.mode)
            if self.mode == "angle":
                out = ops.atan2(imag, real)
            elif self.mode == "stft":
                out = ops.concatenate([real, imag], axis=-1)
        else:
            power = real * real + imag * imag
            if self.mode == "psd":
                out = power + ops.pad(power[..., 1:-1], ((0, 0), (0, 0), (0, 0), (1, 1)))
            else:
                out = ops.sqrt(ops.maximum(power, _EPSILON))
                if self.mode == "log":
                    out = ops.log(ops.maximum(out, _EPSILON))
        return self._arrange(out)

    def _arrange(self, out):
        """(batch, channels, frames, bins) -> Keras's output layout."""
        batch, channels, frames, bins = out.shape
        if self.data_format == "channels_last":
            if self.expand_dims:
                return ops.transpose(out, (0, 2, 3, 1))
            return ops.reshape(ops.transpose(out, (0, 2, 1, 3)), (batch, frames, channels * bins))
        if self.expand_dims:
            return out
        return ops.reshape(ops.transpose(out, (0, 1, 3, 2)), (batch, channels * bins, frames))

    def compute_output_shape(self, input_shape):
        axis = self._time_axis()
        channels = input_shape[3 - axis]
        length = input_shape[axis]
        frames = None if length is None else self._frames(length)[0]
        bins = (self._fft_length // 2 + 1) * (2 if self.mode == "stft" else 1)
        if self.expand_dims:
            return ((input_shape[0], frames, bins, channels) if axis == 1
                    else (input_shape[0], channels, frames, bins))
        flat = None if channels is None else channels * bins
        return (input_shape[0], frames, flat) if axis == 1 else (input_shape[0], flat, frames)

    def get_config(self):
        return {**super().get_config(), "mode": self.mode, "frame_length": self.frame_length,
                "frame_step": self.frame_step, "fft_length": self.fft_length,
                "window": self.window, "periodic": self.periodic, "scaling": self.scaling,
                "padding": self.padding, "data_format": self.data_format,
                "expand_dims": self.expand_dims}
