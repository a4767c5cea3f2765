"""``text_dataset_from_directory``: a ``Dataset`` of (text, label) batches from a folder of
class subfolders of ``.txt`` files, as Keras's function; and the directory indexing and
training/validation split it is built on, written for any file type (``formats``).

Keras's semantics, step by step:

- classes are the subfolders (hidden ones skipped) in alphabetical order, or
  ``class_names``' order; files are found by walking each one (``follow_links`` to follow
  symbolic links), sorted;
- with ``shuffle`` the file list is permuted once with ``numpy.random.RandomState(seed)``,
  exactly as Keras does, so the same seed picks the same validation files;
- ``validation_split=v`` keeps the last ``int(v * n)`` files of that list for validation;
- the dataset then shuffles through a buffer of ``8 * batch_size`` files, a new order each
  pass, reads each file and cuts it to ``max_length`` bytes.

Texts are Python str (UTF-8 decoded; an undecodable byte becomes U+FFFD) where TensorFlow
gives bytes.
"""

from __future__ import annotations

import codecs
import os

import numpy as np

from glassnet import backend, checks
from glassnet.data.dataset import AUTOTUNE, Dataset
from glassnet.data.utils import to_categorical

__all__ = ["check_validation_split", "index_directory", "split_for_subset",
           "text_dataset_from_directory"]

LABEL_MODES = ("int", "categorical", "binary", None)


def check_validation_split(validation_split, subset, shuffle, seed, owner):
    """Keras's rules for ``validation_split`` / ``subset`` (and a seed when shuffling)."""
    if validation_split is not None and not (
            isinstance(validation_split, (int, float, np.integer, np.floating))
            and not isinstance(validation_split, bool)):
        raise TypeError(f"{owner}: `validation_split` must be a number between 0 and 1. "
                        f"Received: validation_split={validation_split!r}")
    if validation_split and not 0 < validation_split < 1:
        raise ValueError(f"{owner}: `validation_split` must be between 0 and 1, received: "
                         f"{validation_split}")
    if (validation_split or subset) and not (validation_split and subset):
        raise ValueError(f"{owner}: If `subset` is set, `validation_split` must be set, and "
                         f"inversely. Received: validation_split={validation_split!r}, "
                         f"subset={subset!r}")
    if subset not in ("training", "validation", "both", None):
        raise ValueError(f"{owner}: `subset` must be either \"training\", \"validation\" or "
                         f"\"both\", received: {subset!r}")
    if validation_split and shuffle and seed is None:
        raise ValueError(f"{owner}: If using `validation_split` and shuffling the data, you "
                         f"must provide a `seed` argument, to make sure that there is no "
                         f"overlap between the training and validation subset.")


def _files_under(folder, formats, follow_links):
    walk = sorted(os.walk(folder, followlinks=follow_links), key=lambda entry: entry[0])
    return [os.path.join(root, name) for root, _, names in walk for name in sorted(names)
            if name.lower().endswith(formats)]


