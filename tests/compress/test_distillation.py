"""Distiller: the loss against the formula in NumPy, who learns, what evaluate reports,
saving the student, bad arguments, and the Keras example as a user program."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from glassnet import keras
from glassnet.compress import Distiller


def dense_model(n_in, n_out, seed, name):
    model = keras.Sequential([keras.Input((n_in,)), keras.layers.Dense(n_out)], name=name)
    rng = np.random.default_rng(seed)
    model.layers[0].set_weights([rng.normal(size=(n_in, n_out)).astype("float32"),
                                 rng.normal(size=n_out).astype("float32")])
    return model


def make_distiller(alpha=0.3, temperature=4.0, n_out=3, **compile_kwargs):
    teacher, student = dense_model(5, n_out, 1, "teacher"), dense_model(5, n_out, 2, "student")
    distiller = Distiller(student=student, teacher=teacher)
    distiller.compile(optimizer=keras.optimizers.Adam(learning_rate=0.05),
                      metrics=[keras.metrics.SparseCategoricalAccuracy()],
                      student_loss_fn=keras.losses.SparseCategoricalCrossentropy(
                          from_logits=True),
                      distillation_loss_fn=keras.losses.KLDivergence(), alpha=alpha,
                      temperature=temperature, **compile_kwargs)
    return distiller, teacher, student


def data(n=40, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 5)).astype("float32")
    return x, rng.integers(0, 3, size=n)


def np_softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def hand_loss(teacher, student, x, y, alpha, t, scale=True):
    s = np.asarray(student.predict(x, verbose=0), "float64")
    tl = np.asarray(teacher.predict(x, verbose=0), "float64")
    cross_entropy = -np.log(np_softmax(s)[np.arange(len(y)), y]).mean()
    p, q = (np.clip(np_softmax(a / t), 1e-7, 1.0) for a in (tl, s))
    kl = (p * np.log(p / q)).sum(axis=1).mean()   # keras.losses.KLDivergence
    return alpha * cross_entropy + (1 - alpha) * kl * (t * t if scale else 1.0)


@pytest.mark.parametrize("alpha, temperature, scale", [(0.3, 4.0, True), (0.7, 2.0, True),
                                                       (0.3, 4.0, False), (1.0, 3.0, True)])
def test_the_loss_is_the_formula(alpha, temperature, scale):
    distiller, teacher, student = make_distiller(alpha, temperature,
                                                 scale_by_temperature_squared=scale)
    x, y = data()
    expected = hand_loss(teacher, student, x, y, alpha, temperature, scale)
    loss = distiller.evaluate(x, y, batch_size=len(x), verbose=0)[0]
    np.testing.assert_allclose(loss, expected, rtol=1e-4)
    direct = distiller.compute_loss(x, y, distiller(x), training=False)
    np.testing.assert_allclose(float(direct.data), expected, rtol=1e-4)


def test_the_t_squared_factor_changes_the_loss_by_t_squared_on_the_soft_term():
    x, y = data()
    with_factor = make_distiller(alpha=0.0, temperature=5.0)[0]
    without = make_distiller(alpha=0.0, temperature=5.0, scale_by_temperature_squared=False)[0]
    ratio = (with_factor.evaluate(x, y, batch_size=len(x), verbose=0)[0]
             / without.evaluate(x, y, batch_size=len(x), verbose=0)[0])
    np.testing.assert_allclose(ratio, 25.0, rtol=1e-4)


def test_fit_trains_the_student_and_leaves_the_teacher_alone():
    distiller, teacher, student = make_distiller()
    x, y = data(64)
    teacher_before = [w.copy() for w in teacher.get_weights()]
    student_before = [w.copy() for w in student.get_weights()]
    loss_before = distiller.evaluate(x, y, verbose=0)[0]
    history = distiller.fit(x, y, epochs=5, batch_size=16, verbose=0).history
    for before, after in zip(teacher_before, teacher.get_weights()):
        np.testing.assert_array_equal(before, after)
    assert all(np.abs(b - a).max() > 1e-3 for b, a in zip(student_before, student.get_weights()))
    assert history["loss"][-1] < loss_before
    assert {id(w) for w in distiller.trainable_weights} == \
        {id(w) for w in student.trainable_weights}


def test_a_distilled_student_learns_to_imitate_the_teacher():
    # labels that disagree with the teacher: with alpha = 0 the student follows the teacher
    distiller, teacher, student = make_distiller(alpha=0.0, temperature=1.0)
    x, _ = data(200, seed=3)
    wrong = np.random.default_rng(4).integers(0, 3, size=len(x))
    agreement = lambda: (np.argmax(student.predict(x, verbose=0), 1)
                         == np.argmax(teacher.predict(x, verbose=0), 1)).mean()
    start = agreement()
    distiller.fit(x, wrong, epochs=30, batch_size=50, verbose=0)
    assert agreement() > max(0.9, start + 0.2)


def test_evaluate_and_predict_are_the_students():
    distiller, teacher, student = make_distiller()
    x, y = data()
    np.testing.assert_allclose(distiller.predict(x, verbose=0), student.predict(x, verbose=0),
                               rtol=1e-6)
    accuracy = distiller.evaluate(x, y, verbose=0, return_dict=True)["sparse_categorical_accuracy"]
    expected = (np.argmax(student.predict(x, verbose=0), 1) == y).mean()
    teacher_accuracy = (np.argmax(teacher.predict(x, verbose=0), 1) == y).mean()
    assert expected != teacher_accuracy  # the check below can tell the two apart
    np.testing.assert_allclose(accuracy, expected, rtol=1e-6)


def test_the_trained_student_saves_and_loads(tmp_path):
    distiller, _, student = make_distiller()
    x, y = data()
    distiller.fit(x, y, epochs=2, batch_size=20, verbose=0)
    path = tmp_path / "student.keras"
    distiller.student.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), student.predict(x, verbose=0),
                               rtol=1e-6)


@pytest.mark.parametrize("kwargs, name", [({"alpha": 1.5}, "alpha"), ({"alpha": -0.1}, "alpha"),
                                          ({"temperature": 0}, "temperature"),
                                          ({"temperature": -2.0}, "temperature")])
def test_bad_compile_arguments_are_named(kwargs, name):
    with pytest.raises(ValueError, match=name):
        make_distiller(**kwargs)


def test_outputs_of_different_shapes_are_refused():
    teacher, student = dense_model(5, 4, 1, "teacher"), dense_model(5, 3, 2, "student")
    distiller = Distiller(student=student, teacher=teacher)
    distiller.compile(optimizer="adam", metrics=[],
                      student_loss_fn=keras.losses.SparseCategoricalCrossentropy(
                          from_logits=True),
                      distillation_loss_fn=keras.losses.KLDivergence())
    with pytest.raises(ValueError, match=r"teacher output shape \(8, 4\).*student output "
                                         r"shape \(8, 3\)"):
        distiller.fit(*data(8), verbose=0)


def test_models_are_keyword_arguments():
    teacher, student = dense_model(5, 3, 1, "teacher"), dense_model(5, 3, 2, "student")
    with pytest.raises(TypeError):
        Distiller(student, teacher)  # position is refused: a swap would train the teacher
    with pytest.raises(TypeError, match="teacher"):
        Distiller(student=student, teacher="teacher.keras")


# The Keras example (keras.io/examples/vision/knowledge_distillation), import changed, on a
# 4,000-image MNIST sample.
USER_PROGRAM = textwrap.dedent("""
    import sys
    import numpy as np
    from glassnet import keras
    from glassnet.keras import layers
    from glassnet.compress import Distiller

    data = np.load(sys.argv[1])
    x = (data["x"][:4000, :, :, None] / 255.0).astype("float32")
    y = data["y"][:4000]
    x_train, y_train, x_test, y_test = x[:3000], y[:3000], x[3000:], y[3000:]
    keras.utils.set_random_seed(0)

    teacher = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(16, (3, 3), strides=(2, 2), padding="same"),
        layers.LeakyReLU(negative_slope=0.2),
        layers.MaxPooling2D(pool_size=(2, 2), strides=(1, 1), padding="same"),
        layers.Flatten(),
        layers.Dense(10)], name="teacher")
    student = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Flatten(),
        layers.Dense(16, activation="relu"),
        layers.Dense(10)], name="student")
    student_scratch = keras.models.clone_model(student)

    teacher.compile(optimizer=keras.optimizers.Adam(),
                    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                    metrics=[keras.metrics.SparseCategoricalAccuracy()])
    teacher.fit(x_train, y_train, epochs=3, verbose=0)
    teacher_acc = teacher.evaluate(x_test, y_test, verbose=0)[1]

    distiller = Distiller(student=student, teacher=teacher)
    distiller.compile(optimizer=keras.optimizers.Adam(),
                      metrics=[keras.metrics.SparseCategoricalAccuracy()],
                      student_loss_fn=keras.losses.SparseCategoricalCrossentropy(
                          from_logits=True),
                      distillation_loss_fn=keras.losses.KLDivergence(),
                      alpha=0.1, temperature=10)
    distiller.fit(x_train, y_train, epochs=3, verbose=0)
    distilled_acc = distiller.evaluate(x_test, y_test, verbose=0)[1]
    print(f"{teacher_acc:.3f} {distilled_acc:.3f}")
