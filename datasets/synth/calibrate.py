"""Synthetic vs real: the same statistic computed on both sides, compared by quantiles and KS.

Each ``Comparison`` pairs a loader of a real distribution from ``../shared/data`` with the
synthetic counterpart computed from a lake, defined to match the real collector as closely as
the data allow (the definitions are in ``DEFINITIONS`` and in ``docs/synthetic_market.md``).
Nothing here tunes anything: it measures. ``calibration_report`` writes JSON and HTML.
"""

from __future__ import annotations

import glob
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from memelab.datasets.lake import Lake
from memelab.datasets.synth.config import (
    CURVE_K,
    CURVE_REAL_TOK0,
    CURVE_VSOL0,
    CURVE_VTOK0,
    CURVE_VTOK_END,
    TOKEN_SUPPLY,
)

QUANTILES = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)
TTG_FLOOR_MIN = 1.0  # real clocks disagree by up to 40 s (negative durations): floor both sides
TTG_MAX_MIN = 360.0  # synthetic tokens live <= 6 h: compare graduations within 6 h on both sides
EARLY_WINDOW_S = 60.0  # the sniper bot's observation window (undocumented; see docs)
TRACK_SAMPLE_S = 6.0  # the tracker's median sampling interval
_B58 = re.compile(r"^[1-9A-HJ-NP-Za-km-z]{32,44}$")

DEFINITIONS = {
    "time_to_graduation_min": (
        "minutes from creation to curve completion of graduated tokens; real: Coin-Meme "
        "bonding_completeTime - createdAt; both sides floored at 1 min (the real file has "
        "negative durations down to -40 s: two clocks) and restricted to <= 6 h (synthetic "
        "token lifetime)"
    ),
    "graduated_mcap_x_floor": (
        "market cap of graduated tokens once their trading is over, as a multiple of the "
        "all-dumped floor (every token sold back into the LP-burned pool); real: Coin-Meme mCap "
        "(USD, scraped weeks/months after graduation) over the lowest one in the file (a fully "
        "dumped token; the SOL/USD rate at the scrape and the Raydium-era pool size both cancel); "
        "synthetic: last pool price x 1e9 supply over the PumpSwap pool's floor, rugged tokens "
        "and tokens whose 6 h life passes the horizon left out"
    ),
    "wallet_expected_roi": (
        "per wallet, mean over the tokens it bought of realised ROI = SOL received from sells "
        "(net of fees) / SOL spent on buys (incl. fees) - 1; wallets with >= 10 trades and "
        ">= 5 tokens (the Flipside query's filter, minus its >= 10 active days)"
    ),
    "wallet_win_loss_ratio": "per wallet, tokens with ROI > 0 / tokens with ROI <= 0 (same wallets)",
    "wallet_trades_per_token": (
        "per wallet, TOTAL_TRADES / UNIQUE_TOKENS_TRADED (the raw trade count scales with the "
        "3.5-month real window vs days of synthetic market, trades per token does not)"
    ),
    "early_traders_per_token": (
        "distinct wallets (creator included) trading a new token in its first 60 s; real: length "
        "of the sniper bot's `traders` list (base58-valid entries) per record"
    ),
    "curve_max_progress_pct": (
        "per token, the highest bonding-curve progress (% of the 793.1M real tokens sold) seen "
        "in a tracking window; synthetic: windows from creation with lengths resampled from the "
        "real tracker's per-token window lengths, sampled every 6 s"
    ),
}


# ------------------------------------------------------------------------------------ real side
def real_launches(real: Path) -> dict[str, np.ndarray]:
    """Coin-Meme: time to graduation (min) and market cap (USD) of graduated tokens."""
    path = real / "launches" / "coin-meme" / "description_finance.csv"
    df = _read_csv(path)
    fmt = "%d/%m/%Y, %H:%M:%S"
    created = pd.to_datetime(df["createdAt"], format=fmt, errors="coerce")
    done = pd.to_datetime(df["bonding_completeTime"], format=fmt, errors="coerce")
    ttg = ((done - created).dt.total_seconds() / 60.0).dropna().to_numpy()
    mcap = pd.to_numeric(df["mCap"].astype(str).str.replace(",", ""), errors="coerce").dropna()
    return {"ttg": ttg, "mcap": mcap.to_numpy(dtype=float)}


