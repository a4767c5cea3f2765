"""ImageNet preprocessing and decoding, as ``keras.applications.imagenet_utils``.

Each pretrained family expects the pixels (0..255, RGB) transformed the way it was trained:

- ``"caffe"`` (VGG, ResNet): RGB -> BGR, then ``x - mean`` with the ImageNet BGR means
  ``(103.939, 116.779, 123.68)``; no scaling.
- ``"tf"`` (MobileNetV2, Xception): ``x / 127.5 - 1``, into [-1, 1].
- ``"torch"`` (DenseNet): ``(x / 255 - mean) / std`` with the RGB means
  ``(0.485, 0.456, 0.406)`` and deviations ``(0.229, 0.224, 0.225)``.

>>> import numpy as np
>>> preprocess_input(np.full((1, 2, 2, 3), 255.0), mode="tf")[0, 0, 0]
array([1., 1., 1.])
"""

from __future__ import annotations

import json
import os

import numpy as np

from glassnet.applications.weights import CLASS_INDEX_HASH, CLASS_INDEX_URL, fetch
from glassnet.autograd import Tensor
from glassnet.nn.symbolic import SymbolicTensor

_CAFFE_MEAN = (103.939, 116.779, 123.68)
_TORCH_MEAN = (0.485, 0.456, 0.406)
_TORCH_STD = (0.229, 0.224, 0.225)
_CLASS_INDEX_MAX_BYTES = 4 << 20  # the published file is 35 KB
_class_index = {}  # path -> {index: (wnid, name)}, read once per file


def preprocess_input(x, data_format=None, mode="caffe"):
    """Preprocess a batch of images (or one image) with values in [0, 255].

    Args:
        x: a NumPy array (3-D or 4-D, 3 color channels), or a glassnet tensor. A float
            array is transformed in place and returned, as Keras does (``np.copy(x)`` to
            keep it); other dtypes are converted to float32 first.
        data_format: "channels_last" (the default) or "channels_first".
        mode: "caffe", "tf" or "torch" (module docstring).

    Returns:
        The preprocessed array (or tensor).
    """
    if mode not in ("caffe", "tf", "torch"):
        raise ValueError("Expected mode to be one of `caffe`, `tf` or `torch`. "
                         f"Received: mode={mode}")
    if data_format is None:
        data_format = "channels_last"
    elif data_format not in ("channels_first", "channels_last"):
        raise ValueError("Expected data_format to be one of `channels_first` or "
                         f"`channels_last`. Received: data_format={data_format}")
    symbolic = isinstance(x, (Tensor, SymbolicTensor))
    if not symbolic:
        x = np.asarray(x)
        if not np.issubdtype(x.dtype, np.floating):
            x = x.astype(np.float32)
    if mode == "tf":
        if symbolic:
            return x / 127.5 - 1.0
        x /= 127.5
        x -= 1.0
        return x
    axis = _channel_axis(x, data_format)
    # the constants broadcast along the channel axis: (3,) last, (3, 1, 1) first
    shape = (3,) + (1,) * (len(x.shape) - 1 - axis)
    dtype = np.dtype(x.dtype)
    if mode == "torch":
        mean = np.asarray(_TORCH_MEAN, dtype).reshape(shape)
        std = np.asarray(_TORCH_STD, dtype).reshape(shape)
        if symbolic:
            return (x / 255.0 - mean) / std
        x /= 255.0
        x -= mean
        x /= std
        return x
    flip = (slice(None),) * axis + (slice(None, None, -1),)
    mean = np.asarray(_CAFFE_MEAN, dtype).reshape(shape)
    if symbolic:
        return x[flip] - mean
    x = x[flip]  # a view: the subtraction below writes into the caller's array, as Keras
    x -= mean
    return x


def _channel_axis(x, data_format):
    ndim = len(x.shape)
    if ndim not in (3, 4):
        raise ValueError(f"preprocess_input: expected a 3-D image or a 4-D batch of images. "
                         f"Received input of shape {tuple(x.shape)}")
    axis = ndim - 1 if data_format == "channels_last" else ndim - 3
    if x.shape[axis] != 3:
        raise ValueError(f"preprocess_input: expected 3 color channels on axis {axis} "
                         f"({data_format}). Received input of shape {tuple(x.shape)}")
    return axis


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes of each prediction, best first.

    Args:
        preds: array of shape (samples, 1000) (probabilities or logits).
        top: how many classes to return per sample.

    Returns:
        ``[[(class_id, class_name, score), ...], ...]``, one list per sample; ``class_id``
        is the WordNet id ("n01440764"). The class names come from Keras's
        ``imagenet_class_index.json`` (downloaded once into the cache folder).

    >>> decode_predictions(model.predict(x))[0][0]  # doctest: +SKIP
    ('n02123045', 'tabby', 0.87)
    """
    if isinstance(preds, SymbolicTensor):
        raise TypeError("decode_predictions: expected computed predictions (an array), "
                        "not a symbolic tensor")
    preds = np.asarray(preds.numpy() if isinstance(preds, Tensor) else preds)
    if preds.ndim != 2 or preds.shape[1] != 1000:
        raise ValueError("`decode_predictions` expects a batch of predictions (i.e. a 2D "
                         "array of shape (samples, 1000)). Received array with shape: "
                         f"{preds.shape}")
    if isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 1:
        raise ValueError(f"decode_predictions: `top` must be a positive integer. "
                         f"Received: top={top!r}")
    index = _load_class_index()
    best = np.argsort(preds, axis=1)[:, ::-1][:, :top]
    scores = np.take_along_axis(preds, best, axis=1)
    return [[(*index[int(i)], s) for i, s in zip(row, row_scores)]
            for row, row_scores in zip(best, scores)]


def _load_class_index():
    path = fetch("imagenet_class_index.json", CLASS_INDEX_URL, CLASS_INDEX_HASH,
                 "decode_predictions")
    key = os.path.realpath(path)
    if key not in _class_index:
        _class_index[key] = _read_class_index(path)
    return _class_index[key]


def _read_class_index(path):
    size = os.path.getsize(path)
    if size > _CLASS_INDEX_MAX_BYTES:
        raise ValueError(f"{path} is {size} bytes, over the {_CLASS_INDEX_MAX_BYTES}-byte "
                         f"limit for the ImageNet class index; refused")
    with open(path, encoding="utf-8") as f:
        try:
            raw = json.load(f)
        except json.JSONDecodeError as err:
            raise ValueError(f"{path} is not valid JSON ({err})") from None
    bad = ValueError(f"{path}: expected the ImageNet class index, a JSON object mapping "
                     f"'0'..'999' to [wordnet_id, class_name]")
    if not isinstance(raw, dict) or sorted(raw, key=_as_int) != [str(i) for i in range(1000)]:
        raise bad
    index = {}
    for k, v in raw.items():
        if not (isinstance(v, list) and len(v) == 2 and all(isinstance(s, str) for s in v)):
            raise bad
        index[int(k)] = tuple(v)
    return index


def _as_int(key):
    return int(key) if key.isdigit() else -1
