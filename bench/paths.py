"""Benchmark and report: the real pump.fun paths (PumpPortal logs) as a lake, side accuracy, and
momentum on real curves beside the synthetic market.

Steps (each prints a line; one JSON object at the end):
1. ingest ``price_paths.parquet`` with ``--map pumpportal-paths`` into ``WORK/real`` (timed) and
   once more (must add nothing);
2. side accuracy against the summaries' per-token buy and sell counts (all tokens);
3. ``memelab backtest --strategy momentum`` on the real lake, and on ``memelab data synth``
   lakes (default market, one per ``--synth-seeds``) at this checkout's commit.

Usage: ``python bench/paths.py [--data ../shared/data/paths/pumpportal_ws] [--work DIR]
[--synth-seeds 7] [--strategy momentum] [--skip-ingest]``. The lakes stay under ``--work``
(default: a new temporary folder) for inspection.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "paths" / "pumpportal_ws"
KEEP = ("trades", "win_rate", "total_return", "pnl_sol", "profit_factor", "max_drawdown")
# Per-trade edge without the risk manager's brakes (daily caps, spacing, loss cooldowns, drawdown
# stops), 1% of equity a trade: enough trades to put an interval on the mean trade return.
UNCAPPED = {
    "tier_daily_cap": [1_000_000] * 4,
    "tier_spacing_s": [0.0] * 4,
    "tier_min_score": [0.0] * 4,
    "cooldown_losses_1": 1_000_000,
    "cooldown_losses_2": 1_000_000,
    "daily_dd_limit": 0.99,
    "weekly_dd_limit": 0.99,
    "portfolio_stop": 0.99,
    "position_fraction": 0.01,
}


def memelab(*args: str) -> dict[str, Any]:
    """Run the ``memelab`` CLI with ``--json`` and return its JSON answer."""
    cmd = [sys.executable, "-m", "memelab.cli.main", *args, "--json"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def commit() -> str:
    """This checkout's commit, ``+dirty`` when tracked files differ from it."""
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, text=True,
                          capture_output=True).stdout.strip()  # fmt: skip
    dirty = subprocess.run(["git", "diff", "--quiet", "HEAD"], cwd=REPO).returncode != 0
    return head + ("+dirty" if dirty else "")


def side_accuracy(lake_root: Path, summaries: Path) -> dict[str, Any]:
    """Inferred buys/sells per token against the bot's counts since the trigger.

    The bot's counts include trades it did not log (the 2 s before the entry, the creator's
    later trades), so per token ``max(0, inferred buys - buy_count) + max(0, inferred sells -
    sell_count)`` rows are wrong at least: a lower bound on the errors, exact in count where
    every trade since the trigger was logged and resolved (``complete`` tokens).
    """
    from memelab.datasets import Lake

    got = (
        Lake(lake_root)
        .sql(
            "SELECT mint, sum(CASE WHEN side = 1 THEN 1 ELSE 0 END) AS b, "
            "sum(CASE WHEN side = -1 THEN 1 ELSE 0 END) AS s FROM swaps GROUP BY mint"
        )
        .set_index("mint")
    )
    s = pq.read_table(summaries).to_pandas().set_index("mint")
    s = s[s.buy_count.notna()].join(got).fillna({"b": 0, "s": 0})
    logged = s.n_rows - 1
    resolved = s.b + s.s
    min_err = np.maximum(0, s.b - s.buy_count) + np.maximum(0, s.s - s.sell_count)
    out: dict[str, Any] = {"tokens_with_counts": int(len(s))}
    groups = {
        "all": np.ones(len(s), bool),
        "complete_logs": (s.trade_count == logged).to_numpy(),
        "complete_and_resolved": (
            (s.trade_count == logged) & (resolved == logged) & (logged > 0)
        ).to_numpy(),  # fmt: skip
    }
    for name, sel in groups.items():
        n_res = int(resolved[sel].sum())
        exact = ((s.b == s.buy_count) & (s.s == s.sell_count))[sel]
        out[name] = {
            "tokens": int(sel.sum()),
            "rows_resolved": n_res,
            "min_wrong_rows": int(min_err[sel].sum()),
            "side_accuracy_upper_bound": round(1 - float(min_err[sel].sum()) / max(n_res, 1), 5),
            "tokens_counts_exact": round(float(exact.mean()), 4),
        }
    return out


