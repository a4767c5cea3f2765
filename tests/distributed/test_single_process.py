"""glassnet.distributed in one process (no launcher): a job of size 1."""

import sys

import numpy as np
import pytest

import glassnet
import glassnet.distributed as hvd
from glassnet import keras, optim
from glassnet.data import Dataset

pytest.importorskip("mpi4py.MPI", reason="glassnet.distributed needs mpi4py and an MPI "
                    "library: pip install 'glassnet[distributed]', apt install openmpi-bin")


@pytest.fixture(autouse=True)
def job():
    hvd.init()
    yield
    hvd.init()


def test_a_plain_process_is_a_job_of_one():
    hvd.init()  # a second call does nothing
    assert hvd.is_initialized()
    assert (hvd.rank(), hvd.size(), hvd.local_rank(), hvd.local_size()) == (0, 1, 0, 1)
    assert (hvd.cross_rank(), hvd.cross_size()) == (0, 1)


def test_calls_before_init_name_init():
    hvd.shutdown()
    assert not hvd.is_initialized()
    for call in (hvd.rank, hvd.size, lambda: hvd.allreduce(np.ones(2)),
                 lambda: hvd.DistributedOptimizer(optim.SGD()), lambda: hvd.shard(np.ones(4))):
        with pytest.raises(ValueError, match=r"not been initialized; call "
                                             r"glassnet.distributed.init\(\)"):
            call()


def test_missing_mpi4py_names_the_extra(monkeypatch):
    hvd.shutdown()
    monkeypatch.setitem(sys.modules, "mpi4py", None)
    with pytest.raises(ImportError, match=r"pip install 'glassnet\[distributed\]'"):
        hvd.init()


def test_init_checks_its_arguments():
    hvd.shutdown()
    with pytest.raises(ValueError, match="timeout"):
        hvd.init(timeout=0)
    with pytest.raises(TypeError, match="comm"):
        hvd.init(comm="world")


def test_collectives_return_the_kind_they_get():
    x = np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32)
    for op in (hvd.Average, hvd.Sum, hvd.Min, hvd.Max):
        out = hvd.allreduce(x, op=op, name="x")
        assert isinstance(out, np.ndarray) and out.dtype == np.float32
        np.testing.assert_array_equal(out, x)
        assert out is not x
    t = hvd.allreduce(glassnet.tensor([1.0, 2.0]))
    assert isinstance(t, glassnet.Tensor) and t.tolist() == [1.0, 2.0]
    assert hvd.allreduce(np.array([1, 2]), op=hvd.Average).dtype == np.float64
    assert hvd.allreduce(np.array([1, 2]), op=hvd.Sum).dtype == np.array([1]).dtype
    half = hvd.allreduce(x, compression=hvd.Compression.fp16)
    assert half.dtype == np.float32
    np.testing.assert_array_equal(hvd.allgather(x), x)
    assert hvd.allgather(np.float64(3.0)).shape == (1,)
    assert isinstance(hvd.broadcast(glassnet.tensor(x), 0), glassnet.Tensor)


def test_collectives_reject_bad_arguments():
    with pytest.raises(NotImplementedError, match="Adasum"):
        hvd.allreduce(np.ones(2), op=hvd.Adasum)
    with pytest.raises(ValueError, match="`op` must be one of"):
        hvd.allreduce(np.ones(2), op="mean")
    with pytest.raises(TypeError, match="`tensor` must be a NumPy array or a glassnet Tensor"):
        hvd.allreduce("abc")
    with pytest.raises(TypeError, match="must hold numbers"):
        hvd.allgather(np.array([True]))
    with pytest.raises(ValueError, match=r"`root_rank` must be in \[0, 1\)"):
        hvd.broadcast(np.ones(2), root_rank=1)
    with pytest.raises(ValueError, match="root_rank"):
        hvd.broadcast_variables([], root_rank=-1)
    with pytest.raises(TypeError, match="list of Tensors"):
        hvd.broadcast_variables(glassnet.tensor([1.0]))
    with pytest.raises(ValueError, match="compression"):
        hvd.allreduce(np.ones(2), compression="fp16")
    with pytest.raises(ValueError, match="compression"):
        hvd.allreduce(np.ones(2), compression=None)


