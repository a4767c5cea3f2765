"""The batches ``ImageDataGenerator`` hands out: ``flow`` over arrays, ``flow_from_directory``
over folders of class subfolders, and ``image_dataset_from_directory``. Each is a
``Sequence`` for ``fit`` and an endless iterator for ``next()``, as Keras's.

``image_dataset_from_directory`` lists, shuffles and splits its files as Keras's
``index_directory`` and ``get_training_or_validation_split`` do, so a seed picks the same
training and validation files as Keras."""

from __future__ import annotations

import math
import os
import threading
import warnings

import numpy as np

from glassnet import backend
from glassnet.data.image_files import COLOR_MODES, IMAGE_EXTENSIONS, _pil, img_to_array, load_img
from glassnet.data.sequence import Sequence
from glassnet.data.utils import to_categorical


def _warn_not_saved(what, save_to_dir):
    if save_to_dir is not None:
        warnings.warn(f"{what}: save_to_dir={save_to_dir!r} is accepted for compatibility "
                      f"but ignored: augmented images are not written to disk (use "
                      f"save_img on a batch)", UserWarning, stacklevel=3)


class _ImageIterator(Sequence):
    def __init__(self, generator, n, batch_size, shuffle, seed):
        super().__init__()
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or \
                batch_size <= 0:
            raise ValueError(f"batch_size must be a positive integer. Received: {batch_size!r}")
        if n == 0:
            raise ValueError("the image iterator has no samples")
        self.generator, self.n, self.batch_size, self.shuffle = generator, n, batch_size, shuffle
        self.rng = np.random.default_rng(seed) if seed is not None else backend.generator()
        self._cursor = 0  # the next batch of __next__
        self._lock = threading.Lock()  # several threads may draw batches (as Keras allows)
        self._order()

    def _order(self):
        self.index = self.rng.permutation(self.n) if self.shuffle else np.arange(self.n)

    def __len__(self):
        return math.ceil(self.n / self.batch_size)

    def on_epoch_end(self):
        self._order()

    def __iter__(self):
        return self

    def __next__(self):
        """The next batch, endlessly, reshuffled after each pass (Keras's iterators loop:
        ``for x, y in datagen.flow(x, y): ...`` runs until the loop breaks). ``fit`` reads
        batches by index instead, one epoch of ``len(iterator)`` at a time."""
        with self._lock:
            if self._cursor == len(self):
                self._cursor = 0
                self.on_epoch_end()
            i, self._cursor = self._cursor, self._cursor + 1
        return self[i]

    def _transform(self, x):
        g = self.generator
        x = g._augment(x.astype(np.float64), self.rng) if g is not None else x
        return g.standardize(x) if g is not None else x.astype(np.float32)

    def _rows(self, i):
        if not 0 <= i < len(self):
            raise IndexError(f"batch {i} out of range for {len(self)} batches")
        return self.index[i * self.batch_size:(i + 1) * self.batch_size]


class ArrayImageIterator(_ImageIterator):
    def __init__(self, generator, x, y, sample_weight, batch_size, shuffle, seed):
        self.x, self.y, self.sample_weight = x, y, sample_weight
        super().__init__(generator, len(x), batch_size, shuffle, seed)

    def __getitem__(self, i):
        rows = self._rows(i)
        xb = self._transform(np.take(self.x, rows, axis=0))
        if self.y is None:
            return xb
        out = (xb, np.take(self.y, rows, axis=0))
        if self.sample_weight is not None:
            out += (np.take(self.sample_weight, rows, axis=0),)
        return out


