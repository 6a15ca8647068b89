"""memelab.datasets: schemas, the Parquet/DuckDB lake, importers and the synthetic market."""

from memelab.datasets import numba_cache

numba_cache.configure()  # before any kernel module is imported (see numba_cache)

from memelab.datasets.lake import Lake, LakeError  # noqa: E402

__all__ = ["Lake", "LakeError"]
