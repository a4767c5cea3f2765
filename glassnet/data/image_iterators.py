"""The batches ``ImageDataGenerator`` hands out: ``flow`` over arrays, ``flow_from_directory``
over folders of class subfolders, and ``image_dataset_from_directory``. Each is a
``Sequence`` for ``fit`` and an endless iterator for ``next()``, as Keras's."""

from __future__ import annotations

import math
import os
import threading
import warnings

import numpy as np

from glassnet import backend
from glassnet.data.image_files import IMAGE_EXTENSIONS, _pil, img_to_array, load_img
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


def image_dataset_from_directory(directory, labels="inferred", label_mode="int",
                                 class_names=None, color_mode="rgb", batch_size=32,
                                 image_size=(256, 256), shuffle=True, seed=None,
                                 validation_split=None, subset=None, interpolation="bilinear"):
    """Batches (images 0-255 float32, labels) from ``directory``'s class subfolders, like
    Keras's function (a ``Sequence`` here, with ``class_names``)."""
    if labels != "inferred":
        raise ValueError("image_dataset_from_directory: only labels='inferred' is supported")
    modes = {"int": "sparse", "categorical": "categorical", "binary": "binary", None: None}
    if label_mode not in modes:
        raise ValueError(f"label_mode must be one of {sorted(k for k in modes if k)} or None. "
                         f"Received: {label_mode!r}")
    files, labs, indices = scan_directory(directory, class_names, subset,
                                          validation_split or 0.0)
    iterator = DirectoryIterator(None, files, labs, indices, image_size, color_mode,
                                 modes[label_mode], batch_size, shuffle, seed, interpolation)
    iterator.class_names = sorted(indices, key=indices.get)
    return iterator