def backtest(lake: Path, out: Path, strategy: str, config: Path | None = None) -> dict[str, Any]:
    """``memelab backtest`` headline metrics, plus the mean trade return with a 95% interval."""
    t = time.perf_counter()
    extra = ["--config", str(config)] if config is not None else []
    args = ("backtest", "--lake", str(lake), "--strategy", strategy, "--out", str(out), *extra)
    metrics = memelab(*args)
    m = metrics.get("metrics", metrics)
    res = {k: m.get(k) for k in KEEP}
    r = pq.read_table(out / "trades.parquet", columns=["return_pct"]).column(0).to_numpy()
    if len(r) > 1:
        half = 1.96 * r.std(ddof=1) / np.sqrt(len(r))
        res["mean_trade_return_pct"] = round(float(r.mean()), 4)
        res["mean_trade_return_pct_ci95"] = [round(float(r.mean() - half), 4),
                                         round(float(r.mean() + half), 4)]  # fmt: skip
    res["seconds"] = round(time.perf_counter() - t, 1)
    return res


def both_configs(lake: Path, out: Path, strategy: str, uncapped: Path) -> dict[str, Any]:
    return {
        "default": backtest(lake, out / "default", strategy),
        "uncapped": backtest(lake, out / "uncapped", strategy, uncapped),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--work", type=Path, default=None)
    ap.add_argument("--synth-seeds", type=int, nargs="*", default=[7])
    ap.add_argument("--strategy", default="momentum")
    ap.add_argument("--skip-ingest", action="store_true", help="reuse WORK/real")
    args = ap.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="memelab-paths-"))
    work.mkdir(parents=True, exist_ok=True)
    real = work / "real"
    result: dict[str, Any] = {
        "workload": "pumpportal-paths ingest, side accuracy, backtest real vs synthetic",
        "commit": commit(),
        "machine": f"{platform.machine()} {platform.python_version()}",
        "work": str(work),
    }

    if not args.skip_ingest:
        from memelab.datasets.ingest import ingest

        t = time.perf_counter()
        rep = ingest(real, [args.data / "price_paths.parquet"], preset="pumpportal-paths")
        seconds = time.perf_counter() - t
        f = rep.files[0]
        t = time.perf_counter()
        again = ingest(real, [args.data / "price_paths.parquet"], preset="pumpportal-paths")
        assert again.files[0].ingested == 0, "re-ingest added rows"
        result["ingest"] = {
            "rows_read": f.rows_read,
            "ingested": f.ingested,
            "quarantined": f.quarantined,
            "quarantine_reasons": f.quarantine_reasons,
            "skipped": f.skipped,
            "launches": f.launches_ingested,
            "sol_usd": f.info.get("units_sol_usd"),
            "seconds": round(seconds, 1),
            "rows_per_sec": round(f.rows_read / seconds),
            "reingest_seconds": round(time.perf_counter() - t, 1),
        }
        print(f"ingest: {result['ingest']}", file=sys.stderr)

    result["side_accuracy"] = side_accuracy(real, args.data / "path_summaries.parquet")
    print(f"side accuracy: {result['side_accuracy']}", file=sys.stderr)
    uncapped = work / "uncapped.json"
    uncapped.write_text(json.dumps(UNCAPPED))
    result["uncapped_config"] = UNCAPPED
    result["backtest_real"] = both_configs(real, work / "bt_real", args.strategy, uncapped)
    print(f"{args.strategy} on real paths: {result['backtest_real']}", file=sys.stderr)
    synth = []
    for seed in args.synth_seeds:
        lake = work / f"synth_{seed}"
        if not (lake / "_manifest").is_dir():
            memelab("data", "synth", "--out", str(lake), "--seed", str(seed), "--overwrite")
        res = {
            "seed": seed,
            **both_configs(lake, work / f"bt_synth_{seed}", args.strategy, uncapped),
        }
        print(f"{args.strategy} on synth seed {seed}: {res}", file=sys.stderr)
        synth.append(res)
    result["backtest_synth"] = {
        "market": f"memelab data synth defaults at commit {result['commit']}",
        "seeds": synth,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