""")


def test_the_keras_example_runs_as_a_user_program(mnist_path):
    result = subprocess.run([sys.executable, "-c", USER_PROGRAM, str(mnist_path)],
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    teacher_acc, distilled_acc = map(float, result.stdout.split())
    assert teacher_acc > 0.85
    assert distilled_acc > 0.75


@pytest.fixture
def mnist_path():
    from pathlib import Path

    path = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "mnist10k.npz"
    if not path.exists():
        pytest.skip(f"the MNIST sample is not at {path}")
    return path


class ExampleDistiller(keras.Model):
    """The Keras 3 example's own subclass, with its ``compute_loss(..., allow_empty=False)``
    signature (no ``training`` argument)."""

    def __init__(self, student, teacher):
        super().__init__()
        self.teacher, self.student = teacher, student

    def compile(self, optimizer, metrics, student_loss_fn, distillation_loss_fn, alpha=0.1,
                temperature=3):
        super().compile(optimizer=optimizer, metrics=metrics)
        self.student_loss_fn, self.distillation_loss_fn = student_loss_fn, distillation_loss_fn
        self.alpha, self.temperature = alpha, temperature

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, allow_empty=False):
        teacher_pred = self.teacher(x, training=False)
        student_loss = self.student_loss_fn(y, y_pred)
        distillation_loss = self.distillation_loss_fn(
            keras.ops.softmax(teacher_pred / self.temperature, axis=1),
            keras.ops.softmax(y_pred / self.temperature, axis=1)) * (self.temperature ** 2)
        return self.alpha * student_loss + (1 - self.alpha) * distillation_loss

    def call(self, x):
        return self.student(x)


def test_the_keras_examples_own_subclass_gives_the_same_loss():
    x, y = data()
    ours, teacher, student = make_distiller(alpha=0.1, temperature=3.0)
    theirs = ExampleDistiller(student=student, teacher=teacher)
    theirs.compile(optimizer="adam", metrics=[], alpha=0.1, temperature=3,
                   student_loss_fn=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                   distillation_loss_fn=keras.losses.KLDivergence())
    expected = ours.evaluate(x, y, batch_size=len(x), verbose=0)[0]
    np.testing.assert_allclose(theirs.evaluate(x, y, batch_size=len(x), verbose=0), expected,
                               rtol=1e-5)
    theirs.fit(x, y, epochs=1, verbose=0)
