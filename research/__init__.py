"""memelab.research: generic over any strategy it is handed.

Subpackages: ``wallets`` (labels, scoring, vote, graph), ``sprt`` (sequential A/B tests),
``sweeps`` (parameter sweeps, Dask), ``validation`` (walk-forward, DSR, PBO), ``features``
(causal compiled features, labels), ``models`` (baselines, transformer, registry, inference).
"""

import memelab.datasets  # noqa: F401  keys the numba cache on the source (datasets/numba_cache)
