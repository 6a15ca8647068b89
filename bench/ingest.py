"""Benchmark: ingest a generic-preset CSV trade export into a fresh lake, then re-ingest it.

Prints one JSON line per size: ``{"workload", "rows", "bytes", "seconds", "rows_per_sec",
"reingest_seconds", "peak_rss_mb", ...}``; the CSV is generated and ingested in child processes,
so the peak RSS is the ingest's own. Usage:
``python bench/ingest.py [--rows 1000000 20000000] [--days 4] [--bad 0.001] [--dir DIR]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv


def make_csv(path: Path, rows: int, days: int, bad_share: float, seed: int = 0) -> None:
    """A realistic export: base58 signatures and addresses, ISO timestamps, a few bad rows."""
    from solders.pubkey import Pubkey
    from solders.signature import Signature

    rng = np.random.default_rng(seed)
    mints = np.array([str(Pubkey(rng.bytes(32))) for _ in range(2_000)], dtype=object)
    wallets = np.array([str(Pubkey(rng.bytes(32))) for _ in range(50_000)], dtype=object)
    chunk = 500_000
    t0 = np.datetime64("2025-01-01T00:00:00", "ns").astype(np.int64)
    span = days * 86_400 * 10**9
    with open(path, "wb") as fh:
        for start in range(0, rows, chunk):
            n = min(chunk, rows - start)
            ts = np.sort(t0 + rng.integers(0, span, n))
            side = np.where(rng.random(n) < 0.5, "buy", "sell").astype(object)
            sol = rng.lognormal(-1.0, 1.2, n)
            bad = rng.random(n) < bad_share
            side[bad] = "hold"
            table = pa.table(
                {
                    "ts": np.datetime_as_string(ts.astype("datetime64[ns]"), unit="ms"),
                    "slot": 310_000_000 + (ts - t0) // 400_000_000,
                    "signature": [str(Signature(rng.bytes(64))) for _ in range(n)],
                    "mint": mints[rng.integers(0, len(mints), n)],
                    "trader": wallets[rng.integers(0, len(wallets), n)],
                    "side": side,
                    "sol_amount": sol,
                    "token_amount": sol / rng.uniform(2e-8, 4e-7, n),
                    "venue": np.where(rng.random(n) < 0.7, "pump.fun", "pump_amm").astype(object),
                }
            )
            opts = pacsv.WriteOptions(include_header=start == 0)
            pacsv.write_csv(table, fh, write_options=opts)


def ingest_child(src: Path) -> dict:
    """Ingest ``src`` into a fresh lake, then again (all duplicates); runs in its own process so
    that its peak RSS is the ingest's alone."""
    from memelab.datasets import Lake
    from memelab.datasets.ingest import ingest

    with tempfile.TemporaryDirectory(dir=src.parent) as tmp:
        lake = Lake(Path(tmp) / "lake")
        t = time.perf_counter()
        first = ingest(lake, [src]).files[0]
        seconds = time.perf_counter() - t
        t = time.perf_counter()
        again = ingest(Lake(lake.root), [src]).files[0]  # a new process would see the same
        reingest = time.perf_counter() - t
        assert again.ingested == 0 and again.duplicates == first.ingested
        files = len(lake.files("swaps"))
    return {
        "rows": first.rows_read,
        "ingested": first.ingested,
        "quarantined": first.quarantined,
        "seconds": round(seconds, 2),
        "rows_per_sec": round(first.rows_read / seconds),
        "reingest_seconds": round(reingest, 2),
        "files_after_compaction": files,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 20_000_000])
    ap.add_argument("--days", type=int, default=4)
    ap.add_argument("--bad", type=float, default=0.001, help="share of rows with a bad side")
    ap.add_argument("--dir", type=Path, default=None, help="where the CSV goes (default: tmp)")
    ap.add_argument("--generate", type=Path, help=argparse.SUPPRESS)  # child: write the CSV only
    ap.add_argument("--ingest", type=Path, help=argparse.SUPPRESS)  # child: ingest, print JSON
    args = ap.parse_args()
    if args.generate:
        make_csv(args.generate, args.rows[0], args.days, args.bad)
        return
    if args.ingest:
        print(json.dumps(ingest_child(args.ingest)))
        return
    for rows in args.rows:
        with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
            src = Path(tmp) / "trades.csv"
            cmd = [sys.executable, __file__, "--generate", str(src), "--rows", str(rows)]
            cmd += ["--days", str(args.days), "--bad", str(args.bad)]
            subprocess.run(cmd, check=True)
            out = subprocess.run(
                [sys.executable, __file__, "--ingest", str(src)],
                check=True,
                capture_output=True,
                text=True,
            )
            result = json.loads(out.stdout.strip().splitlines()[-1])
            print(
                json.dumps(
                    {
                        "workload": f"ingest generic CSV (full validation), {args.days} days, "
                        "then re-ingest",
                        "bytes": src.stat().st_size,
                        **result,
                        "machine": f"{platform.machine()} {os.cpu_count()} cpus",
                        "load_avg_1m": round(os.getloadavg()[0], 1),
                    }
                ),
                flush=True,
            )


if __name__ == "__main__":
    main()
