"""Calibration across seeds: every statistic of ``memelab data calibrate`` on several lakes.

One seed's figures are one draw: a knob tuned on it can look calibrated and miss on the next
seed. This builds the reference lake for each seed (in parallel worker processes), runs the same
comparison as ``memelab data calibrate`` (the seven marginals and the path statistics from the
creator's dump on, judged family-wise by Holm per seed) and prints the test statistic per seed
(KS, or |difference| for shares and correlations), the worst, the noise level, how many seeds
were within noise, and one JSON line at the end.

    python bench/calibration.py --seeds 1 2 3 4 5 6 [--tokens 10000 --wallets 20000]
    python bench/calibration.py --seeds 1 2 --set tau_sigma=1.4 --scenario planted
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


def _one(
    seed: int, tokens: int, wallets: int, days: int, real: str, knobs: dict, scenario: str
) -> dict:
    from memelab.datasets.synth import scenario_config, synthesize
    from memelab.datasets.synth.calibrate import calibration_report

    tmp = Path(tempfile.mkdtemp(prefix=f"memelab-cal-{seed}-"))
    try:
        t0 = time.perf_counter()
        cfg = scenario_config(scenario, **knobs)
        lake = synthesize(tmp / "lake", tokens, wallets, days, seed, config=cfg)
        rep = calibration_report(lake, real)
        comps = {**rep["distributions"], **rep["paths"]}
        comps = {k: v for k, v in comps.items() if not k.startswith("_")}

        def stat(v: dict) -> float:
            x = v.get("ks", v.get("stat"))
            return float("nan") if x is None else round(x, 4)

        return {
            "seed": seed,
            "seconds": round(time.perf_counter() - t0, 1),
            "ks": {k: stat(v) for k, v in comps.items()},
            "noise95": {k: v.get("ks_noise95", v.get("noise95")) for k, v in comps.items()},
            "ok": {k: v.get("within_noise") for k, v in comps.items()},
            "n_synth": {k: v["synthetic"].get("n", 0) for k, v in comps.items()},
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
    ap.add_argument("--scenario", default="calibrated", choices=("calibrated", "null", "planted"))
    ap.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    args = ap.parse_args(argv)
    if not Path(args.real).is_dir():
        sys.exit(f"real data folder {args.real} not found (see ../shared/data/PROVENANCE.md)")
    knobs = dict(args.set)
    print(size_warning(args.seeds, args.tokens, args.wallets, args.days, args.workers),
          file=sys.stderr, flush=True)  # fmt: skip
    jobs = [
        (s, args.tokens, args.wallets, args.days, args.real, knobs, args.scenario)
        for s in args.seeds
    ]
    with ProcessPoolExecutor(args.workers) as pool:
        rows = list(pool.map(_one, *zip(*jobs, strict=True)))
    names = list(rows[0]["ks"])
    width = max(len(n) for n in names)
    head = " ".join(f"s{r['seed']:<5}" for r in rows)
    print(f"{'statistic':<{width}}  {head}  worst   noise95  within noise (Holm)")
    worst = {}
    for n in names:
        ks = [r["ks"][n] for r in rows]
        worst[n] = max(ks)
        noise = [r["noise95"][n] for r in rows if r["noise95"][n] is not None]
        ok = sum(bool(r["ok"][n]) for r in rows)
        print(
            f"{n:<{width}}  " + " ".join(f"{k:<6.3f}" for k in ks)
            + f"  {worst[n]:<6.3f}  {statistics.median(noise) if noise else float('nan'):<7.3f}"
            + f"  {ok}/{len(rows)}"
        )  # fmt: skip
    print("\nreal vs synthetic (median over seeds): q25 q50 q75, or the value")
    for n in names:
        real = rows[0]["real"][n]
        if "value" in real:
            synth = statistics.median(r["synthetic"][n].get("value", float("nan")) for r in rows)
            print(f"{n:<{width}}  real {real['value']:<8.4g} synth {synth:<8.4g}")
            continue
        qs = [q for q in ("q25", "q50", "q75") if q in real]
        if not qs:
            qs = [q for q in ("q10", "q25", "q50", "q75", "q90") if q in real]
        line = []
        for q in qs:
            vals = [r["synthetic"][n][q] for r in rows if q in r["synthetic"][n]]
            line.append(f"{real[q]:.4g}/{statistics.median(vals) if vals else float('nan'):.4g}")
        pos = ""
        if "pos" in real:
            sp = [r["synthetic"][n]["pos"] for r in rows if "pos" in r["synthetic"][n]]
            pos = f"  >0 {real['pos']:.2f}/{statistics.median(sp) if sp else float('nan'):.2f}"
        print(f"{n:<{width}}  " + " ".join(line) + pos)
    summary = {
        "workload": f"calibration {args.tokens} tokens x {args.wallets} wallets x {args.days} d",
        "seeds": args.seeds,
        "knobs": knobs,
        "worst_ks": worst,
        "scenario": args.scenario,
        "within_noise_per_seed": {r["seed"]: sum(bool(v) for v in r["ok"].values()) for r in rows},
        "per_seed": [{k: r[k] for k in ("seed", "seconds", "ks", "n_synth")} for r in rows],
    }
    print(json.dumps(summary, sort_keys=True))
    return summary


if __name__ == "__main__":
    main()
