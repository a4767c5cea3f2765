from glassnet.datasets.cifar100 import load_data  # noqa: F401