def index_directory(directory, labels, formats, class_names=None, shuffle=True, seed=None,
                    follow_links=False, verbose=True, owner="index_directory"):
    """(file paths, labels, class names) of the files ending in ``formats`` under
    ``directory``, as Keras indexes them (see the module docstring).

    ``labels`` is "inferred" (a class per subfolder), None (no labels) or a list with one
    integer label per file, in the sorted order of all the files under ``directory``.
    """
    directory = os.fspath(directory)
    if not os.path.isdir(directory):
        raise ValueError(f"{owner}: `directory` must be a folder; {directory!r} is not one")
    if labels == "inferred":
        folders = sorted(d for d in os.listdir(directory)
                         if os.path.isdir(os.path.join(directory, d)) and not d.startswith("."))
        if class_names is not None:
            class_names = list(class_names)
            if not set(class_names) <= set(folders):
                raise ValueError(f"{owner}: The `class_names` passed did not match the names "
                                 f"of the subdirectories of the target directory. Expected: "
                                 f"{folders} (or a subset of it), but received: "
                                 f"class_names={class_names}")
            folders = class_names
        found = [_files_under(os.path.join(directory, d), formats, follow_links)
                 for d in folders]
        paths = [p for files in found for p in files]
        label_array = np.repeat(np.arange(len(folders), dtype=np.int32),
                                [len(files) for files in found])
        class_names = folders
    else:
        if class_names is not None:
            raise ValueError(f"{owner}: You can only pass `class_names` if "
                             f"`labels=\"inferred\"`. Received: labels={labels!r}, and "
                             f"class_names={class_names}")
        paths = _files_under(directory, formats, follow_links)
        label_array = None
        if labels is not None:
            label_array = np.asarray(labels)
            if label_array.ndim != 1 or label_array.dtype.kind not in "iu":
                raise ValueError(f"{owner}: `labels` must be \"inferred\", None or a list of "
                                 f"integer labels, one per file. Received: labels of shape "
                                 f"{label_array.shape} and dtype {label_array.dtype}")
            if len(label_array) != len(paths):
                raise ValueError(f"{owner}: Expected the lengths of `labels` to match the "
                                 f"number of files in the target directory. len(labels) is "
                                 f"{len(label_array)} while we found {len(paths)} files in "
                                 f"directory {directory}.")
            class_names = [str(v) for v in sorted(set(label_array.tolist()))]
    if verbose:
        if label_array is None:
            print(f"Found {len(paths)} files.")
        else:
            print(f"Found {len(paths)} files belonging to {len(class_names)} classes.")
    if shuffle:  # the same permutation Keras draws, for paths and labels alike
        order = np.arange(len(paths))
        np.random.RandomState(seed).shuffle(order)
        paths = np.asarray(paths, dtype=str)[order].tolist()
        if label_array is not None:
            label_array = label_array[order]
    return paths, label_array, class_names


def split_for_subset(samples, labels, validation_split, subset, verbose=True):
    """The ``subset`` ("training" or "validation") part of ``samples`` (and ``labels``): the
    last ``int(validation_split * n)`` samples are the validation part."""
    if not validation_split:
        return samples, labels
    n = len(samples)
    cut = n - int(validation_split * n)
    part = slice(0, cut) if subset == "training" else slice(cut, n)
    if verbose:
        print(f"Using {cut if subset == 'training' else n - cut} files for {subset}.")
    return samples[part], None if labels is None else labels[part]


def _reader(max_length):
    def read(path, *label):
        with open(np.asarray(path).item(), "rb") as f:
            raw = f.read() if max_length is None else f.read(max_length)
        # an incremental decoder keeps back a character cut in half by max_length
        text = codecs.getincrementaldecoder("utf-8")("replace").decode(
            raw, final=max_length is None)
        return (text, *label) if label else text
    return read


def _dataset(paths, labels, label_mode, num_classes, max_length, shuffle, buffer_size,
             seed):
    paths = np.array(paths, dtype=str)
    if label_mode is None:
        dataset = Dataset.from_tensor_slices(paths)
    else:
        if label_mode == "binary":
            labels = labels.astype(np.float32)[:, None]
        elif label_mode == "categorical":
            labels = to_categorical(labels, num_classes)
        dataset = Dataset.from_tensor_slices((paths, labels))
    if shuffle:
        dataset = dataset.shuffle(buffer_size, seed=seed)
    return dataset.map(_reader(max_length), num_parallel_calls=AUTOTUNE)