def _grads(rng, shapes):
    return [rng.normal(size=s).astype(np.float32) for s in shapes]


def _vars(shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [glassnet.nn.Parameter(rng.normal(size=s).astype(np.float32)) for s in shapes]


SHAPES = [(3, 4), (4,), (200, 100)]  # small ones (a flat group) and a large one


def test_distributed_optimizer_is_the_wrapped_one_bit_for_bit():
    plain, wrapped = optim.Adam(1e-2), hvd.DistributedOptimizer(optim.Adam(1e-2))
    assert type(wrapped).__name__ == "Adam" and isinstance(wrapped, optim.Adam)
    assert wrapped.get_config() == plain.get_config()
    assert optim.serialize(wrapped)["class_name"] == "Adam"
    a, b = _vars(SHAPES), _vars(SHAPES)
    rng = np.random.default_rng(1)
    for _ in range(3):
        grads = _grads(rng, SHAPES)
        plain.apply_gradients(zip(grads, a))
        wrapped.apply_gradients(zip(grads, b))
    for p, q in zip(a, b):
        np.testing.assert_array_equal(p.data, q.data)
    assert wrapped.iterations == 3 and wrapped.learning_rate == plain.learning_rate


def test_backward_passes_are_summed_before_one_update():
    plain = optim.SGD(0.1, momentum=0.9)
    wrapped = hvd.DistributedOptimizer(optim.SGD(0.1, momentum=0.9), backward_passes_per_step=2)
    a, b = _vars(SHAPES), _vars(SHAPES)
    rng = np.random.default_rng(2)
    g1, g2 = _grads(rng, SHAPES), _grads(rng, SHAPES)
    wrapped.apply(g1, b)
    for p, q in zip(a, b):
        np.testing.assert_array_equal(p.data, q.data)  # no update yet
    assert wrapped.iterations == 0
    wrapped.apply(g2, b)
    plain.apply([x + y for x, y in zip(g1, g2)], a)
    for p, q in zip(a, b):
        np.testing.assert_array_equal(p.data, q.data)
    assert wrapped.iterations == 1


def test_fp16_compression_rounds_the_gradients_to_half():
    plain, wrapped = optim.SGD(0.5), hvd.DistributedOptimizer(
        optim.SGD(0.5), compression=hvd.Compression.fp16)
    a, b = _vars(SHAPES), _vars(SHAPES)
    grads = _grads(np.random.default_rng(3), SHAPES)
    wrapped.apply(grads, b)
    plain.apply([g.astype(np.float16).astype(np.float32) for g in grads], a)
    for p, q in zip(a, b):
        np.testing.assert_array_equal(p.data, q.data)
    assert not all(np.array_equal(g, g.astype(np.float16)) for g in grads)  # it did round


def test_pytorch_style_step_and_state_carried_over():
    params = _vars([(5, 3)])
    base = optim.Adam(params, lr=1e-2)
    params[0].grad = np.ones((5, 3), np.float32)
    base.step()
    opt = hvd.DistributedOptimizer(base)
    assert opt.iterations == 1 and opt.params is base.params
    params[0].grad = np.ones((5, 3), np.float32)
    opt.step()
    assert opt.iterations == 2
    twin = optim.Adam(_vars([(5, 3)]), lr=1e-2)
    for _ in range(2):
        twin.params[0].grad = np.ones((5, 3), np.float32)
        twin.step()
    np.testing.assert_array_equal(twin.params[0].data, params[0].data)


def test_distributed_optimizer_checks_its_arguments():
    with pytest.raises(TypeError, match="`optimizer` must be a glassnet Optimizer"):
        hvd.DistributedOptimizer(3)
    with pytest.raises(ValueError, match="backward_passes_per_step"):
        hvd.DistributedOptimizer(optim.SGD(), backward_passes_per_step=0)
    with pytest.raises(ValueError, match="`op` must be one of Average, Sum"):
        hvd.DistributedOptimizer(optim.SGD(), op=hvd.Max)
    with pytest.raises(ValueError, match="compression"):
        hvd.DistributedOptimizer(optim.SGD(), compression=None)
    with pytest.raises(ValueError, match="already a DistributedOptimizer"):
        hvd.DistributedOptimizer(hvd.DistributedOptimizer("sgd"))


def _model():
    glassnet.seed(0)
    return keras.Sequential([keras.layers.Dense(8, activation="relu", input_shape=(4,)),
                             keras.layers.Dense(3, activation="softmax")])


def test_fit_save_and_load_without_glassnet_distributed(tmp_path):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(64, 4)).astype(np.float32), rng.integers(0, 3, 64)
    model = _model()
    model.compile(optimizer=hvd.DistributedOptimizer(keras.optimizers.Adam(1e-2)),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(*hvd.shard(x, y), batch_size=16, epochs=2, verbose=0, callbacks=[
        hvd.BroadcastGlobalVariablesCallback(0), hvd.MetricAverageCallback(),
        hvd.LearningRateWarmupCallback(1e-2, warmup_epochs=1)])
    assert len(history.history["loss"]) == 2
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert type(loaded.optimizer) is optim.Adam  # the plain class: no distributed needed
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_warmup_needs_a_step_count_and_checks_arguments():
    with pytest.raises(ValueError, match="initial_lr"):
        hvd.LearningRateWarmupCallback(0)
    with pytest.raises(ValueError, match="warmup_epochs"):
        hvd.LearningRateWarmupCallback(0.1, warmup_epochs=-1)
    cb = hvd.LearningRateWarmupCallback(0.1, warmup_epochs=4)
    assert cb.multiplier(0.5) == 1.0  # one rank: nothing to warm up


def test_shard_gives_equal_disjoint_parts():
    x, y = np.arange(20).reshape(10, 2), np.arange(10)
    parts = [hvd.shard(x, y, num_shards=3, index=i, seed=5) for i in range(3)]
    assert [len(p[1]) for p in parts] == [4, 4, 4]  # 10 padded to 12 by repeating
    seen = np.concatenate([p[1] for p in parts])
    assert sorted(set(seen.tolist())) == list(range(10)) and len(seen) == 12
    for px, py in parts:
        np.testing.assert_array_equal(px[:, 0] // 2, py)
    dropped = [hvd.shard(x, num_shards=3, index=i, drop_remainder=True) for i in range(3)]
    assert [len(p) for p in dropped] == [3, 3, 3]
    assert len(set(np.concatenate(dropped)[:, 0].tolist())) == 9
    np.testing.assert_array_equal(hvd.shard(y, shuffle=False, num_shards=2, index=1),
                                  [1, 3, 5, 7, 9])
    both = hvd.shard({"a": x, "b": y}, num_shards=2, index=0, shuffle=False)
    np.testing.assert_array_equal(both["b"], [0, 2, 4, 6, 8])
    np.testing.assert_array_equal(hvd.shard(y), y[np.random.default_rng(0).permutation(10)])


def test_shard_checks_its_arguments():
    with pytest.raises(ValueError, match="same number of samples"):
        hvd.shard(np.ones((4, 2)), np.ones(3))
    with pytest.raises(ValueError, match=r"`index` must be in \[0, 2\)"):
        hvd.shard(np.ones(4), num_shards=2, index=2)
    with pytest.raises(ValueError, match="both `num_shards` and `index`"):
        hvd.shard(np.ones(4), num_shards=2)
    with pytest.raises(ValueError, match="cannot give each of 4 ranks one"):
        hvd.shard(np.ones(3), num_shards=4, index=0, drop_remainder=True)


def test_shard_of_a_dataset():
    ds = Dataset.from_tensor_slices((np.arange(7.0), np.arange(7)))
    parts = [[int(b) for _, b in hvd.shard(ds, num_shards=2, index=i)] for i in range(2)]
    assert parts == [[0, 2, 4], [1, 3, 5]]  # cut to 6: the same count on each rank
    with pytest.raises(ValueError, match="length is unknown"):
        hvd.shard(ds.filter(lambda a, b: b > 2), num_shards=2, index=0)
