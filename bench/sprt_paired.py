"""Paired vs unpaired two-arm SPRT on two backtests of the same strategy (synthetic lake).

Control: the momentum strategy with the engine's default execution costs (venue fees, priority
fee, tip). Treatment (the planted better variant): the same strategy, params and signals on a
fee-free execution path. Every matched trade keeps more SOL, so the treatment is better on P&L by
construction and at least as good on win rate (trades that lost less than their costs flip to
wins), with no change to what the strategy sees. (An earlier version planted a smaller position
cap; once the fill model kept our own SOL in the pool, a quiet round trip costs only fees at any
size, so that variant's win-rate effect shrank to ~0.02 and stopped being a clear planted edge.)

Both runs are saved as backtest output directories and read back through ``load_trades`` (the
path ``memelab sprt --control --treatment`` takes). For each metric (win, pnl) the script prints
the ASN of the paired design (units = signals both runs traded, joined on ``signal_id``) and of
the unpaired design (the two arms drawn independently from the same matched units), each from
``--sims`` simulated tests, plus the decision each design reaches on the runs' actual order.

    .venv/bin/python bench/sprt_paired.py [--lake DIR] [--tokens 1500 --days 2 --seed 7]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from memelab.engine.config import default_venues

# Risk limits opened up so that nearly every signal is traded in both runs (more pairs).
OPEN_RISK = {
    "tier_daily_cap": (100_000,) * 4,
    "tier_spacing_s": (0.0,) * 4,
    "cooldown_1_s": 0.0,
    "cooldown_2_s": 0.0,
    "daily_dd_limit": 1.0,
    "weekly_dd_limit": 1.0,
    "portfolio_stop": 0.99,
    "max_open_positions": 32,
}
PARAMS = {"min_return": 0.05, "min_buy_sol": 1.0, "min_trades": 3}
FREE_VENUES = {name: replace(v, fee_bps=0.0) for name, v in default_venues().items()}
PLANTED = {"venues": FREE_VENUES, "priority_fee_sol": 0.0, "tip_sol": 0.0}


def run_experiment(
    lake_path: Path, work: Path, sims: int = 4000, seed: int = 0, max_n: int = 100_000
) -> dict:
    """Backtests both variants into ``work`` and compares the designs. Returns the figures."""
    from memelab.datasets.lake import Lake
    from memelab.engine import backtest
    from memelab.research.sprt.analysis import analyse_runs, load_trades
    from memelab.research.sprt.twoarm import TwoArmSPRT, design_asn, pair_by_signal
    from memelab.strategies import momentum

    lake = Lake(lake_path)
    t0 = time.perf_counter()
    runs = {}
    for name, cfg in (("control", OPEN_RISK), ("treatment", {**OPEN_RISK, **PLANTED})):
        backtest(lake, momentum, params=PARAMS, config=cfg, seed=seed).save(work / name)
        runs[name] = load_trades(work / name)
    t_backtest = time.perf_counter() - t0
    out = {
        "code_version": _git_head(),
        "workload": {
            "lake": str(lake_path),
            "events": int(lake.event_count()),
            "trades_control": len(runs["control"]),
            "trades_treatment": len(runs["treatment"]),
            "strategy": "momentum",
            "params": PARAMS,
            "planted_variant": "fee-free execution (venue fees, priority fee and tip at 0)",
        },
        "metrics": {},
    }
    tests = {"win": TwoArmSPRT(delta1=0.08), "pnl": TwoArmSPRT(delta1=0.05)}
    t1 = time.perf_counter()
    for metric, test in tests.items():
        pairing = pair_by_signal(runs["control"], runs["treatment"], metric)
        u = pairing.units
        c = u["control"].to_numpy(float)
        t = u["treatment"].to_numpy(float)
        res = {
            "test": test.params(),
            "matched_units": len(u),
            "unmatched_control": len(pairing.unmatched_control),
            "unmatched_treatment": len(pairing.unmatched_treatment),
            "effect_on_matched": float((t - c).mean()),
            "arm_correlation": pairing.summary()["arm_correlation"],
        }
        for paired in (True, False):
            design = "paired" if paired else "unpaired"
            res[design] = design_asn(test, c, t, paired, n_seq=sims, seed=seed, max_n=max_n)
            actual = analyse_runs(
                runs["control"], runs["treatment"], metric, paired, test,
                n_seq=200, estimate_n_seq=200, seed=seed,
            )  # fmt: skip
            res[design]["on_actual_order"] = {
                k: actual[k] for k in ("decision", "n", "llr", "n_total")
            }
        res["asn_ratio_paired_over_unpaired"] = res["paired"]["asn"] / res["unpaired"]["asn"]
        out["metrics"][metric] = res
    out["seconds"] = {
        "two_backtests": round(t_backtest, 2),
        "sprt_analysis": round(time.perf_counter() - t1, 2),
    }
    return out


def _git_head() -> str | None:
    import subprocess

    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                              cwd=Path(__file__).resolve().parent, check=True)  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return None
    return head.stdout.strip()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lake", type=Path, help="existing lake (default: synthesize one)")
    ap.add_argument("--tokens", type=int, default=1500)
    ap.add_argument("--wallets", type=int, default=3000)
    ap.add_argument("--days", type=int, default=2)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--sims", type=int, default=4000, help="simulated tests per design")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="sprt_paired_") as tmp:
        work = Path(tmp)
        lake = args.lake
        t_synth = 0.0
        if lake is None:
            from memelab.datasets.synth import synthesize

            t0 = time.perf_counter()
            lake = work / "lake"
            synthesize(lake, tokens=args.tokens, wallets=args.wallets, days=args.days,
                       seed=args.seed)  # fmt: skip
            t_synth = time.perf_counter() - t0
        result = run_experiment(lake, work, sims=args.sims)
    result["workload"].update(
        synth={"tokens": args.tokens, "wallets": args.wallets, "days": args.days,
               "seed": args.seed} if args.lake is None else None,
    )  # fmt: skip
    result["seconds"]["synthesize"] = round(t_synth, 2)
    result["machine"] = {
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "note": "shared machine; timings are indicative only",
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
