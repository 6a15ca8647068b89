"""The ``pumpportal-paths`` preset: logged pump.fun price paths -> swaps inferred on the curve.

Input: ``price_paths.parquet`` (``mint, ts_ms, price_sol, mcap_usd, is_entry``; one row per logged
trade, in time order per mint, mints contiguous) with ``path_summaries.parquet`` beside it (one
row per mint: ``sol_usd_at_entry``, ``first_ts_ms``, ``pool_guess``, ...). See
``../shared/data/paths/pumpportal_ws/README.md`` and ``docs/data.md``.

**The inference.** A pump.fun curve is constant product on virtual reserves, ``x * y = k`` with
``x`` virtual SOL, ``y`` virtual tokens, ``k = 30 * 1.073e9 = 3.219e10`` SOL x tokens. The spot
price is ``S = x / y = x**2 / k``. A trade moves the curve from ``x0`` to ``x1``; it moves
``|x1 - x0|`` SOL and ``|y0 - y1| = k * |1/x0 - 1/x1| = k * |x1 - x0| / (x0 * x1)`` tokens, so its
average price (what the bot logs as ``price_sol`` = solAmount / tokenAmount) is

    p = |x1 - x0| / |y0 - y1| = x0 * x1 / k           (in reserves)
      = sqrt(S0 * S1)                                   (in spot prices, S = x**2 / k)

The post-trade spot comes from the logged market cap: ``S1 = mcap_usd / (sol_usd * 1e9)`` (1e9
tokens of supply; ``sol_usd`` the bot's SOL/USD at that moment), so

    x1 = sqrt(S1 * k),   x0 = p * k / x1   (equivalently S0 = p**2 / S1),
    side = buy when x1 > x0 (p < S1), sell when x1 < x0 (p > S1),
    sol_amount = |x1 - x0|,  token_amount = k * |x1 - x0| / (x0 * x1),  price = p,
    reserves after = (x1, k / x1).

PumpPortal's solAmount is the curve's SOL leg without the 1% fee (the logged p sits on the curve:
90% of rows within 0.2%), so no fee enters ``p``; ``fee`` stays NaN (not logged).

**Print resolution.** ``price_sol`` is printed with 12 decimals (``dp = 5e-13`` SOL/token) and
``mcap_usd`` in whole dollars (``dm = 0.5``). The inferred ``ln(x0 / x1) = ln(p / S1)`` is
therefore known within ``res = dp / p + dm / mcap_usd`` (e.g. 1.0e-4 on a fresh curve:
~0.003 SOL at 30 SOL virtual). A row with ``|ln(p / S1)| <= res`` has no resolvable side or size
and is quarantined (``price_sol: below print resolution``); above it, the side is right whenever
the error bound holds and the SOL amount is within ``max(x0, x1) * res`` of the truth.

**SOL/USD.** The bot converts market caps with a SOL/USD price (whole cents) that it refreshes
every 10 minutes for all sessions at once; ``sol_usd_at_entry`` is only the value at a path's
entry, and a path lasts up to 20 minutes, so one value per path puts later rows off by the
refresh's step (typically 0.05-0.4%: sizes wrong by up to ~0.1 SOL, small trades' sides
flipped). The preset rebuilds the bot's series (``SolUsdSeries``): the entries are exact samples
of it, and two consecutive logged trades of a session imply it too (``pair_rates``), so a
pre-pass over the file yields ~950k samples; medians per 30 s, rounded to cents, give the values,
and each step is placed where it best separates the samples of the old and new value. On the
real file: 266 values, steps 10.0 min apart, 94.8% of consecutive row pairs consistent with the
series within 1e-4 (92.1% with a step between entry samples, 67.7% with the entry's value alone);
the rest are pairs with unlogged trades between them. Other formats than Parquet get the entries
alone (``info.units_sol_usd`` in the report says which).

**What the rows are.** Rows are not consecutive trades: the creator's later trades and the 2 s
between the creator's dump and the entry are not logged, so a row's ``x0`` need not equal the
previous row's ``x1`` (each row is inferred on its own; nothing carries from row to row). The
entry row (``is_entry``) is a snapshot of the creator's triggering sell stamped 2 s later, not a
new trade: it is skipped and counted (``entry_snapshot``). ``ts`` is the bot's receive time (ms),
not block time; ``slot`` is 0 (unknown). The trader is unknown: every row carries
``UNKNOWN_TRADER``, a placeholder address that is nobody's wallet (wallet research does not apply
to these rows). ``signature`` is no transaction signature (none was logged): 81 base58 characters
from a hash of the mint, then the row's position in its session as 6 base58 digits (base58 digits
sort like ASCII), so re-imports give the same keys and sorting by ``(ts, signature)`` keeps the
logged order; its 87 characters decode to 64 bytes like a real signature's (the first is never
'1' or '2'), so it passes the ingest's strict signature check; ``ix_index`` is 0.

**Refused rows** (quarantined with the reason): ``price_sol`` null (the bot logged 0 for
zero-value spam trades) or below print resolution; a mint whose ``pool_guess`` is letsbonk.fun
(``bonk``, ``other_bonklike``: another curve, the inference does not apply); a mint missing from
the summaries; inferred reserves off the pump.fun curve (virtual SOL outside 30-115.005 by more
than ``CURVE_SLACK``; within it they are clamped to the curve's ends).

**Launches**: one row per mint whose launch age is known: ``created_ts`` = the trigger's receive
time minus ``age_at_trigger_sec`` (second resolution: when the bot saw the launch), name and
symbol when logged, supply 1e9, venue ``pumpfun``, ``graduated_ts`` the first row whose inferred
reserves reach the curve's end (115.005 SOL virtual), creator unknown (null).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from memelab.datasets.importers.fields import Canonical, as_array, parse_float
from memelab.datasets.importers.presets import Preset, RawBatch, register_preset
from memelab.datasets.ingest import IngestError

# The pump.fun bonding curve (SPEC "Facts worth getting right"): virtual SOL 30 -> 115.005.
CURVE_VSOL0 = 30.0
CURVE_VTOK0 = 1_073_000_000.0
CURVE_REAL_TOK0 = 793_100_000.0
CURVE_K = CURVE_VSOL0 * CURVE_VTOK0  # 3.219e10 SOL x tokens
CURVE_VSOL_END = CURVE_K / (CURVE_VTOK0 - CURVE_REAL_TOK0)  # 115.005 SOL: the curve completes
SUPPLY_TOKENS = 1e9
# Inferred reserves this far (relative) outside the curve's range are refused, nearer ones clamped:
# the mcap and price rounding moves x by ~1e-4, a mislocated SOL/USD step by up to ~2e-3.
CURVE_SLACK = 5e-3
# A row ends the curve when its inferred virtual SOL is this near the end: x1 errs by <= 0.25 /
# mcap_usd (3e-6 at the ~85k USD of a full curve); on the real paths 41 mints come within 5e-6 of
# the end and the next nearest stops 5e-5 short.
GRADUATION_SLACK = 2e-5
PRICE_TICK = 1e-12  # price_sol is printed with 12 decimals
MCAP_TICK = 1.0  # mcap_usd is printed in whole dollars

UNKNOWN_TRADER = "UnknownTrader111111111111111111111111111111"  # placeholder, nobody's wallet
SUMMARIES_FILE = "path_summaries.parquet"
NOT_PUMP_POOLS = frozenset({"bonk", "other_bonklike"})  # letsbonk.fun: another curve
REQUIRED = ("mint", "ts_ms", "price_sol", "mcap_usd", "is_entry")

_B58 = np.frombuffer(b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz", np.uint8)
# 81 + 6 = 87 base58 characters; with a first digit >= 2 the value N has 2 * 58**86 > 256**63
# <= N < 58**87 < 256**64: 64 bytes, as ``fields.valid_signature`` requires of a signature.
_SIG_PREFIX = 81  # base58 characters of the mint's hash
_SIG_DIGITS = 6  # base58 digits of the row's position in its session (58**6 = 3.8e10)


# ------------------------------------------------------------------------------------ inference
def infer_trades(
    price: np.ndarray, mcap_usd: np.ndarray, sol_usd: np.ndarray, k: float = CURVE_K
) -> dict[str, np.ndarray]:
    """Side, amounts and reserves of logged trades on the constant-product curve (vectorised).

    ``price`` is each row's average price (SOL/token), ``mcap_usd`` its post-trade market cap,
    ``sol_usd`` the SOL/USD the cap was computed with. Returns arrays: ``side`` (+1/-1, 0 where
    unresolved), ``sol_amount``, ``token_amount``, ``vsol_before``, ``vsol_after``,
    ``vtok_after``, ``log_ratio`` (ln(x0/x1) = ln(p/S1)) and ``resolution`` (its print error
    bound). Rows with a non-positive or missing input come back NaN; nothing is refused here.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        spot_after = mcap_usd / (sol_usd * SUPPLY_TOKENS)
        x1 = np.sqrt(spot_after * k)
        x0 = price * k / x1
        log_ratio = np.log(price / spot_after)
        resolution = 0.5 * PRICE_TICK / price + 0.5 * MCAP_TICK / mcap_usd
        side = np.where(log_ratio < 0, 1, -1).astype(np.int8)  # p < S1: the spot rose, a buy
        side[~(np.abs(log_ratio) > resolution)] = 0
        sol = np.abs(x1 - x0)
        tok = k * sol / (x0 * x1)
    return {
        "side": side,
        "sol_amount": sol,
        "token_amount": tok,
        "vsol_before": x0,
        "vsol_after": x1,
        "vtok_after": k / x1,
        "log_ratio": log_ratio,
        "resolution": resolution,
    }