def scan_directory(directory, classes=None, subset=None, validation_split=0.0,
                   follow_links=False):
    """(files, labels, class_indices) of the images in ``directory``'s class subfolders.

    Non-image files and unreadable images are skipped, each with a warning naming it
    (hidden files such as .DS_Store silently).
    With ``subset``, the first ``validation_split`` of each class's sorted files are the
    validation part, as Keras splits them.
    """
    directory = os.fspath(directory)
    if not os.path.isdir(directory):
        raise ValueError(f"{directory} is not a directory")
    if classes is None:
        classes = sorted(d for d in os.listdir(directory)
                         if os.path.isdir(os.path.join(directory, d)))
    if not classes:
        raise ValueError(f"{directory} has no class subfolders: put the images of each class "
                         f"in a folder of their own (e.g. {directory}/cats/*.png, "
                         f"{directory}/dogs/*.png)")
    Image = _pil()
    files, labels = [], []
    for k, name in enumerate(classes):
        folder = os.path.join(directory, name)
        found = []
        for root, _, names in sorted(os.walk(folder, followlinks=follow_links)):
            for fname in sorted(names):
                path = os.path.join(root, fname)
                if fname.lower().endswith(IMAGE_EXTENSIONS):
                    found.append(path)
                elif not fname.startswith("."):
                    warnings.warn(f"skipping {path}: not an image file (expected one of "
                                  f"{', '.join(IMAGE_EXTENSIONS)})", stacklevel=3)
        readable = []
        for path in found:
            try:
                with Image.open(path) as img:
                    img.verify()
                readable.append(path)
            except Exception as err:  # any decoding failure: skip this file, say which
                warnings.warn(f"skipping {path}: not a readable image ({err})", stacklevel=3)
        if subset is not None:
            split = int(math.floor(len(readable) * validation_split))
            readable = readable[:split] if subset == "validation" else readable[split:]
        files += readable
        labels += [k] * len(readable)
    if not files:
        raise ValueError(f"{directory}: no readable images in the class folders {classes}")
    return files, np.asarray(labels), {name: k for k, name in enumerate(classes)}


class DirectoryIterator(_ImageIterator):
    CLASS_MODES = ("categorical", "binary", "sparse", "input", None)

    def __init__(self, generator, files, labels, class_indices, target_size, color_mode,
                 class_mode, batch_size, shuffle, seed, interpolation):
        if class_mode not in self.CLASS_MODES:
            raise ValueError(f"class_mode must be one of {self.CLASS_MODES}. Received: "
                             f"{class_mode!r}")
        if class_mode == "binary" and len(class_indices) != 2:
            raise ValueError(f"class_mode='binary' needs exactly 2 classes; found "
                             f"{len(class_indices)}: {sorted(class_indices)}")
        self.filepaths, self.classes, self.class_indices = files, labels, class_indices
        self.target_size, self.color_mode = tuple(target_size), color_mode
        self.class_mode, self.interpolation = class_mode, interpolation
        super().__init__(generator, len(files), batch_size, shuffle, seed)

    @property
    def samples(self):
        return self.n

    def __getitem__(self, i):
        rows = self._rows(i)
        xb = np.stack([img_to_array(load_img(self.filepaths[j], self.color_mode,
                                             self.target_size, self.interpolation))
                       for j in rows])  # decoding files is per file by nature
        xb = self._transform(xb)
        labels = self.classes[rows]
        if self.class_mode == "categorical":
            return xb, to_categorical(labels, len(self.class_indices))
        if self.class_mode == "binary":
            return xb, labels.astype(np.float32)
        if self.class_mode == "sparse":
            return xb, labels
        if self.class_mode == "input":
            return xb, xb
        return xb


ALLOWLIST_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")  # Keras's, for the same files
_INTERPOLATIONS = {"bilinear": "bilinear", "nearest": "nearest", "bicubic": "bicubic",
                   "lanczos3": "lanczos"}  # Pillow's LANCZOS has a = 3


def _image_size(image_size):
    if isinstance(image_size, int) and not isinstance(image_size, bool):
        image_size = (image_size, image_size)
    if not isinstance(image_size, (list, tuple)) or len(image_size) != 2 or not all(
            isinstance(n, (int, np.integer)) and n > 0 for n in image_size):
        raise ValueError(f"Invalid `image_size` value. Expected a tuple of 2 positive "
                         f"integers. Received: image_size={image_size}")
    return tuple(int(n) for n in image_size)


def _interpolation(interpolation):
    name = str(interpolation).lower()
    if name not in _INTERPOLATIONS:
        raise ValueError(f"Argument `interpolation` should be one of "
                         f"{tuple(_INTERPOLATIONS)} (Keras's 'area', 'lanczos5', 'gaussian' "
                         f"and 'mitchellcubic' are TensorFlow kernels Pillow lacks). "
                         f"Received: interpolation={interpolation}")
    return _INTERPOLATIONS[name]


def _check_split(validation_split, subset, shuffle, seed):
    """Keras's checks of ``validation_split``, ``subset`` and ``seed``, with its words."""
    if validation_split and not 0 < validation_split < 1:
        raise ValueError(f"`validation_split` must be between 0 and 1, received: "
                         f"{validation_split}")
    if (validation_split or subset) and not (validation_split and subset):
        raise ValueError("If `subset` is set, `validation_split` must be set, and inversely.")
    if subset not in ("training", "validation", "both", None):
        raise ValueError(f'`subset` must be either "training", "validation" or "both", '
                         f"received: {subset}")
    if validation_split and shuffle and seed is None:
        raise ValueError("If using `validation_split` and shuffling the data, you must "
                         "provide a `seed` argument, to make sure that there is no overlap "
                         "between the training and validation subset.")