def text_dataset_from_directory(directory, labels="inferred", label_mode="int",
                                class_names=None, batch_size=32, max_length=None,
                                shuffle=True, seed=None, validation_split=None, subset=None,
                                follow_links=False, verbose=True):
    """A ``Dataset`` of (texts, labels) batches from the ``.txt`` files of ``directory``'s
    class subfolders (Keras's ``text_dataset_from_directory``; see the module docstring).

    Args:
        directory: a folder with one subfolder of ``.txt`` files per class.
        labels: "inferred" (from the subfolders), None (texts only) or one integer label per
            file (sorted order of all files under ``directory``).
        label_mode: "int" (int32 class indices), "categorical" (one-hot float32), "binary"
            (float32, shape (batch, 1); two classes) or None (texts only).
        class_names: the subfolders to use, in label order (default: all, alphabetical).
        batch_size: texts per batch (None: single texts).
        max_length: texts cut to this many bytes (None: whole).
        shuffle, seed: shuffle the files (Keras's permutation, then an ``8 * batch_size``
            buffer each pass); the seed is needed with ``validation_split``.
        validation_split, subset: hold out the last ``validation_split`` of the shuffled
            files; ``subset`` "training", "validation" or "both" (a [training, validation]
            list).
        follow_links: follow symbolic links to folders.

    Returns a ``Dataset`` (or two) with ``class_names``; prints "Found N files belonging to
    K classes." as Keras.

    >>> import pathlib, tempfile
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> for label, text in [("neg", "dull and slow"), ("pos", "a delight")]:
    ...     (root / label).mkdir()
    ...     _ = (root / label / "review.txt").write_text(text)
    >>> ds = text_dataset_from_directory(root, shuffle=False)
    Found 2 files belonging to 2 classes.
    >>> [(x.tolist(), y.tolist()) for x, y in ds.as_numpy_iterator()], ds.class_names
    ([(['dull and slow', 'a delight'], [0, 1])], ['neg', 'pos'])
    """
    owner = "text_dataset_from_directory"
    if labels not in ("inferred", None) and not isinstance(labels, (list, tuple, np.ndarray)):
        raise ValueError(f"{owner}: `labels` argument should be a list/tuple of integer "
                         f"labels, of the same size as the number of text files in the target "
                         f"directory. If you wish to infer the labels from the subdirectory "
                         f"names in the target directory, pass `labels=\"inferred\"`. If you "
                         f"wish to get a dataset that only contains text samples (no labels), "
                         f"pass `labels=None`. Received: labels={labels!r}")
    if label_mode not in LABEL_MODES:
        raise ValueError(f"{owner}: `label_mode` argument must be one of \"int\", "
                         f"\"categorical\", \"binary\", or None. Received: "
                         f"label_mode={label_mode!r}")
    batch_size = checks.integer(batch_size, "batch_size", owner, allow_none=True)
    max_length = checks.integer(max_length, "max_length", owner, allow_none=True)
    if seed is not None:
        seed = checks.integer(seed, "seed", owner, 0)
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    check_validation_split(validation_split, subset, shuffle, seed, owner)
    if seed is None:
        seed = int(backend.generator().integers(10 ** 6))
    paths, label_array, class_names = index_directory(
        directory, labels, (".txt",), class_names, shuffle, seed, follow_links, verbose,
        owner)
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError(f"{owner}: When passing `label_mode=\"binary\"`, there must be "
                         f"exactly 2 class_names. Received: class_names={class_names}")
    buffer_size = 1024 if batch_size is None else batch_size * 8
    num_classes = len(class_names) if class_names else 0
    subsets = ("training", "validation") if subset == "both" else (subset,)
    datasets = []
    for part in subsets:  # one dataset per subset asked for
        part_paths, part_labels = split_for_subset(paths, label_array, validation_split, part,
                                                   verbose)
        if not part_paths:
            which = "" if part is None else f"{part} "
            raise ValueError(f"{owner}: No {which}text files found in directory "
                             f"{directory}. Allowed format: .txt")
        # "both" keeps the validation files in order; a lone subset shuffles (Keras)
        shuffled = shuffle and not (subset == "both" and part == "validation")
        dataset = _dataset(part_paths, part_labels, label_mode, num_classes, max_length,
                           shuffled, buffer_size, seed)
        if batch_size is not None:
            dataset = dataset.batch(batch_size)
        dataset.class_names = class_names
        datasets.append(dataset)
    return datasets if subset == "both" else datasets[0]
