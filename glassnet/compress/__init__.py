"""Model compression: smaller models that keep what a larger one learned.

``Distiller`` trains a student on a frozen teacher's softened outputs (knowledge
distillation, the Keras example's API).
"""

from glassnet.compress.distillation import Distiller

__all__ = ["Distiller"]
