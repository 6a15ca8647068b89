"""Price gaps between a mint's pools: how wide they open above the fees and how long they last.

A measurement on a generated lake (docs and tests), from the swaps rows alone: each row carries
its pool's reserves after it, so each pool's spot is known after every timestamp. A gap is
``|log(spot_a / spot_b)|`` between a mint's PumpSwap pool and its extra pool, taken after all
rows of one timestamp (an arbitrage's two legs land together). An *episode* starts when the
gap rises above the two pools' fees and ends at the first timestamp where it is back within
them; one still open when the mint's rows end is *censored* (counted, no duration).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from memelab.datasets.lake import Lake
from memelab.datasets.synth.generate import pools_truth


def gap_episodes(lake: Lake | str | Path) -> dict[str, np.ndarray]:
    """Every gap episode above fees: mint, start ts (ns), gap at the start and at its peak (bps),
    duration (s; nan: censored)."""
    lake = lake if isinstance(lake, Lake) else Lake(lake)
    pt = pools_truth(lake).to_pandas()
    extra = pt[pt["venue"].isin(["raydium", "meteora"])]
    out: dict[str, list] = {
        "mint": [],
        "start_ns": [],
        "start_bps": [],
        "peak_bps": [],
        "duration_s": [],
    }
    if extra.empty:
        return {k: np.array(v) for k, v in out.items()}
    rows = lake.sql(
        "select mint, pool, ts, virtual_sol_reserves vs, virtual_token_reserves vt "
        "from swaps where venue <> 'pumpfun' order by mint, ts"
    )
    rows = rows[rows["mint"].isin(set(extra["mint"]))]
    for mint, g in rows.groupby("mint", sort=True):
        pool_b = extra.loc[extra["mint"] == mint, "pool"].iloc[0]
        fee_b = float(extra.loc[extra["mint"] == mint, "fee"].iloc[0])
        fee_a = float(pt[(pt["mint"] == mint) & (pt["venue"] == "pumpswap")]["fee"].iloc[0])
        thr = fee_a + fee_b
        is_b = (g["pool"] == pool_b).to_numpy()
        spot = (g["vs"] / g["vt"]).to_numpy()
        ts = g["ts"].to_numpy()
        sa = sb = np.nan
        open_ts = -1
        peak = start = 0.0
        for i in range(len(ts)):
            if is_b[i]:
                sb = spot[i]
            else:
                sa = spot[i]
            if i + 1 < len(ts) and ts[i + 1] == ts[i]:
                continue  # judge the gap once every row of this timestamp is in
            if np.isnan(sa) or np.isnan(sb):
                continue
            gap = abs(np.log(sa / sb))
            if gap > thr:
                if open_ts < 0:
                    open_ts, peak, start = ts[i], gap, gap
                peak = max(peak, gap)
            elif open_ts >= 0:
                out["mint"].append(mint)
                out["start_ns"].append(open_ts)
                out["start_bps"].append(start * 1e4)
                out["peak_bps"].append(peak * 1e4)
                out["duration_s"].append((ts[i] - open_ts) / 1e9)
                open_ts = -1
        if open_ts >= 0:
            out["mint"].append(mint)
            out["start_ns"].append(open_ts)
            out["start_bps"].append(start * 1e4)
            out["peak_bps"].append(peak * 1e4)
            out["duration_s"].append(np.nan)
    return {k: np.array(v) for k, v in out.items()}


def gap_summary(lake: Lake | str | Path) -> dict[str, Any]:
    """Quantiles of gap episodes' peak (bps above zero, fees included) and duration (s)."""
    ep = gap_episodes(lake)
    pt = pools_truth(lake if isinstance(lake, Lake) else Lake(lake))
    venues = pt.column("venue").to_pylist()
    dur = ep["duration_s"].astype(np.float64)
    done = dur[~np.isnan(dur)]
    qs = (0.1, 0.25, 0.5, 0.75, 0.9, 0.99)

    def quant(x: np.ndarray) -> dict[str, float] | None:
        if len(x) == 0:
            return None
        return {f"q{int(q * 100)}": round(float(np.quantile(x, q)), 3) for q in qs} | {
            "mean": round(float(np.mean(x)), 3),
            "max": round(float(np.max(x)), 3),
        }

    return {
        "graduated_mints": venues.count("pumpswap"),
        "extra_pools": {v: venues.count(v) for v in ("raydium", "meteora")},
        "episodes": int(len(ep["peak_bps"])),
        "censored": int(len(ep["peak_bps"]) - len(done)),
        "peak_gap_bps": quant(ep["peak_bps"]),
        "duration_s": quant(done),
    }
