"""Sweep benchmark: >= 1,000 momentum combinations (full fill model and risk manager) over
>= 2 million events in one process, then the same sweep on a 2-worker Dask LocalCluster.

Prints one JSON line per measurement:
  * ``sweep_in_memory``: ``run_sweep`` over a pre-built event array (JIT compiled beforehand on a
    small slice, compile time reported as ``jit_seconds``);
  * ``sweep_parquet``: the same sweep end to end from a lake (events read per batch);
  * ``sweep_dask``: the same over the lake on a LocalCluster(2 workers x 1 thread), workers warmed
    up first (their compile time is reported as ``worker_warmup_seconds``); ``overhead_seconds``
    is its wall time minus the in-process Parquet sweep's;
  * ``--demo``: a 10,000-combination random sweep over a default synthetic (demo) lake, run in a
    subprocess per size (1,000 and 10,000) so that each reports its own peak RSS.

  * ``--scheduler ADDR``: on a running cluster of ``dask scheduler`` / ``dask worker`` processes
    (>= 2 workers seeing ``--lake``), the lake sweep in process, then on 1 worker, then on 2:
    ``sweep_cluster`` lines and the ``speedup_2_over_1`` with the load average around it.

Usage: ``python bench/sweep.py [--events 2000000] [--combos 1296] [--demo] [--scheduler ADDR]``. The events come from
``bench/engine.py``'s generator (multi-mint bonding curves). Figures depend on the machine and
its load: say which when you quote them.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def engine_bench():
    spec = importlib.util.spec_from_file_location("memelab_bench_engine", HERE / "engine.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def big_space(n: int):
    """>= n momentum combinations: the strategy's SWEEP plus cooldown and exit-drop axes."""
    from memelab.research.sweeps.sweep import space_for
    from memelab.strategies import momentum
    from memelab.strategies.momentum import SWEEP

    grid = dict(SWEEP) | {"cooldown_s": [300.0, 900.0, 1800.0], "exit_drop": [0.15, 0.25, 0.4]}
    full = space_for(momentum, grid)
    if len(full) <= n:
        return full
    return space_for(momentum, grid, n_random=n, seed=0)


def emit(obj: dict) -> None:
    obj |= {"machine": f"{platform.machine()} {os.cpu_count()} cpus", "shared_machine": True}
    print(json.dumps(obj), flush=True)


def bare_sweep(ev, n_mints: int, space) -> float:
    """Seconds (best of 2) of the bare prange loop over every combination of ``space``."""
    import sys

    sys.path.insert(0, str(HERE))
    from bare_nb import bare_sweep_nb, momentum_params
    from memelab.engine import EngineConfig

    c = EngineConfig()
    p = momentum_params(space)
    args = (n_mints, p, c.max_open_positions, int(c.latency_s * 1e9), 0.01,
            c.position_fraction, int(c.max_hold_s * 1e9))  # fmt: skip
    bare_sweep_nb(ev[:20_000], *args)  # compile
    best = float("inf")
    for _ in range(2):
        t = time.perf_counter()
        bare_sweep_nb(ev, *args)
        best = min(best, time.perf_counter() - t)
    return best


