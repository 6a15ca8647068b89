"""Strategy figures on a synthetic lake, one JSON line each.

    python bench/strategies.py early   [--lake L]   # generator's early flow vs Kam1Cadzee records
    python bench/strategies.py latency [--lake L]   # the sniper's result against engine latency

The lake is synthesised once (``--tokens/--wallets/--days/--seed``) under ``--lake`` when absent.
``latency`` replays the sniper at 0, 200 ms, 400 ms, 1 s and 2 s, with the default risk manager
(``--loose`` lifts its daily caps, spacing and open-position limit so every signal is taken).
These figures describe the generator's first seconds, not the real market (see
``strategies/sniper.py``).
"""

from __future__ import annotations

import argparse
import glob
import json
import re
import time
from pathlib import Path

import numpy as np

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
_B58 = re.compile(r"^[1-9A-HJ-NP-Za-km-z]{32,44}$")
Q = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)


def _lake(args):
    from memelab.datasets.lake import Lake
    from memelab.datasets.synth.generate import synthesize

    lake = Lake(args.lake)
    if not lake.exists():
        synthesize(args.lake, args.tokens, args.wallets, args.days, args.seed)
    return lake


def real_early(root: Path) -> dict[str, np.ndarray]:
    """Kam1Cadzee sniper-bot records (deduplicated): buys, sells, market cap (SOL), traders."""
    files = sorted(glob.glob(str(root / "tracks" / "kam1cadzee_statistic" / "statistic_*.json")))
    if not files:
        raise FileNotFoundError(f"no Kam1Cadzee statistic files under {root / 'tracks'}")
    seen, rows = set(), []
    for f in files:
        for r in json.loads(Path(f).read_text()):
            key = (r.get("mint"), r.get("creation"), r.get("buys"), r.get("sells"))
            if key in seen:
                continue
            seen.add(key)
            traders = {t for t in r.get("traders", []) if isinstance(t, str) and _B58.match(t)}
            rows.append((r["buys"], r["sells"], r["mc"], len(traders)))
    a = np.asarray(rows, dtype=float)
    return {"buys": a[:, 0], "sells": a[:, 1], "mc": a[:, 2], "traders": a[:, 3]}


def synth_early(lake, window_s: float) -> dict[str, np.ndarray]:
    """Per launch, in its first ``window_s``: buys, sells, market cap (SOL), distinct traders."""
    df = lake.sql(
        f"""
        select count(*) filter (where side = 1) as buys, count(*) filter (where side = -1)
               as sells, arg_max(price, ts) * 1e9 as mc, count(distinct trader_id) as traders
        from swaps s join launches l using (mint_id)
        where s.ts <= l.created_ts + {int(window_s * 1e9)}::bigint
        group by mint_id"""
    )
    return {k: df[k].to_numpy(dtype=float) for k in ("buys", "sells", "mc", "traders")}


def _summary(d: dict[str, np.ndarray]) -> dict:
    out = {k: np.quantile(v, Q).round(2).tolist() for k, v in d.items()}
    out["share_no_sell"] = round(float((d["sells"] == 0).mean()), 3)
    n = d["buys"] + d["sells"]
    out["sell_share_median"] = round(float(np.median(d["sells"][n > 0] / n[n > 0])), 3)
    out["n"] = len(d["buys"])
    return out


def early(args) -> None:
    from scipy.stats import ks_2samp

    lake = _lake(args)
    real = real_early(Path(args.real))
    print(json.dumps({"bench": "early_flow", "side": "real_kam1cadzee", "quantiles": Q,
                      **_summary(real)}))  # fmt: skip
    for w in (10.0, 30.0, 60.0, 120.0):
        syn = synth_early(lake, w)
        ks = {k: round(float(ks_2samp(real[k], syn[k]).statistic), 3) for k in real}
        print(json.dumps({"bench": "early_flow", "side": "synthetic", "window_s": w,
                          **_summary(syn), "ks_vs_real": ks}))  # fmt: skip


def latency(args) -> None:
    from memelab.engine import EngineConfig, backtest
    from memelab.strategies import sniper

    lake = _lake(args)
    base = EngineConfig()
    if args.loose:
        base = base.replace(tier_daily_cap=(10_000,) * 4, tier_spacing_s=(0.0,) * 4,
                            max_open_positions=50, daily_dd_limit=1.0, weekly_dd_limit=1.0,
                            portfolio_stop=1.0, cooldown_losses_1=10**6, cooldown_losses_2=10**6)  # fmt: skip
    for lat in (0.0, 0.2, 0.4, 1.0, 2.0):
        t = time.perf_counter()
        res = backtest(lake, sniper, config=base.replace(latency_s=lat))
        m = res.metrics
        tr = res.trades
        print(json.dumps({
            "bench": "sniper_latency", "latency_s": lat, "loose_risk": bool(args.loose),
            "lake": str(lake.root), "trades": m["trades"], "win_rate": m.get("win_rate"),
            "total_return": m.get("total_return"), "pnl_sol": float(tr["pnl_sol"].sum()),
            "mean_return_pct": float(tr["return_pct"].mean()) if len(tr) else None,
            "failed_tx": m.get("failed_tx"),
            "exit_reasons": m.get("exit_reasons"), "seconds": round(time.perf_counter() - t, 2),
        }, default=float))  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("what", choices=["early", "latency"])
    ap.add_argument("--lake", default="/tmp/memelab_bench_strategies_lake")
    ap.add_argument("--real", default=str(SHARED))
    ap.add_argument("--tokens", type=int, default=3000)
    ap.add_argument("--wallets", type=int, default=3000)
    ap.add_argument("--days", type=int, default=1)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--loose", action="store_true")
    args = ap.parse_args()
    {"early": early, "latency": latency}[args.what](args)


if __name__ == "__main__":
    main()
