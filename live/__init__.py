"""memelab.live."""

import memelab.datasets  # noqa: F401  keys the numba cache on the source (datasets/numba_cache)