def render_row(
    vsol_before: float, vsol_after: float, sol_usd: float, k: float = CURVE_K
) -> tuple[float, float]:
    """What the bot logs for an exact curve trade: ``(price_sol, mcap_usd)``, rounded as printed.

    The inverse of ``infer_trades``, for tests and benches.
    """
    price = vsol_before * vsol_after / k
    mcap = vsol_after**2 / k * SUPPLY_TOKENS * sol_usd
    return round(price, 12), float(round(mcap))


# ---------------------------------------------------------------------------- SOL/USD series
SERIES_BIN_MS = 30_000  # bins of the SOL/USD estimate
SERIES_TOL = 1.5e-4  # a pair's implied SOL/USD within this (log) of a value "matches" it


def pair_rates(session: np.ndarray, ts_ms: np.ndarray, price: np.ndarray, mcap_usd: np.ndarray):
    """SOL/USD implied by each row and the row before it in the same session.

    When rows i-1 and i are consecutive trades, ``S0_i = S1_{i-1}``, so ``p_i**2 = S1_{i-1} * S1_i
    = mcap_{i-1} * mcap_i / (r * 1e9)**2`` and ``r = sqrt(mcap_{i-1} * mcap_i) / (p_i * 1e9)``.
    Pairs with unlogged trades between them give outliers, which the medians ignore. Returns
    ``(ts_prev, ts, r)`` for the pairs with a finite ``r``. ``session`` labels each row's session
    (the mint, or an integer code of it; negative codes never pair).
    """
    same = np.zeros(len(session), bool)
    same[1:] = session[1:] == session[:-1]
    if session.dtype.kind in "iu":
        same &= session >= 0
    i = np.flatnonzero(same)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.sqrt(mcap_usd[i - 1] * mcap_usd[i]) / (price[i] * SUPPLY_TOKENS)
    ok = np.isfinite(r) & (r > 0)
    return ts_ms[i - 1][ok], ts_ms[i][ok], r[ok]


