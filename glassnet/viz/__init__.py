"""Pictures of what a network computes: ``graph(tensor)``, the autograd graph behind a
tensor as a Mermaid diagram; ``plot_model``, the model's layers as Mermaid, or as PNG/SVG
through Graphviz (the ``[plot]`` extra); and matplotlib plots of training, activations,
filters, weights, confusion matrices and attributions (``plots``; the ``[viz]`` extra)."""

from glassnet.train.plot import plot_model
from glassnet.viz.autograd_graph import graph
from glassnet.viz.plots import (
    plot_activations,
    plot_attribution,
    plot_confusion_matrix,
    plot_filters,
    plot_history,
    plot_weight_histograms,
)

__all__ = ["graph", "plot_activations", "plot_attribution", "plot_confusion_matrix",
           "plot_filters", "plot_history", "plot_model", "plot_weight_histograms"]
