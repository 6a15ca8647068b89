"""The Dask path: a real LocalCluster of two worker processes gives the in-process results."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from memelab.datasets.lake import Lake
from memelab.research.sweeps.distributed import run_sweep_distributed
from memelab.research.sweeps.sweep import run_sweep, space_for
from memelab.research.validation.walkforward import walk_forward_validate
from memelab.strategies import momentum
from sweep_markets import CONFIG, GRID, make_market


def events_to_lake(events: np.ndarray, root) -> Lake:
    """Write replay events as a swaps table (string ids derived from the numeric ones)."""
    n = len(events)
    table = pa.table(
        {
            "ts": events["ts"],
            "slot": np.arange(n, dtype=np.int64),
            "signature": [f"sig{i}" for i in range(n)],
            "ix_index": np.zeros(n, np.int32),
            "mint": [f"Mint{m}" for m in events["mint"]],
            "venue": ["pumpfun"] * n,
            "trader": [f"Wallet{w}" for w in events["trader"]],
            "side": events["side"],
            "sol_amount": events["sol"],
            "token_amount": events["tokens"],
            "price": events["price"],
            "virtual_sol_reserves": events["vsol"],
            "virtual_token_reserves": events["vtok"],
        }
    )
    lake = Lake(root)
    lake.write("swaps", table, "test", dedupe=False)
    return lake


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    return events_to_lake(make_market(2, n_mints=40), tmp_path_factory.mktemp("lake") / "lake")


@pytest.fixture(scope="module")
def client():
    from dask.distributed import Client, LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        with Client(cluster) as c:
            yield c


def test_dask_local_cluster_sweep_equals_in_process_sweep(lake, client):
    space = space_for(momentum, GRID)
    local = run_sweep(lake.root, momentum, space, config=CONFIG)
    dist = run_sweep_distributed(
        lake.root, momentum, space, config=CONFIG, client=client, chunk_combos=7, top_k=2
    )
    assert dist.meta["dask"]["chunks"] == 4
    assert len(client.scheduler_info()["workers"]) == 2
    assert local.table["n_trades"].sum() > 0
    pd.testing.assert_frame_equal(dist.table, local.table, check_exact=True)
    assert np.array_equal(dist.bucket_returns, local.bucket_returns)
    assert np.array_equal(dist.bucket_edges, local.bucket_edges)
    top = run_sweep(lake.root, momentum, space, config=CONFIG, top_k=2).top_trades
    pd.testing.assert_frame_equal(dist.top_trades, top, check_exact=True)
    assert top["combo"].value_counts().max() <= 2


def test_dask_walk_forward_split_by_time_equals_in_process(lake, client):
    space = space_for(momentum, {"min_return": [0.02, 0.05, 0.1], "min_trades": [3, 6]})
    minute = 60 * 10**9
    kw = dict(
        train=20 * minute, test=10 * minute, embargo=minute, config=CONFIG, buckets_per_fold=8
    )
    local = walk_forward_validate(lake.root, momentum, space, **kw)
    dist = walk_forward_validate(lake.root, momentum, space, client=client, **kw)
    # ~45 min of data; tests end at 31 and 41 min (51 does not fit)
    assert len(local.folds) == 2
    pd.testing.assert_frame_equal(dist.folds, local.folds, check_exact=True)
    assert np.array_equal(dist.oos_matrix, local.oos_matrix)
    assert dist.gates == local.gates
