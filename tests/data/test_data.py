"""Datasets, loaders and preprocessing, against scikit-learn and Keras's rules."""

import numpy as np
import pytest
from sklearn import model_selection, preprocessing

import glassnet as gn
from glassnet.data import (
    ArrayDataset,
    DataLoader,
    Dataset,
    MinMaxScaler,
    Standardizer,
    k_fold,
    pad_sequences,
    train_test_split,
)

RNG = np.random.default_rng(0)


def test_dataloader_batches_shuffle_drop_last_and_seed():
    x, y = np.arange(10)[:, None] * 1.0, np.arange(10)
    loader = DataLoader(ArrayDataset(x, y), batch_size=4)
    batches = list(loader)
    assert len(loader) == 3 and [b[1].tolist() for b in batches] == [[0, 1, 2, 3],
                                                                     [4, 5, 6, 7], [8, 9]]
    assert len(DataLoader(ArrayDataset(x), batch_size=4, drop_last=True)) == 2
    shuffled = DataLoader(ArrayDataset(x, y), batch_size=3, shuffle=True, seed=5)
    first, second = [np.concatenate([b[1] for b in shuffled]) for _ in range(2)]
    assert sorted(first) == list(range(10)) and not np.array_equal(first, second)
    again = DataLoader(ArrayDataset(x, y), batch_size=3, shuffle=True, seed=5)
    np.testing.assert_array_equal(np.concatenate([b[1] for b in again]), first)
    for xb, yb in shuffled:  # features stay with their labels
        np.testing.assert_array_equal(xb[:, 0], yb)


def test_dataloader_over_a_custom_dataset_and_a_training_loop():
    class Squares(Dataset):
        def __len__(self):
            return 64

        def __getitem__(self, i):
            return np.array([i / 64.0], np.float32), np.float32((i / 64.0) ** 2)

    gn.seed(0)
    layer = gn.nn.layers.Dense(1)
    layer.build((None, 1))
    opt = gn.optim.SGD(layer.parameters(), lr=0.5)
    first = None
    for _ in range(20):
        for xb, yb in DataLoader(Squares(), batch_size=16, shuffle=True):
            loss = gn.mean_squared_error(yb[:, None], layer(xb))
            loss.backward()
            opt.step()
            opt.zero_grad()
            first = first or loss.item()
    assert loss.item() < first / 3


def test_dataloader_errors():
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        DataLoader(ArrayDataset(np.zeros(3)), batch_size=0)
    with pytest.raises(ValueError, match="the dataset is empty"):
        DataLoader(ArrayDataset(np.zeros(0)))
    with pytest.raises(ValueError, match=r"same length; received lengths \[3, 2\]"):
        ArrayDataset(np.zeros(3), np.zeros(2))


def test_scalers_match_scikit_learn():
    x, x_new = RNG.normal(3, 2, (50, 4)), RNG.normal(3, 2, (10, 4))
    ours = Standardizer().fit(x)
    theirs = preprocessing.StandardScaler().fit(x)
    np.testing.assert_allclose(ours.transform(x_new), theirs.transform(x_new), rtol=1e-10)
    np.testing.assert_allclose(ours.inverse_transform(ours.transform(x_new)), x_new)
    mm = MinMaxScaler((-1, 1)).fit(x)
    np.testing.assert_allclose(mm.transform(x_new),
                               preprocessing.MinMaxScaler((-1, 1)).fit(x).transform(x_new))
    with pytest.raises(ValueError, match="call fit"):
        Standardizer().transform(x)
    with pytest.raises(ValueError, match="empty data"):
        MinMaxScaler().fit(np.zeros((0, 3)))
    with pytest.raises(ValueError, match="low < high"):
        MinMaxScaler((1, 0))


def test_normalize_is_unit_l2_norm_like_scikit_learn():
    x = RNG.normal(size=(6, 3))
    np.testing.assert_allclose(gn.data.normalize(x), preprocessing.normalize(x), rtol=1e-6)


def test_train_test_split_sizes_alignment_and_stratification():
    x, y = np.arange(100)[:, None], np.repeat([0, 1, 2, 3], [40, 30, 20, 10])
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.2, random_state=0)
    assert len(x_tr) == 80 and len(x_te) == 20
    np.testing.assert_array_equal(y[x_te[:, 0]], y_te)  # rows stay aligned
    assert sorted(np.concatenate([x_tr, x_te])[:, 0]) == list(range(100))
    _, _, _, y_te = train_test_split(x, y, test_size=0.2, stratify=y, random_state=1)
    _, _, _, sk_te = model_selection.train_test_split(x, y, test_size=0.2, stratify=y,
                                                      random_state=1)
    assert np.bincount(y_te).tolist() == np.bincount(sk_te).tolist() == [8, 6, 4, 2]
    a, b = train_test_split(np.arange(10), shuffle=False, test_size=3)
    assert a.tolist() == list(range(7)) and b.tolist() == [7, 8, 9]
    with pytest.raises(ValueError, match="test_size must be a fraction"):
        train_test_split(x, test_size=1.5)
    with pytest.raises(ValueError, match="arrays of different lengths"):
        train_test_split(x, y[:5])


def test_k_fold_matches_scikit_learn():
    for n, k in ((10, 3), (12, 4)):
        ours = [(tr.tolist(), te.tolist()) for tr, te in k_fold(n, k)]
        theirs = [(tr.tolist(), te.tolist()) for tr, te in model_selection.KFold(k).split(
            np.zeros(n))]
        assert ours == theirs
    folds = list(k_fold(10, 5, shuffle=True, random_state=0))
    assert sorted(np.concatenate([te for _, te in folds]).tolist()) == list(range(10))
    with pytest.raises(ValueError, match="n_splits must be in"):
        list(k_fold(3, 5))


def test_pad_sequences_follows_keras():
    seqs = [[1, 2, 3], [4, 5], [6, 7, 8, 9]]
    assert pad_sequences(seqs).tolist() == [[0, 1, 2, 3], [0, 0, 4, 5], [6, 7, 8, 9]]
    assert pad_sequences(seqs, padding="post").tolist() == [[1, 2, 3, 0], [4, 5, 0, 0],
                                                            [6, 7, 8, 9]]
    assert pad_sequences(seqs, maxlen=2).tolist() == [[2, 3], [4, 5], [8, 9]]
    assert pad_sequences(seqs, maxlen=2, truncating="post").tolist() == [[1, 2], [4, 5],
                                                                         [6, 7]]
    assert pad_sequences(seqs, maxlen=3, value=-1, dtype="float32").dtype == np.float32
    assert pad_sequences([[], [1]]).tolist() == [[0], [1]]
    with pytest.raises(ValueError, match="'pre' or 'post'"):
        pad_sequences(seqs, padding="both")