def _walk_files(folder, follow_links, formats):
    """Files under ``folder`` with an allowed extension, folders and names sorted."""
    for root, _, names in sorted(os.walk(folder, followlinks=follow_links),
                                 key=lambda entry: entry[0]):
        for name in sorted(names):
            if name.lower().endswith(formats):
                yield os.path.join(root, name)


def index_directory(directory, labels, formats, class_names=None, shuffle=True, seed=None,
                    follow_links=False, verbose=True):
    """``(file_paths, labels, class_names)`` as Keras's ``index_directory`` gives them:
    class folders in sorted order (or ``class_names``' order), files sorted within each,
    then paths and labels shuffled by ``np.random.RandomState(seed)`` when ``shuffle``."""
    directory = os.fspath(directory)
    if not os.path.isdir(directory):
        raise ValueError(f"{directory} is not a directory")
    if labels == "inferred":
        subdirs = [d for d in sorted(os.listdir(directory))
                   if os.path.isdir(os.path.join(directory, d)) and not d.startswith(".")]
        if class_names is not None:
            if not set(class_names).issubset(subdirs):
                raise ValueError(f"The `class_names` passed did not match the names of the "
                                 f"subdirectories of the target directory. Expected: "
                                 f"{subdirs} (or a subset of it), but received: "
                                 f"class_names={class_names}")
            subdirs = list(class_names)
    elif class_names is not None:
        raise ValueError("When `labels` is not 'inferred', argument `class_names` cannot be "
                         "specified.")
    elif labels is not None and not isinstance(labels, (list, tuple, np.ndarray)):
        raise ValueError(f"`labels` argument should be a list/tuple of integer labels, of "
                         f"the same size as the number of image files in the target "
                         f"directory, 'inferred' or None. Received: labels={labels}")
    else:
        subdirs = [""]
    paths, found = [], []
    for k, sub in enumerate(subdirs):
        more = list(_walk_files(os.path.join(directory, sub), follow_links, formats))
        paths += more
        found.append(np.full(len(more), k, np.int32))
    if labels == "inferred":
        labels, names = np.concatenate(found), list(subdirs)
    elif labels is None:
        names = None
    else:
        if len(labels) != len(paths):
            raise ValueError(f"Expected the lengths of `labels` to match the number of files "
                             f"in the target directory. len(labels) is {len(labels)} while we "
                             f"found {len(paths)} files in directory {directory}.")
        names = [str(label) for label in sorted(set(np.asarray(labels).tolist()))]
        labels = np.asarray(labels)
    if verbose:
        print(f"Found {len(paths)} files." if labels is None else
              f"Found {len(paths)} files belonging to {len(names)} classes.")
    if shuffle:
        seed = np.random.randint(1e6) if seed is None else seed
        # one RandomState per list, as Keras: the same permutation for paths and labels
        order = np.arange(len(paths))
        np.random.RandomState(seed).shuffle(order)
        paths = [paths[i] for i in order]
        labels = None if labels is None else labels[order]
    return paths, labels, names


def training_or_validation_split(samples, labels, validation_split, subset):
    """The last ``int(validation_split * n)`` samples for "validation", the others for
    "training" (Keras's ``get_training_or_validation_split``)."""
    if not validation_split:
        return samples, labels
    n_val = int(validation_split * len(samples))
    if subset == "training":
        print(f"Using {len(samples) - n_val} files for training.")
        cut = slice(0, len(samples) - n_val)
    elif subset == "validation":
        print(f"Using {n_val} files for validation.")
        cut = slice(len(samples) - n_val, len(samples))
    else:
        raise ValueError(f'`subset` must be either "training" or "validation", received: '
                         f"{subset}")
    return samples[cut], None if labels is None else labels[cut]


