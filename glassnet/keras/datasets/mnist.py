from glassnet.datasets.mnist import load_data  # noqa: F401
