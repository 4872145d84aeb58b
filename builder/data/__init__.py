"""Bundled datasets (no downloads) and the check that a design fits one."""

from . import files, images, sequences, tabular, text  # noqa: F401  (each registers its datasets)
from .compat import check_compatibility
from .registry import DATASETS, Dataset, DatasetError, DatasetSpec, get_spec, list_datasets, load_dataset

__all__ = ["DATASETS", "Dataset", "DatasetError", "DatasetSpec", "check_compatibility", "get_spec",
           "list_datasets", "load_dataset"]  # fmt: skip
