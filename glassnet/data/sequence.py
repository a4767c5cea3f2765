"""``Sequence`` (Keras's ``keras.utils.Sequence``/``PyDataset``): batches by index."""

from __future__ import annotations


class Sequence:
    """A dataset that hands out whole batches: implement ``__len__`` (batches per epoch) and
    ``__getitem__(index)`` returning ``(x, y)`` or ``(x, y, sample_weight)``; optionally
    ``on_epoch_end`` (to reshuffle). ``fit`` calls them in order, once per epoch."""

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        self.workers = workers
        self.use_multiprocessing = use_multiprocessing
        self.max_queue_size = max_queue_size

    def __len__(self):
        raise NotImplementedError

    def __getitem__(self, index):
        raise NotImplementedError

    def on_epoch_end(self):
        pass


PyDataset = Sequence
