"""scikit-learn estimators for glassnet Keras models, with SciKeras's names:
:class:`KerasClassifier` and :class:`KerasRegressor` (needs the ``[sklearn]`` extra).

>>> from glassnet.wrappers import KerasRegressor
>>> sorted(KerasRegressor(epochs=3, model__units=4).get_params())[:3]
['batch_size', 'build_fn', 'callbacks']
"""

from glassnet.wrappers.estimators import KerasClassifier, KerasRegressor

__all__ = ["KerasClassifier", "KerasRegressor"]
