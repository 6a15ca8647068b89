"""What follows a move: path statistics from the creator's dump on, real and synthetic alike.

The real side is the PumpPortal logs (``paths/pumpportal_ws``): each session starts 2 s after a
token's creator has sold >= 80% of its tokens and logs every later non-creator trade on the
curve. A lake (synthetic, or a user's own: ``calibrate --real LAKE``) is conditioned the same
way: the creator's dump (the first creator sell that leaves <= 20% of what it bought), a 2 s
blind spot, non-creator curve trades only, the bot's session rule (``paths_nb``). Every
statistic in ``PATH_STATS`` is computed by one kernel on both sides; the list is fixed (it was
fixed before any tuning) and judged family-wise (Holm) with the marginals in ``calibrate``.

The real side takes ~10 s to build, so it is cached (``MEMELAB_CACHE``, default
``~/.cache/memelab``), keyed by the files' sizes and times and ``STATS_VERSION``.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from memelab.datasets.synth import paths_nb as K

STATS_VERSION = 1
ENTRY_DELAY_S = 2.0  # the bot writes the entry row 2 s after the creator's sell
DUMP_SHARE = 0.8  # a session starts when the creator has sold >= 80% of its tokens
REAL_SUBDIR = Path("paths") / "pumpportal_ws"
# letsbonk mints fail the curve check; the early `legacy/default` sessions ran 2-5 min only
REAL_POOLS = ("pump", "other_pumplike")
REAL_SHORT_WINDOW = "legacy/default"


@dataclass(frozen=True)
class PathSample:
    """Per-token path statistics (one row per session); ``dump_age_s`` may be empty."""

    scalars: np.ndarray  # [n, paths_nb.N_SCALARS]
    fwd: np.ndarray  # [n, moves, horizons] log-returns after a token's first move
    ac: np.ndarray  # [n, horizons, 2] successive returns from the entry
    uncond: np.ndarray  # [n, horizons] forward log-returns from a random grid point
    dump_age_s: np.ndarray  # seconds from launch to the creator's dump

    @property
    def n(self) -> int:
        return int(self.scalars.shape[0])


def _horizons() -> np.ndarray:
    return np.asarray(K.HORIZONS_S, dtype=np.float64)


def measure(
    offsets: np.ndarray, t: np.ndarray, lp: np.ndarray, lp0: np.ndarray, dump_age_s: np.ndarray
) -> PathSample:
    """Run the kernel over flattened paths (``offsets`` into times ``t`` / log spots ``lp``)."""
    thr = np.array([m[0] for m in K.MOVES])
    dirs = np.array([m[1] for m in K.MOVES])
    sc, fwd, ac, unc = K.path_stats_nb(
        offsets.astype(np.int64), t.astype(np.float64), lp.astype(np.float64),
        lp0.astype(np.float64), _horizons(), thr, dirs, K.LOOKBACK_S, K.GRID_S,
    )  # fmt: skip
    return PathSample(sc, fwd, ac, unc, np.asarray(dump_age_s, dtype=np.float64))


# ------------------------------------------------------------------------------------ real side
def real_paths(real: str | Path, cache: bool = True) -> PathSample:
    """The PumpPortal sessions (pump.fun curves, 20-min windows), measured; cached on disk."""
    folder = Path(real) / REAL_SUBDIR
    files = [folder / "price_paths.parquet", folder / "path_summaries.parquet"]
    for f in files:
        if not f.exists():
            raise FileNotFoundError(f"{f} is missing (see ../shared/data/PROVENANCE.md 2.4)")
    key = "|".join(f"{f.resolve()}:{f.stat().st_size}:{f.stat().st_mtime_ns}" for f in files)
    return _cached(f"paths-real-{_digest(key)}", lambda: _real_paths(files[0], files[1]), cache)


def _real_paths(paths_file: Path, summaries_file: Path) -> PathSample:
    s = pd.read_parquet(
        summaries_file, columns=["mint", "pool_guess", "strategy", "sol_usd_at_entry",
                                 "age_at_trigger_sec"],
    )  # fmt: skip
    s = s[s["pool_guess"].isin(REAL_POOLS) & (s["strategy"] != REAL_SHORT_WINDOW)]
    p = pd.read_parquet(paths_file, columns=["mint", "ts_ms", "price_sol", "mcap_usd", "is_entry"])
    p = p.merge(s[["mint", "sol_usd_at_entry"]], on="mint", how="inner")
    p = p.sort_values(["mint", "ts_ms", "is_entry"], ascending=[True, True, False], kind="stable")
    spot = p["mcap_usd"].to_numpy(float) / p["sol_usd_at_entry"].to_numpy(float) / 1e9
    ok = np.isfinite(spot) & (spot > 0)
    p = p.assign(lp=np.log(np.where(ok, spot, np.nan)))
    entries = p[p["is_entry"].to_numpy(bool) & ok].drop_duplicates("mint")
    entry_ts = entries.set_index("mint")["ts_ms"]
    lp0 = entries.set_index("mint")["lp"]
    p = p.join(entry_ts.rename("entry_ts"), on="mint", how="inner")
    # trades: not the entry snapshot, a printed price (null: zero-value spam), after the entry
    trades = p[~p["is_entry"].to_numpy(bool)]
    trades = trades[trades["price_sol"].notna() & np.isfinite(trades["lp"])]
    trades = trades[trades["ts_ms"] > trades["entry_ts"]]
    mints = entry_ts.index.to_numpy()
    code = pd.Categorical(trades["mint"], categories=mints).codes
    order = np.argsort(code, kind="stable")
    counts = np.bincount(code, minlength=len(mints))
    offsets = np.concatenate([[0], np.cumsum(counts)])
    t = ((trades["ts_ms"] - trades["entry_ts"]).to_numpy(float) / 1e3)[order]
    lp = trades["lp"].to_numpy(float)[order]
    age = s.set_index("mint").reindex(mints)["age_at_trigger_sec"].to_numpy(float)
    return measure(offsets, t, lp, lp0.reindex(mints).to_numpy(float), age[np.isfinite(age)])


# ------------------------------------------------------------------------------------ lake side
def lake_paths(lake, horizon_ns: int | None = None) -> PathSample:
    """Sessions of a lake, conditioned as the bot conditions real tokens (see module doc).

    Needs ``launches`` (creator, created_ts). Spot prices come from the reserves where known,
    else from the execution price. Tokens whose 20-min session would pass ``horizon_ns`` (the
    lake's end) are left out: their paths are cut short by the lake, not by the market.
    """
    q = f"""
    with cr as (
        select s.mint_id, s.ts, s.side, s.token_amount,
               sum(case when s.side = 1 then s.token_amount else 0 end)
                   over (partition by s.mint_id order by s.ts, s.signature) as bought,
               sum(case when s.side = -1 then s.token_amount else 0 end)
                   over (partition by s.mint_id order by s.ts, s.signature) as sold
        from swaps s join launches l on s.mint_id = l.mint_id and s.trader = l.creator
        where s.side != 0 and s.venue = 'pumpfun'
    ), dump as (
        select mint_id, min(ts) as dump_ts from cr
        where side = -1 and bought > 0 and sold >= {DUMP_SHARE} * bought group by mint_id
    ), at_dump as (
        select s.mint_id, arg_max(coalesce(s.virtual_sol_reserves / s.virtual_token_reserves,
                                           s.price), s.ts) as spot0
        from swaps s join dump d on s.mint_id = d.mint_id and s.ts <= d.dump_ts
        where s.venue = 'pumpfun' and s.side != 0 group by s.mint_id
    )
    select d.mint_id, d.dump_ts, (d.dump_ts - l.created_ts) / 1e9 as dump_age, a.spot0
    from dump d join launches l using (mint_id) join at_dump a using (mint_id)
    order by d.mint_id
    """
    con = lake.connect()
    try:
        return _lake_paths(con, q, horizon_ns)
    finally:
        con.close()


def _lake_paths(con, q: str, horizon_ns: int | None) -> PathSample:
    tok = con.sql(q).df()
    if horizon_ns is not None:
        limit = horizon_ns - int((K.WINDOW_S + ENTRY_DELAY_S) * 1e9)
        tok = tok[tok["dump_ts"].to_numpy() <= limit]
    if tok.empty:
        e = np.zeros(0)
        return measure(np.zeros(1, np.int64), e, e, e, e)
    con.register("_path_tokens", tok[["mint_id", "dump_ts"]])
    tr = con.sql(
        f"""
            select s.mint_id, (s.ts - d.dump_ts) / 1e9 - {ENTRY_DELAY_S} as t,
                   coalesce(s.virtual_sol_reserves / s.virtual_token_reserves, s.price) as spot
            from swaps s join _path_tokens d using (mint_id) join launches l using (mint_id)
            where s.side != 0 and s.venue = 'pumpfun' and s.trader != l.creator
              and s.ts > d.dump_ts + {int(ENTRY_DELAY_S * 1e9)}
            order by s.mint_id, s.ts, s.signature
            """
    ).df()
    mints = tok["mint_id"].to_numpy()
    code = np.searchsorted(mints, tr["mint_id"].to_numpy())
    counts = np.bincount(code, minlength=len(mints))
    offsets = np.concatenate([[0], np.cumsum(counts)])
    spot = tr["spot"].to_numpy(float)
    good = np.isfinite(spot) & (spot > 0)
    lp = np.log(np.where(good, spot, np.nan))
    t = tr["t"].to_numpy(float)
    if not good.all():  # a row without a usable price: keep its time, carry the last price
        lp = pd.Series(lp).groupby(code).ffill().to_numpy()
        lp = np.where(np.isfinite(lp), lp, np.log(tok["spot0"].to_numpy(float))[code])
    return measure(offsets, t, lp, np.log(tok["spot0"].to_numpy(float)), tok["dump_age"])


# ---------------------------------------------------------------------------------- statistics
def _traded(s: PathSample) -> np.ndarray:
    return s.scalars[:, K.O_TRADES] > 0


def _col(c: int):
    return lambda s: s.scalars[_traded(s), c]


def _fwd(m: int, h: int):
    return lambda s: s.fwd[:, m, h]


def path_stat_list() -> list[tuple[str, str, object, str]]:
    """The fixed list: (name, kind 'ks' | 'share' | 'corr', extractor, definition)."""
    out: list[tuple[str, str, object, str]] = [
        (
            "path_dump_age_s",
            "ks",
            lambda s: s.dump_age_s,
            "seconds from launch to the creator's dump (the session's trigger); real: "
            "age_at_trigger_sec",
        ),
        (
            "path_no_trade_share",
            "share",
            lambda s: (~_traded(s)).astype(float),
            "share of sessions with no non-creator trade after the dump",
        ),
        (
            "path_trades",
            "ks",
            lambda s: s.scalars[:, K.O_TRADES],
            "non-creator trades in the session (all sessions)",
        ),
        (
            "path_median_trade_s",
            "ks",
            _col(K.O_MEDIAN_T),
            "median time of a session's trades after the entry (trade-rate decay; sessions with "
            "trades)",
        ),
        ("path_last_trade_s", "ks", _col(K.O_LAST), "time of the session's last trade (s)"),
        (
            "path_peak_gain",
            "ks",
            _col(K.O_PEAK_GAIN),
            "log of the session's highest spot over the entry's",
        ),
        ("path_peak_to_trough", "ks", _col(K.O_TROUGH), "deepest fall from a running peak (log)"),
        (
            "path_peak_to_half_s",
            "ks",
            _col(K.O_PEAK_TO_HALF),
            f"seconds from the session's peak to the first price at or below half of it "
            f"({K.NEVER_S:.0e}: never)",
        ),
    ]
    for m, mname in enumerate(K.MOVE_NAMES):
        for h, hs in enumerate(K.HORIZONS_S):
            out.append(
                (f"path_fwd_{mname}_{int(hs)}s", "ks", _fwd(m, h),
                 f"log-return over {int(hs)} s after a token's first {mname[:4]} of "
                 f">= {mname[4:]}% within 30 s (10 s grid)")
            )  # fmt: skip
    for h, hs in enumerate(K.HORIZONS_S):
        out.append(
            (f"path_autocorr_{int(hs)}s", "corr", (lambda s, h=h: s.ac[:, h, :]),
             f"Spearman correlation across sessions of the returns over [0, {int(hs)}] s and "
             f"[{int(hs)}, {2 * int(hs)}] s after the entry (both non-zero)")
        )  # fmt: skip
    return out


PATH_STATS = tuple(name for name, *_ in path_stat_list())


def compare_paths(real: PathSample, synth: PathSample) -> dict[str, dict]:
    """Every path statistic: both sides' summaries, the test statistic, p-value and noise."""
    from scipy.stats import ks_2samp, norm, spearmanr

    out = {}
    for name, kind, fn, definition in path_stat_list():
        r, s = np.asarray(fn(real), float), np.asarray(fn(synth), float)
        row: dict = {"definition": definition, "kind": kind}
        if kind == "corr":
            rr = r[np.all(np.isfinite(r) & (r != 0), axis=1)]
            ss = s[np.all(np.isfinite(s) & (s != 0), axis=1)]
            rho_r = float(spearmanr(rr[:, 0], rr[:, 1])[0]) if len(rr) > 3 else np.nan
            rho_s = float(spearmanr(ss[:, 0], ss[:, 1])[0]) if len(ss) > 3 else np.nan
            row |= {"real": {"n": len(rr), "value": rho_r}, "synthetic": {"n": len(ss),
                    "value": rho_s}}  # fmt: skip
            if len(rr) > 3 and len(ss) > 3 and np.isfinite(rho_r) and np.isfinite(rho_s):
                se = np.sqrt(1.06 / (len(rr) - 3) + 1.06 / (len(ss) - 3))
                d = np.arctanh(np.clip(rho_s, -0.999, 0.999)) - np.arctanh(
                    np.clip(rho_r, -0.999, 0.999)
                )
                row |= {"stat": abs(rho_s - rho_r), "pvalue": float(2 * norm.sf(abs(d) / se)),
                        "noise95": float(1.96 * se)}  # fmt: skip
        elif kind == "share":
            pr, ps = (
                float(np.mean(r)) if len(r) else np.nan,
                float(np.mean(s)) if len(s) else np.nan,
            )
            row |= {"real": {"n": len(r), "value": pr}, "synthetic": {"n": len(s), "value": ps}}
            if len(r) and len(s):
                pool = (pr * len(r) + ps * len(s)) / (len(r) + len(s))
                se = np.sqrt(max(pool * (1 - pool), 1e-12) * (1 / len(r) + 1 / len(s)))
                row |= {"stat": abs(ps - pr), "pvalue": float(2 * norm.sf(abs(ps - pr) / se)),
                        "noise95": float(1.96 * se)}  # fmt: skip
        else:
            r, s = r[np.isfinite(r)], s[np.isfinite(s)]
            row |= {"real": describe(r), "synthetic": describe(s)}
            if len(r) and len(s):
                ks = ks_2samp(r, s)
                row |= {"stat": float(ks.statistic), "pvalue": float(ks.pvalue),
                        "noise95": float(1.358 * np.sqrt((len(r) + len(s)) / (len(r) * len(s))))}  # fmt: skip
        out[name] = row
    return out


def describe(x: np.ndarray) -> dict:
    """n, share above zero, mean and quantiles (the forward returns' readable summary)."""
    if not len(x):
        return {"n": 0}
    q = np.quantile(x, (0.1, 0.25, 0.5, 0.75, 0.9))
    return {"n": int(len(x)), "mean": float(np.mean(x)), "pos": float(np.mean(x > 0)),
            **{f"q{p}": float(v) for p, v in zip((10, 25, 50, 75, 90), q, strict=True)}}  # fmt: skip


def holm(pvalues: dict[str, float | None], alpha: float = 0.05) -> dict[str, bool]:
    """Holm's step-down rule: which hypotheses "same distribution" survive at family level alpha.

    True = within noise. A statistic without a p-value (empty side) is not judged (absent).
    """
    items = sorted(((p, k) for k, p in pvalues.items() if p is not None and np.isfinite(p)))
    m = len(items)
    out = {}
    rejecting = True
    for i, (p, k) in enumerate(items):
        if rejecting and p <= alpha / (m - i):
            out[k] = False
        else:
            rejecting = False
            out[k] = True
    return out


# --------------------------------------------------------------------------------------- cache
def cache_dir() -> Path:
    return Path(os.environ.get("MEMELAB_CACHE", Path.home() / ".cache" / "memelab"))


def _digest(text: str) -> str:
    return hashlib.sha256(f"{STATS_VERSION}|{text}".encode()).hexdigest()[:16]


def _cached(name: str, build, use: bool) -> PathSample:
    path = cache_dir() / f"{name}.npz"
    if use and path.exists():
        try:
            z = np.load(path)
            return PathSample(z["scalars"], z["fwd"], z["ac"], z["uncond"], z["dump_age_s"])
        except (OSError, ValueError, KeyError):
            pass  # a damaged cache is rebuilt
    sample = build()
    if use:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp.npz")
            np.savez(tmp, scalars=sample.scalars, fwd=sample.fwd, ac=sample.ac,
                     uncond=sample.uncond, dump_age_s=sample.dump_age_s)  # fmt: skip
            tmp.replace(path)
        except OSError:
            pass  # a read-only home: no cache, same figures
    return sample