def real_wallets(real: Path) -> pd.DataFrame:
    """Flipside per-wallet stats: expected ROI, win/loss ratio, trades per token."""
    path = real / "wallet_stats" / "johnnynftbank-flipside" / "jackpot_criteria_11000.csv"
    df = _read_csv(path).dropna(subset=["EXPECTED_ROI", "TOTAL_TRADES", "UNIQUE_TOKENS_TRADED"])
    return pd.DataFrame(
        {
            "roi": df["EXPECTED_ROI"].astype(float),
            "win_loss": df["WIN_LOSS_RATIO"].astype(float),
            "trades_per_token": df["TOTAL_TRADES"].astype(float)
            / df["UNIQUE_TOKENS_TRADED"].astype(float).clip(lower=1),
        }
    )


def real_early_traders(real: Path) -> np.ndarray:
    """Sniper-bot records: number of valid early trader addresses per token record."""
    files = sorted(glob.glob(str(real / "tracks" / "kam1cadzee_statistic" / "*.json")))
    if not files:
        raise FileNotFoundError(f"no kam1cadzee statistic files under {real / 'tracks'}")
    counts = []
    seen: set[tuple] = set()
    for f in files:
        for rec in json.loads(Path(f).read_text()):
            key = (rec.get("mint"), rec.get("creation"), rec.get("buys"), rec.get("sells"))
            if key in seen:  # the files repeat some records exactly
                continue
            seen.add(key)
            traders = {t for t in rec.get("traders", []) if isinstance(t, str) and _B58.match(t)}
            counts.append(len(traders))
    return np.asarray(counts, dtype=float)


def real_tracks(real: Path) -> tuple[np.ndarray, np.ndarray]:
    """Tracker: per-token max progress (%) and per-token tracking window length (s)."""
    path = real / "tracks" / "boluwatifee4" / "all_token_tracks.csv"
    df = _read_csv(path)
    df["ts"] = pd.to_datetime(df["timestamp"], format="ISO8601", utc=True)
    g = df.groupby("mint")
    max_progress = g["progress"].max().to_numpy(dtype=float)
    window = (g["ts"].max() - g["ts"].min()).dt.total_seconds().to_numpy(dtype=float)
    return max_progress, window


