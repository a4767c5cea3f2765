"""Knowledge distillation (Hinton, Vinyals and Dean 2015): a small student learns from a
trained teacher's softened outputs as well as from the labels.

The Keras example "Knowledge Distillation" as a ready class: ``Distiller`` is a ``Model``
whose ``compile(optimizer, metrics, student_loss_fn, distillation_loss_fn, alpha,
temperature)`` sets the loss

.. math::

    L = \\alpha \\, \\ell_s(y, s) + (1 - \\alpha) \\, T^2 \\,
        \\ell_d(\\mathrm{softmax}(t / T), \\mathrm{softmax}(s / T))

where ``s`` and ``t`` are the student's and the teacher's outputs (logits) on the batch. The
factor :math:`T^2` is Hinton et al.'s: the gradient of the soft term scales as
:math:`1/T^2`, so without it the soft targets' share of the update shrinks as the
temperature grows (``scale_by_temperature_squared=False`` leaves it out).

The teacher is frozen: it runs in inference mode, without a gradient, and its weights are
not among ``trainable_weights``. ``call``, ``evaluate`` and ``predict`` use the student; the
loss ``evaluate`` reports is the same combined loss, so its numbers are comparable with
``fit``'s.

>>> import numpy as np
>>> from glassnet import keras
>>> from glassnet.compress import Distiller
>>> teacher = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
>>> student = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
>>> distiller = Distiller(student=student, teacher=teacher)
>>> distiller.compile(optimizer="adam", metrics=["accuracy"],
...     student_loss_fn=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
...     distillation_loss_fn=keras.losses.KLDivergence(), alpha=0.1, temperature=3)
>>> x, y = np.ones((4, 3), "float32"), np.array([0, 1, 0, 1])
>>> sorted(distiller.fit(x, y, epochs=1, verbose=0).history)
['accuracy', 'loss']
"""

from __future__ import annotations

import numbers

from glassnet.autograd import no_grad, softmax
from glassnet.train import Model


class Distiller(Model):
    """Train ``student`` to match ``teacher`` (frozen) and the labels.

    Args:
        student: the model to train (any glassnet/Keras model returning logits).
        teacher: the trained model to learn from, with outputs shaped like the student's.

    Both are keyword-only: the Keras example writes ``Distiller(student=..., teacher=...)``
    while newer APIs put the teacher first, and two models swapped by position would train
    the wrong one without a word.
    """

    def __init__(self, *, student, teacher, **kwargs):
        super().__init__(**kwargs)
        for argument, model in (("student", student), ("teacher", teacher)):
            if not callable(model):
                raise TypeError(f"Distiller: `{argument}` must be a model (a callable from a "
                                f"batch to outputs). Received: {type(model).__name__}")
        self.student = student
        self.teacher = teacher
        self._shapes_checked = False

    def compile(self, optimizer, metrics=None, student_loss_fn=None,
                distillation_loss_fn=None, alpha=0.1, temperature=3,
                scale_by_temperature_squared=True, **kwargs):
        """Configure distillation.

        Args:
            optimizer: the optimizer of the student's weights.
            metrics: metrics of the student's outputs against the labels.
            student_loss_fn: ``loss(y_true, student_outputs)``, e.g.
                ``SparseCategoricalCrossentropy(from_logits=True)``.
            distillation_loss_fn: ``loss(teacher_probs, student_probs)``; it receives the
                softened **probabilities** ``softmax(outputs / temperature)`` of both models,
                never logits, e.g. ``KLDivergence()``.
            alpha: the weight of the student loss, in [0, 1]; ``1 - alpha`` weighs the
                distillation loss.
            temperature: T > 0; larger gives softer distributions.
            scale_by_temperature_squared: multiply the distillation loss by T^2 (Hinton et
                al.), which keeps its gradient's size independent of T.
        """
        if student_loss_fn is None or distillation_loss_fn is None:
            missing = "student_loss_fn" if student_loss_fn is None else "distillation_loss_fn"
            raise ValueError(f"Distiller.compile: `{missing}` is required (a loss callable)")
        if not isinstance(alpha, numbers.Real) or not 0.0 <= float(alpha) <= 1.0:
            raise ValueError(f"Distiller.compile: `alpha` must be a number in [0, 1]. "
                             f"Received: alpha={alpha!r}")
        if not isinstance(temperature, numbers.Real) or not float(temperature) > 0.0:
            raise ValueError(f"Distiller.compile: `temperature` must be a number > 0. "
                             f"Received: temperature={temperature!r}")
        super().compile(optimizer=optimizer, metrics=metrics, **kwargs)
        self.student_loss_fn = student_loss_fn
        self.distillation_loss_fn = distillation_loss_fn
        self.alpha = float(alpha)
        self.temperature = float(temperature)
        self.scale_by_temperature_squared = bool(scale_by_temperature_squared)

    def call(self, x, training=None):
        """The student's outputs."""
        return self.student(x, training=training)

    @property
    def trainable_weights(self):
        # Only the student learns; the teacher's weights never reach the optimizer.
        return self.student.trainable_weights

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """``alpha * student_loss + (1 - alpha) * T^2 * distillation_loss`` on one batch,
        plus the student's regularization penalties."""
        if y is None:
            raise ValueError("Distiller: the student loss needs labels, but the data has no "
                             "y: pass fit(x, y) / evaluate(x, y)")
        with no_grad():  # the teacher is a fixed target: no graph, no gradient
            teacher_pred = self.teacher(x, training=False)
        self._check_output_shapes(teacher_pred, y_pred)
        t = self.temperature
        student_loss = self.student_loss_fn(y, y_pred, sample_weight)
        distillation_loss = self.distillation_loss_fn(
            softmax(teacher_pred / t, axis=-1), softmax(y_pred / t, axis=-1), sample_weight)
        if self.scale_by_temperature_squared:
            distillation_loss = distillation_loss * (t * t)
        loss = self.alpha * student_loss + (1.0 - self.alpha) * distillation_loss
        for penalty in getattr(self.student, "losses", []):
            loss = loss + penalty
        return loss

    def _check_output_shapes(self, teacher_pred, student_pred):
        if self._shapes_checked:
            return
        teacher_shape, student_shape = tuple(teacher_pred.shape), tuple(student_pred.shape)
        if teacher_shape != student_shape:
            raise ValueError(f"Distiller: the teacher's and the student's outputs must have "
                             f"the same shape, to be compared class by class. Received: "
                             f"teacher output shape {teacher_shape}, student output shape "
                             f"{student_shape}")
        self._shapes_checked = True
