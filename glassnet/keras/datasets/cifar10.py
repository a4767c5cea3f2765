from glassnet.datasets.cifar10 import load_data  # noqa: F401