def _read_csv(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing (see ../shared/data/PROVENANCE.md)")
    return pd.read_csv(path)


# ------------------------------------------------------------------------------- synthetic side
def synth_meta(lake: Lake) -> dict[str, Any]:
    """The generator's arguments saved beside a synthetic lake (``synth.json``)."""
    path = lake.root / "synth.json"
    if not path.exists():
        raise FileNotFoundError(f"{path} missing: calibrate compares lakes made by `data synth`")
    return json.loads(path.read_text())


def pool_floor_mcap_sol() -> float:
    """Market cap (SOL) of a graduated token once every token is sold back into its pool.

    The pool opens with the curve's real SOL and ``real SOL / price`` tokens (price carried
    over); the LP is burned, so selling back the 793.1M tokens the curve sold leaves price
    ``k / Y**2``, ``Y`` = the pool's tokens + 793.1M (about the whole supply): no lower price.
    """
    vs_end = CURVE_K / CURVE_VTOK_END
    real_sol = vs_end - CURVE_VSOL0
    pool_tokens = real_sol / (vs_end / CURVE_VTOK_END)
    y = pool_tokens + CURVE_REAL_TOK0
    return real_sol * pool_tokens / y**2 * TOKEN_SUPPLY


def synth_launches(lake: Lake) -> dict[str, np.ndarray]:
    """Time to graduation (min) and end-of-life market cap (x floor) of graduated tokens.

    Market caps only count tokens whose whole life fits before the horizon (a token cut off
    mid-pump has no "later" price) and that were not rugged (pump.fun burns the pool's LP, and
    no real market cap is below the all-dumped floor, so the real list has no pulled pools).
    """
    meta = synth_meta(lake)
    last_created = int(meta["horizon_ns"] - meta["config"]["max_life_s"] * 1e9)
    df = lake.sql(
        f"""
        with last as (
            select mint_id, arg_max(virtual_sol_reserves / virtual_token_reserves, ts) as px
            from swaps group by mint_id
        )
        select l.mint_id, (l.graduated_ts - l.created_ts) / 6e10 as ttg, last.px,
               t.fate, l.created_ts <= {last_created} as complete
        from launches l join last using (mint_id) join tokens_truth t using (mint_id)
        where l.graduated_ts is not null
        """
    )
    keep = df["complete"].to_numpy(dtype=bool) & (df["fate"].to_numpy() != "rug")
    mcap_sol = df["px"].to_numpy(dtype=float)[keep] * TOKEN_SUPPLY
    return {
        "ttg": df["ttg"].to_numpy(dtype=float),
        "mcap_x_floor": mcap_sol / pool_floor_mcap_sol(),
    }


def synth_wallets(lake: Lake, min_trades: int = 10, min_tokens: int = 5) -> pd.DataFrame:
    """Per-wallet realised ROI stats, with the real query's activity filter.

    The float sums run in a fixed order (``ORDER BY`` inside the aggregates, and the wallets
    sorted): DuckDB's parallel aggregation otherwise adds in whatever order its threads meet the
    rows, the last bits of a ROI change from run to run, and a lake compared with itself would
    not give a KS distance of 0.
    """
    df = lake.sql(
        f"""
        with pos as (
            select trader_id, mint_id,
                   sum(case when side = 1 then sol_amount + fee else 0 end
                       order by ts, signature, ix_index) as spent,
                   sum(case when side = -1 then sol_amount - fee else 0 end
                       order by ts, signature, ix_index) as received,
                   count(*) as trades
            from swaps where side != 0 group by trader_id, mint_id
        ), roi as (
            select trader_id, mint_id, trades, received / spent - 1 as r from pos where spent > 0
        )
        select trader_id, avg(r order by mint_id) as roi,
               sum(case when r > 0 then 1 else 0 end) as wins,
               sum(case when r <= 0 then 1 else 0 end) as losses,
               sum(trades) as trades, count(*) as tokens
        from roi group by trader_id
        having sum(trades) >= {int(min_trades)} and count(*) >= {int(min_tokens)}
        order by trader_id
        """
    )
    return pd.DataFrame(
        {
            "roi": df["roi"].astype(float),
            "win_loss": df["wins"] / df["losses"].clip(lower=1),
            "trades_per_token": df["trades"] / df["tokens"],
        }
    )


def synth_early_traders(lake: Lake, window_s: float = EARLY_WINDOW_S) -> np.ndarray:
    """Distinct wallets trading each token in its first ``window_s`` seconds."""
    df = lake.sql(
        f"""
        select l.mint_id, count(distinct s.trader_id) as n
        from launches l join swaps s using (mint_id)
        where s.side != 0 and s.ts < l.created_ts + {int(window_s * 1e9)}
        group by l.mint_id
        """
    )
    n_tokens = int(lake.sql("select count(*) as n from launches")["n"].iloc[0])
    counts = np.zeros(n_tokens)
    counts[: len(df)] = df["n"].to_numpy(dtype=float)  # tokens nobody traded count 0
    return counts


def synth_tracks(lake: Lake, windows: np.ndarray, seed: int = 0) -> np.ndarray:
    """Per-token max curve progress over a window from creation, window lengths resampled."""
    ev = lake.sql(
        """
        select s.mint_id, (s.ts - l.created_ts) / 1e9 as age, s.venue, s.virtual_token_reserves as vt
        from swaps s join launches l using (mint_id) order by s.mint_id, s.ts
        """
    )
    mint = ev["mint_id"].to_numpy()
    age = ev["age"].to_numpy(dtype=float)
    progress = np.where(
        ev["venue"].to_numpy() == "pumpfun",
        (CURVE_VTOK0 - ev["vt"].to_numpy(dtype=float)) / CURVE_REAL_TOK0 * 100.0,
        100.0,
    )
    bounds = np.flatnonzero(np.diff(mint)) + 1
    starts = np.concatenate([[0], bounds])
    ends = np.concatenate([bounds, [len(mint)]])
    rng = np.random.default_rng(seed)
    out = np.empty(len(starts))
    for i, (a, b) in enumerate(zip(starts, ends, strict=True)):
        w = windows[rng.integers(len(windows))]
        sample_t = np.arange(0.0, w + 1e-9, TRACK_SAMPLE_S)
        idx = np.searchsorted(age[a:b], sample_t, side="right") - 1
        seen = progress[a:b][idx[idx >= 0]]
        out[i] = seen.max() if len(seen) else 0.0
    return out


# ----------------------------------------------------------------------------------- comparison
@dataclass(frozen=True)
class Comparison:
    name: str
    real: np.ndarray
    synth: np.ndarray
    log_x: bool

    def summary(self) -> dict[str, Any]:
        from scipy.stats import ks_2samp

        real = self.real[np.isfinite(self.real)]
        synth = self.synth[np.isfinite(self.synth)]
        ks = ks_2samp(real, synth) if len(real) and len(synth) else None
        return {
            "definition": DEFINITIONS[self.name],
            "real": _describe(real),
            "synthetic": _describe(synth),
            "ks": None if ks is None else float(ks.statistic),
            "ks_pvalue": None if ks is None else float(ks.pvalue),
            "ks_noise95": ks_noise95(len(real), len(synth)),
        }


def ks_noise95(n: int, m: int) -> float | None:
    """The KS statistic that samples of sizes n and m of one distribution exceed 5% of the time.

    The asymptotic two-sample critical value 1.358 * sqrt((n + m) / (n m)): a figure below it
    cannot tell the generator from a perfect one at these sample sizes (e.g. 0.25 for 30
    synthetic graduates against the 3,392 real ones, 0.10 for 200).
    """
    if n == 0 or m == 0:
        return None
    return float(1.358 * np.sqrt((n + m) / (n * m)))


def _describe(x: np.ndarray) -> dict[str, Any]:
    if not len(x):
        return {"n": 0}
    q = np.quantile(x, QUANTILES)
    return {
        "n": int(len(x)),
        **{f"q{int(p * 100):02d}": float(v) for p, v in zip(QUANTILES, q, strict=True)},
    }


def compare(lake: Lake, real: str | Path) -> list[Comparison]:
    """Every calibrated marginal distribution, real vs synthetic.

    ``real`` is the ``../shared/data`` folder, or a lake (``calibrate --real LAKE``): then each
    marginal that can be computed from a lake is computed the same way on both sides (the
    wallet statistics, early traders; graduations when the real lake has ``launches``).
    """
    real = Path(real)
    if not real.is_dir():
        raise FileNotFoundError(f"real data folder {real} not found")
    if is_lake(real):
        return _compare_lakes(lake, Lake(real))
    rl = real_launches(real)
    sl = synth_launches(lake)
    real_mcap = rl["mcap"][rl["mcap"] > 0]
    rt = np.clip(rl["ttg"], TTG_FLOOR_MIN, None)
    st = np.clip(sl["ttg"], TTG_FLOOR_MIN, None)
    rw, sw = real_wallets(real), synth_wallets(lake)
    r_prog, r_win = real_tracks(real)
    return [
        Comparison("time_to_graduation_min", rt[rt <= TTG_MAX_MIN], st[st <= TTG_MAX_MIN], True),
        Comparison("graduated_mcap_x_floor", real_mcap / real_mcap.min(), sl["mcap_x_floor"], True),
        Comparison("wallet_expected_roi", rw["roi"].to_numpy(), sw["roi"].to_numpy(), False),
        Comparison(
            "wallet_win_loss_ratio", rw["win_loss"].to_numpy(), sw["win_loss"].to_numpy(), False
        ),
        Comparison(
            "wallet_trades_per_token",
            rw["trades_per_token"].to_numpy(),
            sw["trades_per_token"].to_numpy(),
            True,
        ),
        Comparison(
            "early_traders_per_token", real_early_traders(real), synth_early_traders(lake), False
        ),
        Comparison("curve_max_progress_pct", r_prog, synth_tracks(lake, r_win), False),
    ]


def is_lake(path: Path) -> bool:
    """A lake folder (``calibrate --real LAKE``) rather than the real-data folder."""
    return Lake(path).exists()


def _compare_lakes(lake: Lake, real: Lake) -> list[Comparison]:
    rw, sw = synth_wallets(real), synth_wallets(lake)
    out = [
        Comparison(name, rw[col].to_numpy(), sw[col].to_numpy(), log_x)
        for name, col, log_x in (
            ("wallet_expected_roi", "roi", False),
            ("wallet_win_loss_ratio", "win_loss", False),
            ("wallet_trades_per_token", "trades_per_token", True),
        )
    ]
    if "launches" in real.tables():
        out.append(
            Comparison(
                "early_traders_per_token",
                synth_early_traders(real),
                synth_early_traders(lake),
                False,
            )
        )
        ttg = real.sql(
            "select (graduated_ts - created_ts) / 6e10 as m from launches "
            "where graduated_ts is not null"
        )["m"].to_numpy(dtype=float)
        st = np.clip(synth_launches(lake)["ttg"], TTG_FLOOR_MIN, None)
        rt = np.clip(ttg, TTG_FLOOR_MIN, None)
        out.append(
            Comparison("time_to_graduation_min", rt[rt <= TTG_MAX_MIN], st[st <= TTG_MAX_MIN], True)
        )
    return out


def real_path_sample(real: str | Path):
    """The real side of the path statistics: the PumpPortal logs, or a lake's own paths."""
    from memelab.datasets.synth import pathstats

    real = Path(real)
    if is_lake(real):
        return pathstats.lake_paths(Lake(real), _lake_end_ns(Lake(real)))
    return pathstats.real_paths(real)


def _lake_end_ns(lake: Lake) -> int:
    meta = lake.root / "synth.json"
    if meta.exists():
        return int(json.loads(meta.read_text())["horizon_ns"])
    return int(lake.sql("select max(ts) as t from swaps")["t"].iloc[0])


def calibration_report(
    lake: Lake, real: str | Path, out: str | Path | None = None, alpha: float = 0.05
) -> dict[str, Any]:
    """Compare marginals and path statistics; judge "within noise" family-wise (Holm).

    With ``out``, write ``calibration.json`` and ``calibration.html``. Every statistic carries
    its p-value (KS, or a z-test for shares and correlations), its noise level and ``within_noise``
    (Holm's step-down over all of them at family level ``alpha``: a perfect generator fails the
    whole family only ``alpha`` of the time, however many statistics there are).
    """
    from memelab.datasets.synth import pathstats

    comps = compare(lake, real)
    dists = {c.name: c.summary() for c in comps}
    meta_path = lake.root / "synth.json"
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    paths: dict[str, dict] = {}
    try:
        paths = pathstats.compare_paths(
            real_path_sample(real), pathstats.lake_paths(lake, _lake_end_ns(lake))
        )
    except FileNotFoundError as exc:
        paths = {"_missing": {"definition": str(exc)}}
    pvals = {k: d.get("ks_pvalue") for k, d in dists.items()}
    pvals |= {k: d.get("pvalue") for k, d in paths.items() if not k.startswith("_")}
    verdict = pathstats.holm(pvals, alpha)
    for k, d in dists.items():
        d["within_noise"] = verdict.get(k)
    for k, d in paths.items():
        d["within_noise"] = verdict.get(k)
    judged = [v for v in verdict.values() if v is not None]
    report = {
        "lake": str(lake.root),
        "scenario": meta.get("scenario", meta.get("config", {}).get("scenario")),
        "real": str(real),
        "target_ks": 0.15,
        "family_alpha": alpha,
        "within_noise": f"{sum(judged)}/{len(judged)}",
        "distributions": dists,
        "paths": paths,
    }
    if out is not None:
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "calibration.json").write_text(json.dumps(_finite(report), indent=2, sort_keys=True))
        _write_html(comps, report, out / "calibration.html")
    return report