def run_main(args) -> None:
    from memelab.research.sweeps.sweep import run_sweep
    from memelab.strategies import momentum

    eb = engine_bench()
    ev = eb.make_events(args.events, args.mints, args.seed)
    space = big_space(args.combos)
    k = len(space)
    t = time.perf_counter()
    run_sweep(ev[:20_000], momentum, space[:4])
    jit = time.perf_counter() - t
    t = time.perf_counter()
    res = run_sweep(ev, momentum, space)
    s = time.perf_counter() - t
    emit(
        {
            "workload": "sweep_in_memory: momentum, full fill model + risk, combos in prange",
            "events": len(ev),
            "combos": k,
            "seconds": round(s, 2),
            "event_combos_per_sec": round(len(ev) * k / s),
            "peak_rss_mb": round(peak_rss_mb()),
            "jit_seconds": round(jit, 2),
            "batch_size": res.meta["batch_size"],
            "trades_total": int(res.table["n_trades"].sum()),
        }
    )
    bare_s = bare_sweep(ev, args.mints, space)
    emit(
        {
            "workload": "bare hand-written numba prange loop (bench/bare_nb.py), same events "
            "and combinations",
            "events": len(ev),
            "combos": k,
            "seconds": round(bare_s, 2),
            "event_combos_per_sec": round(len(ev) * k / bare_s),
            "engine_over_bare": round(bare_s / s, 3),
        }
    )
    if args.skip_dask:
        return
    lake = args.lake
    if not (lake / "_manifest" / "swaps.json").exists():
        eb.write_lake(lake, ev, args.mints)
    del ev
    t = time.perf_counter()
    res_pq = run_sweep(lake, momentum, space, max_events_in_memory=0)
    s_pq = time.perf_counter() - t
    emit(
        {
            "workload": "sweep_parquet: same sweep, events read from the lake per batch",
            "events": res_pq.meta["events"],
            "combos": k,
            "seconds": round(s_pq, 2),
            "event_combos_per_sec": round(res_pq.meta["events"] * k / s_pq),
            "peak_rss_mb": round(peak_rss_mb()),
            "equal_to_in_memory": bool(res_pq.table.equals(res.table)),
        }
    )
    from dask.distributed import Client, LocalCluster
    from memelab.research.sweeps.distributed import run_sweep_distributed

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True) as cluster:
        with Client(cluster) as client:
            t = time.perf_counter()
            lo = int(res_pq.meta["time_range"][0])
            run_sweep_distributed(
                lake, momentum, space[:4], end=lo + 60 * 10**9, client=client, chunk_combos=2
            )
            warm = time.perf_counter() - t
            t = time.perf_counter()
            res_d = run_sweep_distributed(lake, momentum, space, client=client)
            s_d = time.perf_counter() - t
    emit(
        {
            "workload": "sweep_dask: same sweep on LocalCluster(2 workers x 1 thread), warmed up",
            "events": res_d.meta["events"],
            "combos": k,
            "seconds": round(s_d, 2),
            "event_combos_per_sec": round(res_d.meta["events"] * k / s_d),
            "peak_rss_mb": round(peak_rss_mb()),
            "worker_warmup_seconds": round(warm, 2),
            "overhead_seconds": round(s_d - s_pq, 2),
            "chunks": res_d.meta["dask"]["chunks"],
            "equal_to_in_process": bool(res_d.table.equals(res_pq.table)),
        }
    )


def run_demo_size(args) -> None:
    """One demo-lake sweep of ``--combos`` random combinations (run in its own process)."""
    from memelab.research.sweeps.sweep import run_sweep
    from memelab.research.sweeps.sweep import space_for as sf
    from memelab.strategies import momentum

    grid = {
        "window_s": [10.0, 15.0, 20.0, 30.0, 45.0, 60.0, 90.0, 120.0],
        "min_return": [0.03, 0.05, 0.08, 0.1, 0.15, 0.2, 0.3, 0.4],
        "min_buy_ratio": [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8],
        "min_buy_sol": [0.5, 1.0, 2.0, 3.0, 5.0, 10.0],
        "min_trades": [2, 3, 4, 6, 8, 12],
        "cooldown_s": [300.0, 900.0, 1800.0],
    }
    space = sf(momentum, grid, n_random=args.combos, seed=0)
    t = time.perf_counter()
    res = run_sweep(args.lake, momentum, space)
    s = time.perf_counter() - t
    emit(
        {
            "workload": "demo_lake_random_sweep: momentum on the default synthetic lake",
            "events": res.meta["events"],
            "combos": len(space),
            "seconds": round(s, 2),
            "event_combos_per_sec": round(res.meta["events"] * len(space) / s),
            "peak_rss_mb": round(peak_rss_mb()),
            "batch_size": res.meta["batch_size"],
            "note": "seconds include one JIT compile of the sweep kernel",
        }
    )