class SolUsdSeries:
    """The bot's SOL/USD as a step function of time (whole cents), rebuilt from the data.

    Samples: every path's entry (``sol_usd_at_entry`` at ``first_ts_ms``, exact) and every pair
    of rows of a session (``pair_rates``: exact when the two rows are consecutive trades, an
    outlier otherwise). In 30 s bins the value is the median of the samples, rounded to cents,
    kept when at least half the bin's samples match it; bins without one carry the previous
    value. Each change of value is then placed where it best splits the samples that match the
    old value from those that match the new one (a pair matching the old value was wholly before
    the step, one matching the new value wholly after).
    """

    def __init__(self, ts_prev: np.ndarray, ts: np.ndarray, rate: np.ndarray):
        order = np.argsort(ts, kind="stable")
        ts_prev, ts, rate = ts_prev[order], ts[order], rate[order]
        self.samples = len(ts)
        if not len(ts):
            self.step_ts, self.values = np.zeros(0, np.int64), np.full(1, np.nan)
            return
        b = (ts - ts[0]) // SERIES_BIN_MS
        starts = np.r_[0, np.flatnonzero(np.diff(b)) + 1]
        ends = np.r_[starts[1:], len(b)]
        med = np.array([np.median(rate[i:j]) for i, j in zip(starts, ends, strict=True)])
        cents = np.round(med, 2)
        close = np.abs(np.log(rate / np.repeat(cents, ends - starts))) < SERIES_TOL
        share = np.add.reduceat(close, starts) / (ends - starts)
        good = share >= 0.5
        vals, gstart, gend = cents[good], starts[good], ends[good]
        keep = np.r_[True, vals[1:] != vals[:-1]]  # one entry per run of equal values
        run_first = np.flatnonzero(keep)
        self.values = vals[run_first]
        step_ts = []
        for k in range(1, len(run_first)):
            # The step lies between the last bin of the old run and the first bin of the new.
            lo = gstart[run_first[k] - 1]
            hi = gend[run_first[k]]
            step_ts.append(
                self._split(
                    ts_prev[lo:hi], ts[lo:hi], rate[lo:hi], *vals[[run_first[k] - 1, run_first[k]]]
                )
            )
        self.step_ts = np.asarray(step_ts, np.int64)

    @staticmethod
    def _split(
        ts_prev: np.ndarray, ts: np.ndarray, rate: np.ndarray, old: float, new: float
    ) -> int:
        """The step time that best separates samples matching ``old`` from those matching ``new``."""
        tol = min(SERIES_TOL, abs(np.log(new / old)) / 2)
        is_old = np.abs(np.log(rate / old)) < tol
        is_new = np.abs(np.log(rate / new)) < tol
        t = np.r_[ts[is_old], ts_prev[is_new]]  # old: step after ts; new: step at/before ts_prev
        lab = np.r_[np.zeros(is_old.sum(), bool), np.ones(is_new.sum(), bool)]
        if not len(t):
            return int((ts[0] + ts[-1]) // 2)
        o = np.argsort(t, kind="stable")
        t, lab = t[o], lab[o]
        # errors(k) when the step falls between t[k-1] and t[k]: new before it, old from it on.
        new_before = np.r_[0, np.cumsum(lab)]
        old_after = np.r_[np.cumsum((~lab)[::-1])[::-1], 0]
        k = int(np.argmin(new_before + old_after))
        if k == 0:
            return int(t[0])
        if k == len(t):
            return int(t[-1] + 1)
        return int((t[k - 1] + 1 + t[k]) // 2)

    def __len__(self) -> int:
        return len(self.values)

    def at(self, ts_ms: np.ndarray) -> np.ndarray:
        return self.values[np.searchsorted(self.step_ts, ts_ms, side="right")]


def _series_samples(path: Path, entry_ts: np.ndarray, entry_rate: np.ndarray) -> SolUsdSeries:
    """Entry samples plus the pair samples of a pre-pass over the paths file (Parquet only,
    streamed by batches; other formats use the entries alone)."""
    parts = [(entry_ts, entry_ts, entry_rate)]
    if path.suffix.lower() in (".parquet", ".pq"):
        cols = ["mint", "ts_ms", "price_sol", "mcap_usd"]
        prev: tuple[Any, ...] | None = None
        for rb in pq.ParquetFile(path).iter_batches(batch_size=262_144, columns=cols):
            n = rb.num_rows
            enc = pc.dictionary_encode(as_array(rb.column(0), n))
            code = enc.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
            first = enc.dictionary[int(code[0])].as_py() if n and code[0] >= 0 else None
            num = [parse_float(as_array(rb.column(j), n))[0] for j in (1, 2, 3)]
            if prev is not None:  # the last row of the previous batch precedes this one
                joined = first is not None and prev[0] == first
                code = np.r_[code[0] if joined else -2, code]
                num = [np.r_[a, b] for a, b in zip(prev[1:], num, strict=True)]
            last = enc.dictionary[int(code[-1])].as_py() if n and code[-1] >= 0 else None
            prev = (last, *(a[-1:] for a in num))
            parts.append(pair_rates(code, num[0], num[1], num[2]))
    ts_prev, ts, rate = (np.concatenate([p[i] for p in parts]) for i in range(3))
    ok = np.isfinite(ts) & np.isfinite(ts_prev) & np.isfinite(rate)
    return SolUsdSeries(ts_prev[ok].astype(np.int64), ts[ok].astype(np.int64), rate[ok])


# ------------------------------------------------------------------------------- the preset
def _load_summaries(path: Path) -> dict[str, Any]:
    spath = path.parent / SUMMARIES_FILE
    if not spath.is_file():
        raise IngestError(
            f"{path}: preset 'pumpportal-paths' needs {SUMMARIES_FILE} beside the paths file "
            f"(looked for {spath})"
        )
    try:
        s = pq.read_table(spath)
    except (pa.ArrowInvalid, OSError) as exc:
        raise IngestError(f"{spath}: not a readable Parquet file: {exc}") from exc
    need = ("mint", "sol_usd_at_entry", "first_ts_ms", "pool_guess")
    missing = [c for c in need if c not in s.column_names]
    if missing:
        raise IngestError(f"{spath}: column(s) {missing} missing")

    def col(name: str, default: Any = None) -> np.ndarray:
        if name not in s.column_names:
            return np.full(s.num_rows, default, dtype=object)
        return as_array(s.column(name), s.num_rows).to_numpy(zero_copy_only=False)

    def num(name: str) -> np.ndarray:  # unreadable values become NaN, never an exception
        if name not in s.column_names:
            return np.full(s.num_rows, np.nan)
        return parse_float(as_array(s.column(name), s.num_rows))[0]

    mint = as_array(s.column("mint"), s.num_rows)
    rate = num("sol_usd_at_entry")
    first = num("first_ts_ms")
    imputed = np.asarray([v is True or str(v).lower() == "true" for v in col("sol_usd_imputed")])
    exact = np.isfinite(rate) & np.isfinite(first) & (rate > 0) & ~imputed
    series = _series_samples(path, first[exact], rate[exact])
    return {
        "mint": mint,
        "sol_usd": rate,
        "pool": col("pool_guess").astype(str),
        "trigger_ms": num("trigger_at_ms"),
        "age_s": num("age_at_trigger_sec"),
        "name": col("token_name"),
        "symbol": col("token_symbol"),
        "series": series,
        "file": spath,
    }


def _signatures(mints: np.ndarray, codes: np.ndarray, ordinal: np.ndarray) -> pa.Array:
    """Placeholder signatures: base58 characters from a hash of the mint + base58 position
    (87 characters that decode to 64 bytes: see ``_SIG_PREFIX``)."""
    digests = b"".join(
        hashlib.shake_256(b"pumpportal-paths:" + m.encode()).digest(_SIG_PREFIX) for m in mints
    )
    raw = np.frombuffer(digests, np.uint8).reshape(len(mints), _SIG_PREFIX)
    prefix = _B58[raw % 58]
    prefix[:, 0] = _B58[2 + raw[:, 0] % 56]  # digit 2..57: no leading zero byte, 64 bytes long
    digits = np.empty((len(ordinal), _SIG_DIGITS), np.uint8)
    rest = ordinal.astype(np.int64)
    for j in range(_SIG_DIGITS - 1, -1, -1):
        digits[:, j] = _B58[rest % 58]
        rest = rest // 58
    chars = np.concatenate([prefix[codes], digits], axis=1)
    return pa.array(chars.view(f"S{_SIG_PREFIX + _SIG_DIGITS}").ravel()).cast(pa.string())


def _session_ordinals(codes: np.ndarray, mints: np.ndarray, seen: dict[str, int]) -> np.ndarray:
    """Position of each row among the rows of its mint so far in the file (0, 1, ...).

    ``seen`` counts every mint's rows in earlier batches and is updated in place, so a session
    split across batches (or a mint that comes back later in the file) keeps counting and no two
    rows share a key. Null mints (code -1) get -1.
    """
    n = len(codes)
    ordinal = np.full(n, -1, np.int64)
    ok = np.flatnonzero(codes >= 0)
    if not len(ok):
        return ordinal
    c = codes[ok]
    order = np.argsort(c, kind="stable")
    sc = c[order]
    first = np.r_[True, sc[1:] != sc[:-1]]
    group_start = np.maximum.accumulate(np.where(first, np.arange(len(sc)), 0))
    within = np.empty(len(sc), np.int64)
    within[order] = np.arange(len(sc)) - group_start
    offset = np.array([seen.get(m, 0) for m in mints], np.int64)
    ordinal[ok] = within + offset[c]
    counts = np.bincount(c, minlength=len(mints))
    for code in np.flatnonzero(counts):
        seen[mints[code]] = int(offset[code] + counts[code])
    return ordinal


def to_canonical(batch: RawBatch, state: dict[str, Any]) -> tuple[Canonical, dict[str, int]]:
    if "summaries" not in state:
        path = Path(state["path"])
        state["summaries"] = _load_summaries(path)
        if path.suffix.lower() in (".parquet", ".pq"):
            state["total_rows"] = pq.ParquetFile(path).metadata.num_rows
        series = state["summaries"]["series"]
        what = "entries and row pairs" if "total_rows" in state else "entries only: not Parquet"
        state["units_sol_usd"] = (
            f"series of {len(series)} values from {series.samples} samples ({what})"
            if series.samples
            else "sol_usd_at_entry per path (no series)"
        )
    summ = state["summaries"]
    n = len(batch)
    mint_col = as_array(batch.col("mint"), n).cast(pa.string())
    mint_enc = pc.dictionary_encode(mint_col)
    codes = mint_enc.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    mints = np.asarray(mint_enc.dictionary.to_pylist(), dtype=object)
    ordinal = _session_ordinals(codes, mints, state.setdefault("seen", {}))

    def num(name: str) -> np.ndarray:
        values, _, _ = parse_float(batch.col(name))
        return values

    ts_ms = num("ts_ms")
    price, price_null, _ = parse_float(batch.col("price_sol"))
    mcap = num("mcap_usd")
    entry = as_array(batch.col("is_entry"), n)
    entry_bad = np.zeros(n, bool)
    if not pa.types.is_boolean(entry.type):  # text (CSV): true/false or 1/0, any case
        text = pc.utf8_lower(pc.utf8_trim_whitespace(entry.cast(pa.string())))
        yes = pc.is_in(text, pa.array(["true", "1"])).to_numpy(zero_copy_only=False)
        no = pc.is_in(text, pa.array(["false", "0"])).to_numpy(zero_copy_only=False)
        entry_bad = ~yes & ~no
        entry = pa.array(yes)
    is_entry = pc.fill_null(entry, False).to_numpy(zero_copy_only=False) & ~entry_bad

    # Per-mint facts from the summaries (row -1: not there).
    where = pc.index_in(pa.array(mints, pa.string()), value_set=summ["mint"])
    srow = where.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    row_s = srow[codes] if n else srow[:0]
    known = (row_s >= 0) & (codes >= 0)
    pool = np.where(known, summ["pool"][row_s], "")
    sol_usd = np.where(known, summ["sol_usd"][row_s], np.nan)
    if summ["series"].samples:
        ok_ts = np.isfinite(ts_ms)
        sol_usd = np.where(
            ok_ts, summ["series"].at(np.where(ok_ts, ts_ms, 0).astype(np.int64)), sol_usd
        )

    inf = infer_trades(price, mcap, sol_usd)
    x0 = inf["vsol_before"]
    x1 = inf["vsol_after"]
    lo, hi = CURVE_VSOL0 * (1 - CURVE_SLACK), CURVE_VSOL_END * (1 + CURVE_SLACK)

    reasons: list[tuple[np.ndarray, Any]] = [
        (codes < 0, "mint: missing"),
        (~known & (codes >= 0), f"mint: not in {SUMMARIES_FILE}"),
        (
            known & np.isin(pool, list(NOT_PUMP_POOLS)),
            "pool_guess: '{pool}' is letsbonk.fun, not the pump.fun curve",
        ),
        (~np.isfinite(ts_ms), "ts_ms: missing or not a number"),
        (entry_bad, "is_entry: not true/false"),
        (~(mcap > 0), "mcap_usd: missing or not > 0"),
        (price_null, "price_sol: null (the bot logged 0: a zero-value trade)"),
        (~price_null & ~(price > 0), "price_sol: not a number > 0"),
    ]
    refused = np.zeros(n, bool)
    for mask, _ in reasons:
        refused |= mask
    unresolved = ~refused & (inf["side"] == 0)
    reasons.append(
        (unresolved, "price_sol: below print resolution: |ln(p/S1)| {lr:.2e} <= {res:.2e}")
    )
    x0c, x1c = np.clip(x0, CURVE_VSOL0, CURVE_VSOL_END), np.clip(x1, CURVE_VSOL0, CURVE_VSOL_END)
    with np.errstate(divide="ignore", invalid="ignore"):
        sol = np.abs(x1c - x0c)
        tok = CURVE_K * sol / (x0c * x1c)
    inside = (x0 >= lo) & (x0 <= hi) & (x1 >= lo) & (x1 <= hi)
    off_curve = ~refused & ~unresolved & ~(inside & (sol > 0))
    reasons.append(
        (off_curve, "curve: inferred virtual SOL {x0:.3f} -> {x1:.3f} off the pump.fun curve")
    )
    skip = is_entry  # snapshots are not trades, whatever their values
    bad = (refused | unresolved | off_curve) & ~skip
    skipped = {"entry_snapshot": int(skip.sum())} if skip.any() else {}
    state["refused"] = _refusals(batch, bad, reasons, pool, inf, x0, x1)

    keep = ~bad & ~skip
    # The batch's last session may go on in the next batch: its launch waits for it, unless
    # this batch ends the file (known for Parquet; other formats emit at once).
    total = state.get("total_rows")
    last_row = int(batch.rows[-1]) if n else 0
    defer = codes[-1] if n and codes[-1] >= 0 and total is not None and last_row < total else -1
    state["launches"] = _launches(
        mints, codes, summ, srow, x1, ts_ms, keep, defer, state.setdefault("graduation", {})
    )
    idx = np.flatnonzero(keep)
    m = len(idx)
    columns = {
        "ts": pa.array(ts_ms[idx].astype(np.int64) * 1_000_000),
        "slot": pa.array(np.zeros(m, np.int64)),
        "signature": _signatures(mints, codes[idx], ordinal[idx]),
        "ix_index": pa.array(np.zeros(m, np.int64)),
        "mint": mint_col.take(pa.array(idx)),
        "trader": pa.array(np.full(m, UNKNOWN_TRADER, dtype=object), pa.string()),
        "side": pa.array(inf["side"][idx].astype(np.int64)),
        "sol_amount": pa.array(sol[idx]),
        "token_amount": pa.array(tok[idx]),
        "price": pa.array(price[idx]),
        "virtual_sol_reserves": pa.array(x1c[idx]),
        "virtual_token_reserves": pa.array(CURVE_K / x1c[idx]),
    }
    canon = Canonical(
        columns=columns,
        rows=batch.rows[idx],
        raw=batch.table.take(pa.array(idx)),
        default_venue="pumpfun",
    )
    return canon, skipped


def _refusals(
    batch: RawBatch,
    bad: np.ndarray,
    reasons: list[tuple[np.ndarray, str]],
    pool: np.ndarray,
    inf: dict[str, np.ndarray],
    x0: np.ndarray,
    x1: np.ndarray,
) -> list[dict[str, Any]]:
    """Quarantine records (``row``, ``reason``, ``raw``) for the refused rows of a batch."""
    idx = np.flatnonzero(bad)
    if not len(idx):
        return []
    fields = {
        "pool": pool,
        "lr": np.abs(inf["log_ratio"]),
        "res": inf["resolution"],
        "x0": x0,
        "x1": x1,
    }
    texts: dict[int, list[str]] = {i: [] for i in idx.tolist()}
    for mask, template in reasons:
        hits = np.flatnonzero(mask & bad)
        if not len(hits):
            continue
        used = {k: v[hits].tolist() for k, v in fields.items() if "{" + k in template}
        if not used:
            for i in hits.tolist():
                texts[i].append(template)
            continue
        for j, i in enumerate(hits.tolist()):
            texts[i].append(template.format(**{k: v[j] for k, v in used.items()}))
    raw = batch.table.take(pa.array(idx)).to_pylist()
    return [
        {"row": row, "reason": "; ".join(texts[i]), "raw": r}
        for i, row, r in zip(idx.tolist(), batch.rows[idx].tolist(), raw, strict=True)
    ]


def _launches(
    mints: np.ndarray,
    codes: np.ndarray,
    summ: dict[str, Any],
    srow: np.ndarray,
    x1: np.ndarray,
    ts_ms: np.ndarray,
    keep: np.ndarray,
    defer: int,
    carry: dict[str, int],
) -> pa.Table | None:
    """Launch rows for the mints of this batch whose launch age is known (see module doc).

    ``defer`` is the code of a mint whose session may continue in the next batch: its launch is
    held back, and its graduation time so far carried in ``carry`` (mint -> ts ms, -1: none).
    """
    if not len(mints):
        return None
    grad = keep & (x1 >= CURVE_VSOL_END * (1 - GRADUATION_SLACK))
    first_grad = np.full(len(mints), -1, np.int64)
    gi = np.flatnonzero(grad)[::-1]  # reversed: the earliest row of each mint wins
    first_grad[codes[gi]] = ts_ms[gi].astype(np.int64)
    for code, mint in enumerate(mints):
        if mint in carry:
            earlier = carry.pop(mint)
            first_grad[code] = earlier if earlier >= 0 else first_grad[code]
    if defer >= 0:
        carry[mints[defer]] = int(first_grad[defer])
    s = np.clip(srow, 0, None)
    created = summ["trigger_ms"][s] - summ["age_s"][s] * 1000.0
    ok = (srow >= 0) & np.isfinite(created) & ~np.isin(summ["pool"][s], list(NOT_PUMP_POOLS))
    if defer >= 0:
        ok[defer] = False
    if not ok.any():
        return None
    sel = np.flatnonzero(ok)

    def text(values: np.ndarray) -> pa.Array:
        out = [v if isinstance(v, str) and v else None for v in values[s[sel]]]
        return pa.array(out, pa.string())

    graduated = np.where(first_grad[sel] >= 0, first_grad[sel] * 1_000_000, 0)
    return pa.table(
        {
            "mint": pa.array(mints[sel], pa.string()),
            "creator": pa.nulls(len(sel), pa.string()),
            "created_ts": pa.array(created[sel].astype(np.int64) * 1_000_000),
            "name": text(summ["name"]),
            "symbol": text(summ["symbol"]),
            "supply": pa.array(np.full(len(sel), SUPPLY_TOKENS)),
            "venue": pa.array(["pumpfun"] * len(sel), pa.string()),
            "graduated_ts": pa.array(graduated, pa.int64(), mask=first_grad[sel] < 0),
            "signature": pa.nulls(len(sel), pa.string()),
        }
    )


register_preset(
    Preset(
        "pumpportal-paths",
        REQUIRED,
        to_canonical,
        "PumpPortal-logged pump.fun price paths (price_paths.parquet + path_summaries.parquet)",
    ),
    priority=25,
)
