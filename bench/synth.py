"""Benchmark: generate a >= 10-million-swap synthetic lake into a temporary folder.

Prints one JSON line at the end:
``{"workload", "swaps", "seconds", "swaps_per_sec", "peak_rss_mb", ...}``.
The first call of a fresh environment also compiles the numba kernels (~20 s; cached on disk
afterwards): a warm-up run on a tiny lake is done first and not timed.
Usage: ``python bench/synth.py [--tokens 20000] [--wallets 20000] [--days 10] [--seed 7]
[--scenario calibrated|null|planted]``.
``--gaps``: instead, build the lake (demo size by default: pass ``--tokens 400 --wallets 2000
--days 2``) and print the arbitrage gaps between each mint's pools as one JSON line (episodes
above the two fees: peak size in bps, duration in s; ``datasets.synth.arbgaps``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tokens", type=int, default=20_000)
    ap.add_argument("--wallets", type=int, default=20_000)
    ap.add_argument("--days", type=int, default=10)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--scenario", default="calibrated", choices=("calibrated", "null", "planted"))
    ap.add_argument("--gaps", action="store_true", help="print pool gap statistics instead")
    args = ap.parse_args()
    if args.gaps:
        return gaps(args)

    from memelab.datasets.synth import synthesize

    with tempfile.TemporaryDirectory() as tmp:
        synthesize(Path(tmp) / "warmup", tokens=5, wallets=60, days=1, seed=args.seed)
        t0 = time.perf_counter()
        lake = synthesize(
            Path(tmp) / "lake", args.tokens, args.wallets, args.days, seed=args.seed,
            scenario=args.scenario,
        )  # fmt: skip
        seconds = time.perf_counter() - t0
        swaps = int(lake.manifest("swaps")["rows"])
        size = sum(f.stat().st_size for f in Path(lake.root).rglob("*") if f.is_file())
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "workload": (
                    f"synthesize tokens={args.tokens} wallets={args.wallets} days={args.days} "
                    f"seed={args.seed} scenario={args.scenario} into a fresh lake (zstd Parquet)"
                ),
                "swaps": swaps,
                "lake_bytes": size,
                "seconds": round(seconds, 2),
                "swaps_per_sec": round(swaps / seconds, 1),
                "peak_rss_mb": round(peak_kb / 1024, 1),
                "machine": f"{platform.machine()} {os.cpu_count()} cpus, {platform.python_version()}",
            }
        )
    )


def gaps(args: argparse.Namespace) -> None:
    from memelab.datasets.synth import synthesize
    from memelab.datasets.synth.arbgaps import gap_summary

    with tempfile.TemporaryDirectory() as tmp:
        lake = synthesize(
            Path(tmp) / "lake", args.tokens, args.wallets, args.days, seed=args.seed,
            scenario=args.scenario,
        )  # fmt: skip
        summary = gap_summary(lake)
    workload = (
        f"pool gaps: tokens={args.tokens} wallets={args.wallets} days={args.days} "
        f"seed={args.seed} scenario={args.scenario}"
    )
    print(json.dumps({"workload": workload, **summary}))


if __name__ == "__main__":
    main()