def run_demo(args) -> None:
    lake = args.demo_lake
    if not (lake / "_manifest" / "swaps.json").exists():
        subprocess.run(
            [sys.executable, "-m", "memelab.cli.main", "data", "synth", "--out", str(lake)],
            check=True,
        )
    for combos in (1_000, 10_000):
        subprocess.run(
            [sys.executable, __file__, "--demo-size", "--lake", str(lake), "--combos", str(combos)],
            check=True,
        )


def run_scheduler(args) -> None:
    """Scaling on an existing cluster (``--scheduler ADDR``): the same sweep over the lake in
    one process, then restricted to 1 worker, then to 2 (workers warmed up first)."""
    from memelab.research.sweeps.distributed import connect, run_sweep_distributed
    from memelab.research.sweeps.sweep import run_sweep
    from memelab.strategies import momentum

    lake = args.lake
    if not (lake / "_manifest" / "swaps.json").exists():
        eb = engine_bench()
        eb.write_lake(lake, eb.make_events(args.events, args.mints, args.seed), args.mints)
    space = big_space(args.combos)
    k = len(space)
    load_before = os.getloadavg()
    run_sweep(lake, momentum, space[:2], end=None, max_events_in_memory=0)  # compile
    t = time.perf_counter()
    ref = run_sweep(lake, momentum, space, max_events_in_memory=0)
    s_ref = time.perf_counter() - t
    n_events = int(ref.meta["events"])
    with connect(args.scheduler) as client:
        workers = sorted(client.nthreads())
        if len(workers) < 2:
            raise SystemExit(f"--scheduler {args.scheduler}: need >= 2 workers, has {len(workers)}")
        for w in workers[:2]:  # compile the replay kernel in each worker process
            run_sweep_distributed(lake, momentum, space[:2], client=client, on_workers=[w])
        secs = {}
        for n in (1, 2):
            t = time.perf_counter()
            res = run_sweep_distributed(
                lake, momentum, space, client=client, on_workers=workers[:n]
            )
            secs[n] = time.perf_counter() - t
            emit(
                {
                    "workload": f"sweep_cluster: lake sweep on {n} dask worker process(es)",
                    "scheduler": args.scheduler,
                    "workers": n,
                    "events": n_events,
                    "combos": k,
                    "seconds": round(secs[n], 2),
                    "event_combos_per_sec": round(n_events * k / secs[n]),
                    "in_process_seconds": round(s_ref, 2),
                    "chunks": res.meta["dask"]["chunks"],
                    "equal_to_in_process": bool(res.table.equals(ref.table)),
                }
            )
    emit(
        {
            "workload": "sweep_cluster_scaling: speed-up from 1 to 2 workers",
            "speedup_2_over_1": round(secs[1] / secs[2], 3),
            "load_avg_1m_before_after": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
        }
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--events", type=int, default=2_000_000)
    ap.add_argument("--mints", type=int, default=2_000)
    ap.add_argument("--combos", type=int, default=1_296)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--lake", type=Path, default=Path("/tmp/memelab_bench_sweep_lake"))
    ap.add_argument("--skip-dask", action="store_true")
    ap.add_argument(
        "--scheduler", help="tcp://host:port of a running cluster (>= 2 workers): 1->2 scaling."
    )
    ap.add_argument("--demo", action="store_true", help="Only the 1k/10k demo-lake sweeps.")
    ap.add_argument("--demo-lake", type=Path, default=Path("/tmp/memelab_bench_demo_lake"))
    ap.add_argument("--demo-size", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.scheduler:
        run_scheduler(args)
    elif args.demo_size:
        run_demo_size(args)
    elif args.demo:
        run_demo(args)
    else:
        run_main(args)


if __name__ == "__main__":
    main()
