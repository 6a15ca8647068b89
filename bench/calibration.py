"""Calibration across seeds: KS of every calibrated distribution on several reference lakes.

One seed's KS figures are one draw: a knob tuned on it can look calibrated and miss on the
next seed. This builds the reference lake for each seed (in parallel worker processes), runs
the same comparison as ``memelab data calibrate`` and prints a table of KS per seed, the worst
per distribution, and one JSON line at the end.

    python bench/calibration.py --seeds 1 2 3 4 5 6 [--tokens 10000 --wallets 20000]
    python bench/calibration.py --seeds 1 2 --set tau_sigma=1.4 --set p_bundled=0.01
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_REAL = ROOT.parent / "shared" / "data"


def _one(seed: int, tokens: int, wallets: int, days: int, real: str, knobs: dict) -> dict:
    from memelab.datasets.synth import SynthConfig, synthesize
    from memelab.datasets.synth.calibrate import compare

    tmp = Path(tempfile.mkdtemp(prefix=f"memelab-cal-{seed}-"))
    try:
        t0 = time.perf_counter()
        cfg = SynthConfig().replace(**knobs)
        lake = synthesize(tmp / "lake", tokens, wallets, days, seed, config=cfg)
        comps = {c.name: c.summary() for c in compare(lake, real)}
        return {
            "seed": seed,
            "seconds": round(time.perf_counter() - t0, 1),
            "ks": {k: round(v["ks"], 4) for k, v in comps.items()},
            "n_synth": {k: v["synthetic"]["n"] for k, v in comps.items()},
            "real": {k: v["real"] for k, v in comps.items()},
            "synthetic": {k: v["synthetic"] for k, v in comps.items()},
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _knob(text: str) -> tuple[str, float]:
    name, _, value = text.partition("=")
    if not value:
        raise argparse.ArgumentTypeError(f"--set wants KNOB=VALUE, got {text!r}")
    return name, float(value)


# Measured on the reference lake (10k tokens x 20k wallets x 2 d: 7.06 M swaps, 28 s, 1.76 GB
# peak; docs/synthetic_market.md): swaps scale with tokens x days, time with swaps.
SWAPS_PER_TOKEN_DAY = 7_058_419 / (10_000 * 2)
SWAPS_PER_S = 251_000
PEAK_GB_PER_M_SWAPS = 1.76 / 7.06


def size_warning(seeds: list[int], tokens: int, wallets: int, days: int, workers: int) -> str:
    """What the run is about to build, said before it starts (one lake per seed)."""
    swaps = SWAPS_PER_TOKEN_DAY * tokens * days
    minutes = len(seeds) * swaps / SWAPS_PER_S / 60 / max(1, min(workers, len(seeds)))
    return (
        f"building {len(seeds)} reference lake(s) of {tokens:,} tokens x {wallets:,} wallets x "
        f"{days} d: ~{swaps / 1e6:.1f} M swaps each, ~{PEAK_GB_PER_M_SWAPS * swaps / 1e6:.1f} GB "
        f"peak memory per worker, roughly {max(minutes, 0.1):.1f} min of generation plus the "
        f"comparisons on {workers} worker(s). For a quick look: --tokens 1000 --wallets 2000 "
        "--seeds 1 2. Ctrl-C stops."
    )


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5, 6])
    ap.add_argument("--tokens", type=int, default=10_000)
    ap.add_argument("--wallets", type=int, default=20_000)
    ap.add_argument("--days", type=int, default=2)
    ap.add_argument("--real", default=str(DEFAULT_REAL))
    ap.add_argument("--set", type=_knob, action="append", default=[], metavar="KNOB=VALUE")
    ap.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    args = ap.parse_args(argv)
    if not Path(args.real).is_dir():
        sys.exit(f"real data folder {args.real} not found (see ../shared/data/PROVENANCE.md)")
    knobs = dict(args.set)
    print(size_warning(args.seeds, args.tokens, args.wallets, args.days, args.workers),
          file=sys.stderr, flush=True)  # fmt: skip
    jobs = [(s, args.tokens, args.wallets, args.days, args.real, knobs) for s in args.seeds]
    with ProcessPoolExecutor(args.workers) as pool:
        rows = list(pool.map(_one, *zip(*jobs, strict=True)))
    names = sorted(rows[0]["ks"])
    width = max(len(n) for n in names)
    print(f"{'distribution':<{width}}  " + " ".join(f"s{r['seed']:<5}" for r in rows) + "  worst")
    worst = {}
    for n in names:
        ks = [r["ks"][n] for r in rows]
        worst[n] = max(ks)
        flag = "" if worst[n] <= 0.15 else "  > 0.15"
        print(f"{n:<{width}}  " + " ".join(f"{k:<6.3f}" for k in ks) + f"  {worst[n]:.3f}{flag}")
    print("\nquantiles q05 q10 q25 q50 q75 q90 q95: real, then the synthetic median over seeds")
    qs = ("q05", "q10", "q25", "q50", "q75", "q90", "q95")
    for n in names:
        real = rows[0]["real"][n]
        synth = [statistics.median(r["synthetic"][n][q] for r in rows) for q in qs]
        print(f"{n:<{width}}  real  " + " ".join(f"{real[q]:<8.4g}" for q in qs))
        print(f"{'':<{width}}  synth " + " ".join(f"{v:<8.4g}" for v in synth))
    summary = {
        "workload": f"calibration {args.tokens} tokens x {args.wallets} wallets x {args.days} d",
        "seeds": args.seeds,
        "knobs": knobs,
        "worst_ks": worst,
        "per_seed": [{k: r[k] for k in ("seed", "seconds", "ks", "n_synth")} for r in rows],
    }
    print(json.dumps(summary, sort_keys=True))
    return summary


if __name__ == "__main__":
    main()
