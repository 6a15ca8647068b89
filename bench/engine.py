"""Engine benchmark: momentum + full fill model + risk manager over >= 10 M swaps.

Prints one JSON line per measurement:
  * ``jit_cold_start``: first replay call in a fresh process (numba cache warm on disk);
  * ``in_memory``: replay of a pre-built event array (generated here, multi-mint bonding curves);
  * ``parquet``: end to end from a lake (``engine.stream``: row groups decoded in a worker thread
    while the replay runs);
  * ``cached``: end to end through the event cache (``datasets.event_cache``).

Usage: ``python bench/engine.py [--events 10000000] [--lake /tmp/memelab_bench_lake]``. The lake
is written once (from the same generated events) and reused. Figures depend on the machine and
on its load: say which when you quote them.
"""

# ruff: noqa: NPY002  (numba compiles the legacy np.random API; seeded inside the kernel)
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import time
from pathlib import Path

import numpy as np
from numba import njit

T0 = 1_767_225_600 * 1_000_000_000


def peak_rss_mb() -> float:
    """Peak resident memory of this process (VmHWM: unlike ru_maxrss, not inherited over exec)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


@njit(cache=True)
def _market_nb(ev, n_mints, seed):
    """A seeded multi-mint pump.fun market: CPMM reserves, buy bias drifting per mint."""
    np.random.seed(seed)
    vs = np.full(n_mints, 30.0)
    vt = np.full(n_mints, 1.073e9)
    bias = np.random.uniform(0.4, 0.7, n_mints)
    t = T0
    for i in range(ev.shape[0]):
        t += 1 + np.random.randint(0, 40_000_000)  # ~50 events/s across the market
        m = np.random.randint(0, n_mints)
        if np.random.random() < 0.002:
            bias[m] = np.random.uniform(0.35, 0.8)
        amount = np.random.exponential(0.6)
        e = ev[i]
        if np.random.random() < bias[m]:
            x = amount * 0.99
            out = vt[m] * x / (vs[m] + x)
            vs[m] += x
            vt[m] -= out
            e["side"] = 1
            e["sol"] = amount
            e["tokens"] = out
        else:
            q = min(vt[m] * amount / vs[m], vt[m] * 0.1)
            gross = vs[m] * q / (vt[m] + q)
            vs[m] -= gross
            vt[m] += q
            e["side"] = -1
            e["sol"] = gross * 0.99
            e["tokens"] = q
        if vs[m] < 5.0 or vs[m] > 500.0:  # relaunch a mint that died or ran away
            vs[m] = 30.0
            vt[m] = 1.073e9
        e["ts"] = t
        e["slot"] = (t - T0) // 400_000_000
        e["mint"] = m
        e["pool"] = m
        e["trader"] = np.random.randint(0, 100_000)
        e["venue"] = 0
        e["vsol"] = vs[m]
        e["vtok"] = vt[m]
        e["price"] = vs[m] / vt[m]
        e["fee"] = np.nan


def make_events(n: int, n_mints: int, seed: int) -> np.ndarray:
    from memelab.datasets.schemas import EVENT_DTYPE

    ev = np.zeros(n, dtype=EVENT_DTYPE)
    _market_nb(ev, n_mints, seed)
    return ev


def write_lake(root: Path, ev: np.ndarray, n_mints: int) -> None:
    """The events as a lake (swaps partitioned by day), written straight to Parquet in the lake
    layout (``Lake._write_part``: the lake's own Parquet settings) with a dictionary and
    manifest, so the read path is the one a backtest of a real lake takes."""
    import pyarrow as pa
    import pyarrow.compute as pc
    from memelab.datasets.lake import Lake, ts_to_date

    lake = Lake(root)
    mints = pa.array([f"BenchMint{m:034d}" for m in range(n_mints)])
    lake._write_dict("mints", mints)
    wallets = pa.array([f"BenchWallet{w:032d}" for w in range(100_000)])
    lake._write_dict("wallets", wallets)
    dates = ts_to_date(ev["ts"])
    bounds = np.flatnonzero(np.r_[True, dates[1:] != dates[:-1], True])
    manifest = lake._load_or_new_manifest("swaps", "bench/engine.py")
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        part = ev[a:b]
        n = len(part)
        idx = np.arange(a, b)
        sig = pc.binary_join_element_wise("sig", pc.cast(pa.array(idx), pa.string()), "")
        table = pa.table(
            {
                "ts": part["ts"],
                "slot": part["slot"],
                "signature": sig,
                "ix_index": np.zeros(n, np.int32),
                "mint": mints.take(pa.array(part["mint"])),
                "mint_id": part["mint"],
                "venue": pa.DictionaryArray.from_arrays(np.zeros(n, np.int8), ["pumpfun"]).cast(
                    pa.string()
                ),
                "trader": wallets.take(pa.array(part["trader"])),
                "trader_id": part["trader"],
                "side": part["side"],
                "sol_amount": part["sol"],
                "token_amount": part["tokens"],
                "price": part["price"],
                "virtual_sol_reserves": part["vsol"],
                "virtual_token_reserves": part["vtok"],
                "fee": pa.nulls(n, pa.float64()),
            }
        )
        table = lake._conform("swaps", table, lake_schema(), assign_ids=False)
        rel = lake._write_part("swaps", str(dates[a]), table)
        manifest["files"][rel] = {
            "rows": n,
            "bytes": (root / rel).stat().st_size,
            "sha256": "bench",
        }
    manifest["time_range"] = [int(ev["ts"][0]), int(ev["ts"][-1])]
    manifest["sources"] = ["bench/engine.py"]
    lake._save_manifest("swaps", manifest)


def lake_schema():
    from memelab.datasets.schemas import SWAPS_TABLE_SCHEMA

    return SWAPS_TABLE_SCHEMA


BENCH_CONFIG = dict(
    max_open_positions=20,
    tier_daily_cap=(2000, 1500, 1000, 500),  # caps loosened so that fills and exits really run
    tier_spacing_s=(1.0, 1.0, 1.0, 1.0),
    daily_dd_limit=1.0,
    weekly_dd_limit=1.0,
    portfolio_stop=0.99,
)


def _line(workload: str, n: int, secs: float, in_memory: bool, out, machine: str, **extra) -> str:
    return json.dumps(
        {
            "workload": workload,
            "events": n,
            "seconds": round(secs, 3),
            "events_per_sec": round(n / secs),
            "peak_rss_mb": round(peak_rss_mb()),
            "in_memory": in_memory,
            "trades": len(out.trades),
            "fills": len(out.fills),
            "machine": machine,
            **extra,
        }
    )


def bare_loop(ev: np.ndarray, n_mints: int, config, strategy) -> tuple[float, int]:
    """Events/s (best of 3) and trades of the bare loop on ``ev`` with the strategy defaults."""
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from bare_nb import bare_replay_nb, momentum_params
    from memelab.engine.replay import make_params

    p = momentum_params([make_params(strategy)])[0]
    args = (n_mints, p, config.max_open_positions, int(config.latency_s * 1e9), 0.01,
            config.position_fraction, int(config.max_hold_s * 1e9))  # fmt: skip
    bare_replay_nb(ev[:20_000], *args)  # compile
    best = np.inf
    for _ in range(3):
        t = time.perf_counter()
        _, trades = bare_replay_nb(ev, *args)
        best = min(best, time.perf_counter() - t)
    return len(ev) / best, int(trades)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=10_000_000)
    ap.add_argument("--mints", type=int, default=2_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--lake", type=Path, default=Path("/tmp/memelab_bench_lake"))
    ap.add_argument("--mode", choices=["all", "memory", "parquet", "cached"], default="all")
    ap.add_argument("--repeat", type=int, default=3, help="In-memory replays (best is kept).")
    args = ap.parse_args()
    machine = f"{platform.machine()} {os.cpu_count()} cpu, load {os.getloadavg()[0]:.1f}"

    from memelab.engine import EngineConfig
    from memelab.engine.replay import run_replay
    from memelab.strategies import momentum

    config = EngineConfig(**BENCH_CONFIG)
    workload = (
        f"momentum + fill model (latency, slippage, fees, tips) + risk (caps loosened) "
        f"over {args.events:,} swaps, {args.mints} mints"
    )
    if args.mode in ("parquet", "cached"):
        from memelab.datasets.lake import Lake

        lake = Lake(args.lake)
        run_replay(make_events(20_000, 50, args.seed), momentum, config=config)  # JIT warm-up
        t = time.perf_counter()
        _, out = run_replay(lake, momentum, config=config, event_cache=args.mode == "cached")
        secs = time.perf_counter() - t
        parts = len(lake.partitions("swaps"))
        how = "Parquet" if args.mode == "parquet" else "the event cache (.npy per partition)"
        print(_line(f"{workload}, end to end from {how}, {parts} partitions", lake.event_count(),
                    secs, False, out, machine), flush=True)  # fmt: skip
        return

    t = time.perf_counter()
    small = make_events(20_000, 50, args.seed)
    gen = time.perf_counter() - t
    t = time.perf_counter()
    run_replay(small, momentum, config=config)
    cold = time.perf_counter() - t
    print(json.dumps({"workload": "jit_cold_start: first replay in a fresh process (20k events, "
                      "numba cache on disk warm)", "seconds": round(cold, 3),
                      "generator_compile_s": round(gen, 3), "machine": machine}), flush=True)  # fmt: skip
    ev = make_events(args.events, args.mints, args.seed)
    secs = np.inf
    for _ in range(args.repeat):  # best of --repeat, as the bare loop below (best of 3)
        t = time.perf_counter()
        _, out = run_replay(ev, momentum, config=config)
        secs = min(secs, time.perf_counter() - t)
    print(_line(workload, len(ev), secs, True, out, machine), flush=True)
    bare_eps, bare_trades = bare_loop(ev, args.mints, config, momentum)
    print(json.dumps({"workload": "bare hand-written numba loop (bench/bare_nb.py), same events "
                      "and momentum params", "events": len(ev),
                      "events_per_sec": round(bare_eps), "trades": bare_trades,
                      "engine_events_per_sec": round(len(ev) / secs),
                      "engine_over_bare": round(len(ev) / secs / bare_eps, 3),
                      "machine": machine}), flush=True)  # fmt: skip
    if args.mode == "memory":
        return
    from memelab.datasets.lake import Lake

    if Lake(args.lake).event_count() != len(ev):
        import shutil

        shutil.rmtree(args.lake, ignore_errors=True)
        write_lake(args.lake, ev, args.mints)
    del ev, out
    import subprocess
    import sys

    base = [sys.executable, __file__, "--lake", str(args.lake), "--events", str(args.events),
            "--mints", str(args.mints)]  # fmt: skip
    for mode in ("parquet", "cached", "cached"):  # the first cached run builds the cache
        subprocess.run([*base, "--mode", mode], check=True)


if __name__ == "__main__":
    main()