def image_dataset_from_directory(directory, labels="inferred", label_mode="int",
                                 class_names=None, color_mode="rgb", batch_size=32,
                                 image_size=(256, 256), shuffle=True, seed=None,
                                 validation_split=None, subset=None, interpolation="bilinear",
                                 follow_links=False, crop_to_aspect_ratio=False,
                                 pad_to_aspect_ratio=False, data_format=None, format="tf",
                                 verbose=True):
    """Batches ``(images, labels)`` from the image files in ``directory``
    (``keras.utils.image_dataset_from_directory``).

    Images are float32 0-255 of shape ``(batch, height, width, channels)``; labels are int32
    ``(batch,)`` for ``label_mode="int"``, float32 one-hot for ``"categorical"``, float32
    ``(batch, 1)`` for ``"binary"``, absent for None. The result is a ``Sequence`` (indexable,
    ``len`` batches, ``class_names`` and ``file_paths`` attributes) that ``fit`` takes.

    Files are listed, shuffled with ``np.random.RandomState(seed)`` and split (the last
    ``validation_split`` of them for validation) exactly as Keras does: the same seed gives
    the same files in each subset. ``subset="both"`` returns ``[training, validation]``.

    >>> train, val = image_dataset_from_directory("photos", validation_split=0.2,
    ...     subset="both", seed=1337, image_size=(180, 180))  # doctest: +SKIP
    """
    if label_mode not in ("int", "categorical", "binary", None):
        raise ValueError(f'`label_mode` argument must be one of "int", "categorical", '
                         f'"binary", or None. Received: label_mode={label_mode}')
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    if color_mode not in COLOR_MODES:
        raise ValueError(f'`color_mode` must be one of {{"rgb", "rgba", "grayscale"}}. '
                         f"Received: color_mode={color_mode}")
    image_size = _image_size(image_size)
    interpolation = _interpolation(interpolation)
    if pad_to_aspect_ratio:
        raise ValueError("image_dataset_from_directory: pad_to_aspect_ratio=True is not "
                         "supported; use crop_to_aspect_ratio=True or resize")
    if data_format not in (None, "channels_last", "channels_first"):
        raise ValueError(f"data_format must be 'channels_last' or 'channels_first'. "
                         f"Received: data_format={data_format!r}")
    if format != "tf":
        raise ValueError(f'`format` must be "tf" (glassnet\'s Dataset-like Sequence). '
                         f"Received: format={format}")
    _check_split(validation_split, subset, shuffle, seed)
    if seed is None:
        seed = np.random.randint(1e6)
    paths, labels, class_names = index_directory(directory, labels, ALLOWLIST_FORMATS,
                                                 class_names, shuffle, seed, follow_links,
                                                 verbose)
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError(f'When passing `label_mode="binary"`, there must be exactly 2 '
                         f"class_names. Received: class_names={class_names}")

    def make(part, shuffled):
        part_paths, part_labels = training_or_validation_split(
            paths, labels, validation_split, part)
        if not part_paths:
            what = f"{part} images" if subset == "both" else "images"
            raise ValueError(f"No {what} found in directory {directory}. Allowed formats: "
                             f"{ALLOWLIST_FORMATS}")
        return ImageFileDataset(part_paths, part_labels, class_names, label_mode, image_size,
                                color_mode, batch_size, shuffled, seed, interpolation,
                                crop_to_aspect_ratio, data_format or "channels_last")

    if subset == "both":
        return [make("training", shuffle), make("validation", False)]
    return make(subset, shuffle)


class ImageFileDataset(DirectoryIterator):
    """Batches of image files with Keras's dataset label encoding (see
    ``image_dataset_from_directory``)."""

    def __init__(self, paths, labels, class_names, label_mode, image_size, color_mode,
                 batch_size, shuffle, seed, interpolation, crop, data_format):
        indices = {name: k for k, name in enumerate(class_names or [])}
        labels = np.zeros(len(paths), np.int32) if labels is None else \
            np.asarray(labels, np.int32)
        super().__init__(None, list(paths), labels, indices, image_size, color_mode, None,
                         batch_size, shuffle, seed, interpolation)
        self.label_mode, self.crop, self.data_format = label_mode, crop, data_format
        self.class_names, self.file_paths = class_names, self.filepaths

    def __getitem__(self, i):
        rows = self._rows(i)
        xb = np.stack([img_to_array(load_img(self.filepaths[j], self.color_mode,
                                             self.target_size, self.interpolation,
                                             keep_aspect_ratio=self.crop))
                       for j in rows])  # decoding files is per file by nature
        if self.data_format == "channels_first":
            xb = xb.transpose(0, 3, 1, 2)
        xb = np.ascontiguousarray(xb, dtype=np.float32)
        labels = self.classes[rows]
        if self.label_mode is None:
            return xb
        if self.label_mode == "categorical":
            return xb, to_categorical(labels, len(self.class_names))
        if self.label_mode == "binary":
            return xb, labels.astype(np.float32)[:, None]
        return xb, labels
