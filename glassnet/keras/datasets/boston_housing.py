from glassnet.datasets.boston_housing import load_data  # noqa: F401
