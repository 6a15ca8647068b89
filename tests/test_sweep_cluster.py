"""A real cluster: separate ``dask scheduler`` and ``dask worker`` processes on loopback.

The workers read the lake from the path the driver passes (a shared filesystem); sweeps,
walk-forward folds and wallet scoring on the cluster equal the single-process results bit for
bit, also when a worker is SIGKILLed while it is running tasks.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from memelab.research.sweeps.distributed import run_sweep_distributed
from memelab.research.sweeps.sweep import run_sweep, space_for
from memelab.research.validation.walkforward import walk_forward_validate
from memelab.research.wallets.pipeline import score_lake
from memelab.strategies import momentum
from sweep_markets import CONFIG, GRID, make_market
from test_sweep_distributed import events_to_lake

# ``python -m dask`` of this interpreter, not the ``dask`` script: a copied venv's script can
# name another venv's python in its shebang (and so import another checkout's memelab).
DASK = [sys.executable, "-m", "dask"]
START_TIMEOUT_S = 60.0


def _stop(procs: list[subprocess.Popen]) -> None:
    """Terminate the processes this fixture started (by pid), then kill any still alive."""
    for p in procs:
        if p.poll() is None:
            p.terminate()
    deadline = time.monotonic() + 5
    for p in procs:
        try:
            p.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=5)


class Cluster:
    """A scheduler process plus worker processes; ``add_worker`` starts one more."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.procs: list[subprocess.Popen] = []
        self.file = tmp / "scheduler.json"
        self.log = open(tmp / "cluster.log", "ab")  # noqa: SIM115 (closed in close())
        self._start(
            [
                *DASK,
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--no-dashboard",
                "--scheduler-file",
                self.file,
            ]  # fmt: skip
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self.file.exists() or not self.file.read_text().strip():
            if time.monotonic() > deadline or self.procs[0].poll() is not None:
                raise RuntimeError(f"dask scheduler did not start; see {tmp / 'cluster.log'}")
            time.sleep(0.1)
        from dask.distributed import Client

        self.client = Client(scheduler_file=str(self.file), timeout=START_TIMEOUT_S)
        self.address = self.client.scheduler.address

    def _start(self, argv: list) -> subprocess.Popen:
        p = subprocess.Popen([str(a) for a in argv], stdout=self.log, stderr=self.log,
                             cwd=self.tmp)  # fmt: skip
        self.procs.append(p)
        return p

    def add_worker(self, name: str) -> subprocess.Popen:
        """One single-threaded worker process without a nanny (a SIGKILL really loses it)."""
        return self._start(
            [
                *DASK,
                "worker",
                self.address,
                "--nworkers",
                "1",
                "--nthreads",
                "1",
                "--no-nanny",
                "--no-dashboard",
                "--name",
                name,
                "--local-directory",
                self.tmp / name,
            ]  # fmt: skip
        )

    def wait_for_workers(self, n: int) -> None:
        self.client.wait_for_workers(n, timeout=START_TIMEOUT_S)

    def close(self) -> None:
        try:
            self.client.close()
        finally:
            _stop(self.procs[::-1])
            self.log.close()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    c = Cluster(tmp_path_factory.mktemp("cluster"))
    try:
        c.add_worker("w0")
        c.add_worker("w1")
        c.wait_for_workers(2)
        yield c
    finally:
        c.close()
    assert all(p.poll() is not None for p in c.procs)


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    return events_to_lake(make_market(2, n_mints=40), tmp_path_factory.mktemp("lake") / "lake")


def test_sweep_on_scheduler_and_worker_processes_equals_single_process(lake, cluster):
    space = space_for(momentum, GRID)
    local = run_sweep(lake.root, momentum, space, config=CONFIG)
    dist = run_sweep_distributed(
        lake.root, momentum, space, config=CONFIG, scheduler=cluster.address, chunk_combos=7
    )
    assert dist.meta["dask"] == {"scheduler": cluster.address, "chunks": 4}
    assert local.table["n_trades"].sum() > 0
    pd.testing.assert_frame_equal(dist.table, local.table, check_exact=True)
    assert np.array_equal(dist.bucket_returns, local.bucket_returns)
    # both worker processes ran chunks (their pids differ from the driver's)
    pids = cluster.client.run(os.getpid)
    assert len(set(pids.values())) == 2 and os.getpid() not in pids.values()


def test_walk_forward_folds_on_cluster_equal_single_process(lake, cluster):
    space = space_for(momentum, {"min_return": [0.02, 0.05, 0.1], "min_trades": [3, 6]})
    minute = 60 * 10**9
    kw = dict(
        train=20 * minute, test=10 * minute, embargo=minute, config=CONFIG, buckets_per_fold=8
    )
    local = walk_forward_validate(lake.root, momentum, space, **kw)
    dist = walk_forward_validate(lake.root, momentum, space, scheduler=cluster.address, **kw)
    assert len(local.folds) == 2
    pd.testing.assert_frame_equal(dist.folds, local.folds, check_exact=True)
    assert np.array_equal(dist.oos_matrix, local.oos_matrix)
    assert dist.gates == local.gates


def test_wallet_scores_on_cluster_equal_single_process(lake, cluster, tmp_path):
    local = score_lake(lake, tmp_path / "local")
    dist = score_lake(lake, tmp_path / "dist", scheduler=cluster.address)
    for k in ("buys", "resolved", "wins", "wallets", "prior", "tiers", "clusters"):
        assert dist[k] == local[k], k
    assert local["resolved"] > 0
    for name in ("wallet_scores", "wallet_labels", "clusters", "audit"):
        a = pd.read_parquet(tmp_path / "local" / f"{name}.parquet")
        b = pd.read_parquet(tmp_path / "dist" / f"{name}.parquet")
        pd.testing.assert_frame_equal(b, a, check_exact=True)


def test_worker_sigkilled_mid_sweep_loses_no_combination(lake, cluster):
    """A third worker joins, takes chunks, and is SIGKILLed while one is running: the
    scheduler resubmits its chunks to the survivors and the table is the single-process one."""
    space = space_for(momentum, GRID)
    local = run_sweep(lake.root, momentum, space, config=CONFIG)
    victim = cluster.add_worker("victim")
    cluster.wait_for_workers(3)
    addr = next(a for a, pid in cluster.client.run(os.getpid).items() if pid == victim.pid)
    from dask.distributed import Client

    killed_while = []
    with Client(cluster.address, timeout=START_TIMEOUT_S) as client:
        import threading

        def kill_when_busy() -> None:
            deadline = time.monotonic() + START_TIMEOUT_S
            while time.monotonic() < deadline:
                busy = client.processing(workers=[addr]).get(addr, ())
                if busy:
                    killed_while.extend(busy)
                    os.kill(victim.pid, signal.SIGKILL)
                    return
                time.sleep(0.005)

        killer = threading.Thread(target=kill_when_busy)
        killer.start()
        # one combination per chunk: many tasks, each replaying the whole market
        dist = run_sweep_distributed(
            lake.root, momentum, space, config=CONFIG, client=client, chunk_combos=1
        )
        killer.join()
    assert killed_while, "the victim never received a task"
    assert victim.wait(timeout=10) == -signal.SIGKILL
    assert dist.meta["dask"]["chunks"] == len(space)
    pd.testing.assert_frame_equal(dist.table, local.table, check_exact=True)
    assert np.array_equal(dist.bucket_returns, local.bucket_returns)


def test_bucket_sharpe_of_a_column_does_not_depend_on_its_neighbours():
    """A chunk of one combination gives the same bits as the whole table (numpy reduces a
    lone (B, 1) column in another order than a column of a wider array)."""
    from memelab.research.sweeps.sweep import bucket_sharpe

    r = np.random.default_rng(0).normal(size=(64, 30))
    full = bucket_sharpe(r)
    for k in (1, 2, 7):
        for i in range(0, 30 - k, 5):
            assert np.array_equal(bucket_sharpe(r[:, i : i + k]), full[i : i + k])
