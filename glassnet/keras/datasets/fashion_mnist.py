from glassnet.datasets.fashion_mnist import load_data  # noqa: F401
