"""Scale a sweep out on Dask distributed: chunks of combinations run as tasks on workers.

Workers read the lake themselves (the task carries the lake *path*, the params records of its
chunk and the shared bucket edges, never event data), run the same in-process ``run_sweep`` on
their chunk, and send back the chunk's metric rows and bucket returns. Each combination's replay
is independent and deterministic, so the gathered table equals the single-process sweep's.

A ``LocalCluster`` of worker processes by default; ``scheduler="tcp://host:8786"`` uses an
existing cluster of ``dask scheduler`` / ``dask worker`` processes (its workers must see the
same lake path, e.g. a shared filesystem). A worker lost mid-sweep loses no combination: the
scheduler resubmits its tasks (``retries=TASK_RETRIES``) to the surviving workers, and since a
chunk's result depends only on its inputs, the retried result is the same.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterable
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd
from memelab.engine.config import EngineConfig
from memelab.engine.source import require_strategy
from memelab.research.sweeps.sweep import (
    SweepError,
    SweepResult,
    _Source,
    default_bucket_edges,
    run_sweep,
    space_for,
)

#: How many times a task is resubmitted after its worker died (or it raised) before the sweep
#: fails. Dask already reschedules the tasks of a lost worker (``allowed-failures``); explicit
#: retries make that independent of the scheduler's configuration.
TASK_RETRIES = 3


def connect(scheduler: str, timeout_s: float = 30.0) -> Any:
    """A Dask client on the cluster at ``scheduler`` (``tcp://host:port``), with a clear error
    naming the address when it cannot be reached within ``timeout_s``."""
    from dask.distributed import Client

    try:
        return Client(scheduler, timeout=timeout_s)
    except (OSError, TimeoutError) as exc:
        raise SweepError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from exc


def _sweep_task(
    lake_path: str,
    strategy_module: str,
    space: np.ndarray,
    combo_ids: np.ndarray,
    config: EngineConfig,
    start: int | None,
    end: int | None,
    edges: np.ndarray,
    threads: int,
    memory_mb: float,
    top_k: int = 0,
) -> tuple[pd.DataFrame, np.ndarray, int, pd.DataFrame | None]:
    """Runs on a worker: the worker opens the lake at ``lake_path`` and imports the strategy
    module by its import path itself (modules do not pickle)."""
    import importlib

    res = run_sweep(
        lake_path,
        importlib.import_module(strategy_module),
        space,
        config=config,
        start=start,
        end=end,
        bucket_edges=edges,
        threads=threads,
        memory_mb=memory_mb,
        combo_ids=combo_ids,
        top_k=top_k,
    )
    return res.table, res.bucket_returns, int(res.meta["events"]), res.top_trades


def run_sweep_distributed(
    lake_path: str | os.PathLike[str],
    strategy: ModuleType,
    space: np.ndarray | None = None,
    config: EngineConfig | None = None,
    start: int | None = None,
    end: int | None = None,
    n_buckets: int = 64,
    scheduler: str | None = None,
    workers: int = 2,
    chunk_combos: int | None = None,
    threads_per_task: int = 1,
    memory_mb: float = 1024.0,
    client: Any = None,
    progress: Callable[..., Iterable] | None = None,
    top_k: int = 0,
    on_workers: list[str] | None = None,
) -> SweepResult:
    """The sweep of ``space`` over the lake at ``lake_path``, split into chunks of
    ``chunk_combos`` combinations (default: two chunks per worker thread) on Dask.

    Pass ``client`` to reuse a Dask client, ``scheduler`` to connect to a cluster, or neither to
    start (and close) a ``LocalCluster`` of ``workers`` single-threaded worker processes.
    ``on_workers`` (worker addresses) restricts the tasks to those workers (the scaling bench).
    """
    from dask.distributed import Client, LocalCluster, as_completed

    t_start = time.perf_counter()
    lake_path = os.path.abspath(os.fspath(lake_path))
    config = config or EngineConfig()
    strategy = require_strategy(strategy)
    space = space_for(strategy) if space is None else np.asarray(space)
    if len(space) == 0:
        raise SweepError("empty parameter space")
    src = _Source(lake_path, config, start, end)
    lo, hi = src.time_range()
    edges = default_bucket_edges(lo, hi, n_buckets)

    own_cluster = None
    if client is None:
        if scheduler:
            client = connect(scheduler)
        else:
            own_cluster = LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
            )
            client = Client(own_cluster)
    own_client = own_cluster is not None or scheduler is not None
    try:
        nthreads = client.nthreads()
        if on_workers is not None:
            missing = sorted(set(on_workers) - set(nthreads))
            if missing:
                raise SweepError(f"no such Dask worker(s): {', '.join(missing)}")
            nthreads = {w: nthreads[w] for w in on_workers}
        n_slots = max(1, sum(nthreads.values()))
        if chunk_combos is None:
            chunk_combos = max(1, math.ceil(len(space) / (2 * n_slots)))
        bounds = list(range(0, len(space), chunk_combos))
        futures = {}
        for i, lo_i in enumerate(bounds):
            ids = np.arange(lo_i, min(lo_i + chunk_combos, len(space)))
            fut = client.submit(
                _sweep_task, lake_path, strategy.__name__, space[ids], ids, config, start, end, edges,
                threads_per_task, memory_mb, top_k, pure=False, retries=TASK_RETRIES,
                workers=on_workers, allow_other_workers=False,
            )  # fmt: skip
            futures[fut] = i
        parts: dict[int, tuple[pd.DataFrame, np.ndarray, int, pd.DataFrame | None]] = {}
        done: Iterable = as_completed(list(futures))
        if progress is not None:
            done = progress(
                done, total=len(futures), desc=f"sweep {strategy.NAME} (dask)", unit="chunk"
            )
        for fut in done:
            parts[futures[fut]] = fut.result()
            fut.release()
    finally:
        if own_client:
            client.close()
        if own_cluster is not None:
            own_cluster.close()
    ordered = [parts[i] for i in range(len(bounds))]
    table = pd.concat([p[0] for p in ordered], ignore_index=True)
    returns = np.concatenate([p[1] for p in ordered], axis=1)
    top_trades = pd.concat([p[3] for p in ordered], ignore_index=True) if top_k > 0 else None
    meta = {
        "strategy": strategy.NAME,
        "combos": int(len(space)),
        "events": int(ordered[0][2]),
        "seconds": time.perf_counter() - t_start,
        "start": start,
        "end": end,
        "time_range": [lo, hi],
        "n_buckets": int(n_buckets),
        "config": config.to_dict(),
        "source": lake_path,
        "dask": {"scheduler": scheduler or "LocalCluster", "chunks": len(bounds)},
    }
    return SweepResult(strategy.NAME, space, table, returns, edges, meta, top_trades)
