"""Wallet-scoring benchmark: stream the compiled WalletScorer over a >= 10 M-swap synthetic lake.

Prints one JSON line at the end::

    {"workload", "swaps", "wallet_buys_scored", "seconds", "wallet_buys_per_sec",
     "events_per_sec", "end_to_end_seconds", "labels_seconds", "peak_rss_mb", ...}

``seconds`` is the compiled scorer alone (every event through the resolver, the window and, per
buy, score + recency + size), on chunks already read; ``end_to_end_seconds`` adds reading the
Parquet partitions. The lake is generated once with the synthetic market (``--tokens``,
``--wallets``, ``--days``) and reused when it exists. Usage:
``python bench/wallets.py [--lake /tmp/memelab_bench_wallets] [--tokens 55000] [--days 4]``.
Figures depend on the machine and its load: say which when you quote them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import time


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lake", default="/tmp/memelab_bench_wallets")
    ap.add_argument("--tokens", type=int, default=55_000)
    ap.add_argument("--wallets", type=int, default=40_000)
    ap.add_argument("--days", type=int, default=4)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--min-swaps", type=int, default=10_000_000)
    args = ap.parse_args()

    import numpy as np
    from memelab.datasets.lake import Lake
    from memelab.datasets.synth import synthesize
    from memelab.research.wallets.labels import label_events
    from memelab.research.wallets.scoring import WalletScorer

    lake = Lake(args.lake)
    gen_seconds = None
    if not lake.exists():
        t = time.perf_counter()
        synthesize(args.lake, tokens=args.tokens, wallets=args.wallets, days=args.days,
                   seed=args.seed)  # fmt: skip
        gen_seconds = time.perf_counter() - t
    swaps = lake.event_count()
    if swaps < args.min_swaps:
        raise SystemExit(f"{args.lake} has {swaps:,} swaps (< {args.min_swaps:,}): use more tokens")
    n_mints = len(lake.dictionary("mints"))
    n_wallets = len(lake.dictionary("wallets"))

    # Warm the JIT on a tiny slice so compile time is not counted.
    t = time.perf_counter()
    first = next(lake.iter_events())
    WalletScorer(n_mints, n_wallets).update(first[:1000])
    jit_seconds = time.perf_counter() - t

    t_all = time.perf_counter()
    scorer = WalletScorer(n_mints, n_wallets, pending_capacity=1 << 20, outcome_capacity=1 << 20)
    scored = 0
    kernel = 0.0
    chunks = []
    for chunk in lake.iter_events():
        t = time.perf_counter()
        scored += len(scorer.update(chunk))
        kernel += time.perf_counter() - t
        chunks.append(chunk)
    end_to_end = time.perf_counter() - t_all
    t = time.perf_counter()
    labels = label_events(chunks, n_mints)
    labels_seconds = time.perf_counter() - t
    counts = scorer.counts()
    print(
        json.dumps(
            {
                "workload": "WalletScorer (Beta(3,5), 60-min window, recency+size) over synthetic lake",
                "lake": str(lake.root),
                "swaps": int(swaps),
                "mints": n_mints,
                "wallets": n_wallets,
                "wallet_buys_scored": int(scored),
                "outcomes_resolved": int(counts["n"].sum()),
                "seconds": round(kernel, 3),
                "wallet_buys_per_sec": round(scored / kernel),
                "events_per_sec": round(swaps / kernel),
                "end_to_end_seconds": round(end_to_end, 3),
                "labels_seconds": round(labels_seconds, 3),
                "labels_per_sec": round(len(labels) / labels_seconds),
                "labels_resolved": int(np.count_nonzero(labels["status"].to_numpy() >= 0)),
                "jit_warmup_seconds": round(jit_seconds, 3),
                "generate_seconds": None if gen_seconds is None else round(gen_seconds, 1),
                "overflow": scorer.overflow,
                "peak_rss_mb": round(peak_rss_mb(), 1),
                "machine": f"{platform.machine()} {os.cpu_count()} cpu, {platform.python_version()}",
            }
        )
    )


if __name__ == "__main__":
    main()