def _finite(obj: Any) -> Any:
    """Strict JSON: NaN and inf become None."""
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_finite(v) for v in obj]
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    return obj


def _write_html(comps: list[Comparison], report: dict[str, Any], path: Path) -> None:
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    cols = 2
    rows = (len(comps) + cols - 1) // cols
    titles = [f"{c.name}  (KS {report['distributions'][c.name]['ks']:.3f})" for c in comps]
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles)
    for i, c in enumerate(comps):
        r, col = i // cols + 1, i % cols + 1
        for label, x, color in (("real", c.real, "#1f77b4"), ("synthetic", c.synth, "#d62728")):
            x = np.sort(x[np.isfinite(x)])
            if c.log_x:
                x = x[x > 0]
            y = np.arange(1, len(x) + 1) / max(len(x), 1)
            if len(x) > 1500:  # an ECDF drawn through 1,500 points looks the same, weighs less
                keep = np.linspace(0, len(x) - 1, 1500).astype(int)
                x, y = x[keep], y[keep]
            fig.add_trace(
                go.Scatter(
                    x=x, y=y, mode="lines", name=label, line={"color": color},
                    legendgroup=label, showlegend=i == 0,
                ),
                row=r, col=col,
            )  # fmt: skip
        if c.log_x:
            fig.update_xaxes(type="log", row=r, col=col)
    fig.update_layout(
        height=330 * rows, title="memelab synthetic market vs real data (empirical CDFs)"
    )
    rows_html = []
    for name, d in report["distributions"].items():
        rq, sq = d["real"], d["synthetic"]
        qs = " / ".join(
            f"{rq.get(k, float('nan')):.4g} vs {sq.get(k, float('nan')):.4g}"
            for k in ("q25", "q50", "q75")
        )
        ok = "ok" if d["ks"] is not None and d["ks"] <= report["target_ks"] else "ABOVE TARGET"
        rows_html.append(
            f"<tr><td>{name}</td><td>{rq['n']}</td><td>{sq['n']}</td><td>{qs}</td>"
            f"<td>{d['ks']:.3f}</td><td>{d['ks_noise95']:.3f}</td><td>{ok}</td>"
            f"<td>{d['definition']}</td></tr>"
        )
    table = (
        "<table border=1 cellpadding=4 style='border-collapse:collapse;font-family:sans-serif;"
        "font-size:13px'><tr><th>distribution</th><th>n real</th><th>n synth</th>"
        "<th>q25 / q50 / q75 (real vs synth)</th><th>KS</th><th>KS noise (95%)</th>"
        "<th>target 0.15</th>"
        "<th>definition</th></tr>" + "".join(rows_html) + "</table>"
    )
    prow = []
    for name, d in report.get("paths", {}).items():
        rs, ss = d.get("real", {}), d.get("synthetic", {})

        def cell(x: dict) -> str:
            if "value" in x:
                return f"{x['value']:.3f} (n {x['n']})"
            if x.get("n"):
                return f"median {x['q50']:.3g}, &gt;0 {x['pos']:.0%} (n {x['n']})"
            return "n 0"

        prow.append(
            f"<tr><td>{name}</td><td>{cell(rs)}</td><td>{cell(ss)}</td>"
            f"<td>{d.get('stat', float('nan')):.3f}</td><td>{d.get('noise95', float('nan')):.3f}"
            f"</td><td>{d.get('within_noise')}</td><td>{d['definition']}</td></tr>"
        )
    table += (
        "<h3>What follows a move (from the creator's dump on)</h3><table border=1 cellpadding=4 "
        "style='border-collapse:collapse;font-family:sans-serif;font-size:13px'><tr>"
        "<th>statistic</th><th>real</th><th>synthetic</th><th>KS / |diff|</th><th>noise95</th>"
        "<th>within noise (Holm)</th><th>definition</th></tr>" + "".join(prow) + "</table>"
    )
    body = fig.to_html(full_html=False, include_plotlyjs=True)
    path.write_text(
        "<html><head><meta charset='utf-8'><title>memelab calibration</title></head><body>"
        f"<h2>Synthetic vs real</h2><p>lake {report['lake']} (scenario {report['scenario']}), "
        f"real data {report['real']}; within noise (Holm, family alpha "
        f"{report['family_alpha']}): {report['within_noise']}</p>"
        f"{table}{body}</body></html>"
    )
