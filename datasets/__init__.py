"""memelab.datasets: schemas, the Parquet/DuckDB lake, importers and the synthetic market."""

from memelab.datasets.lake import Lake, LakeError

__all__ = ["Lake", "LakeError"]
