from glassnet.datasets.california_housing import load_data  # noqa: F401
