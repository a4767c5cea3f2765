"""Pictures of what a network computes: ``graph(tensor)``, the autograd graph behind a
tensor as a Mermaid diagram."""

from glassnet.viz.autograd_graph import graph

__all__ = ["graph"]
