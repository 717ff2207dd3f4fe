"""The embedded Panora sandbox (work in progress: data first)."""

from fulfillkit.sandbox.data import Dataset, make_dataset

__all__ = ["Dataset", "make_dataset"]
