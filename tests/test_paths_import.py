"""The ``pumpportal-paths`` preset: trades inferred from logged prices on the pump.fun curve.

Three ways: exact curve trades rendered as the bot prints them and inferred back (with a SOL/USD
refresh inside the sessions), the real pump.fun trades of ``../shared/data/rpc_fixtures`` (exact
amounts and reserves from the parsers) rendered and inferred back, and a real subset of the
PumpPortal paths ingested twice.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from memelab.datasets import Lake
from memelab.datasets.importers.pumpportal_paths import (
    CURVE_K,
    CURVE_VSOL0,
    CURVE_VSOL_END,
    UNKNOWN_TRADER,
    SolUsdSeries,
    infer_trades,
    render_row,
)
from memelab.datasets.ingest import IngestError, ingest
from solders.pubkey import Pubkey

PATHS = "paths/pumpportal_ws"
SUBSET = 1_000  # sessions of the real file in the subset test


def _address(i: int) -> str:
    return str(Pubkey(bytes([(i * 7) % 251 + 1, i % 251 + 3]) + bytes(range(2, 32))))


# ------------------------------------------------------------------------- a synthetic market
def _rate_at(ts_ms: np.ndarray, steps: list[tuple[int, float]]) -> np.ndarray:
    """The bot's SOL/USD: ``steps`` = [(from_ms, value), ...], ascending."""
    starts = np.array([s for s, _ in steps])
    values = np.array([v for _, v in steps])
    return values[np.searchsorted(starts, ts_ms, side="right") - 1]


def _curve_sessions(rng: np.random.Generator, sessions: int, trades: int, steps, t0: int):
    """Exact curve trades of several sessions, rendered as the bot logs them.

    Returns the paths table (with entry snapshots), the summaries table and the truth per trade
    row (side, sol, x0, x1; NaN for entries).
    """
    rows: dict[str, list] = {k: [] for k in ("mint", "ts_ms", "price_sol", "mcap_usd", "is_entry")}
    truth: dict[str, list] = {k: [] for k in ("side", "sol", "x0", "x1")}
    summ: dict[str, list] = {
        k: []
        for k in (
            "mint",
            "first_ts_ms",
            "sol_usd_at_entry",
            "sol_usd_imputed",
            "pool_guess",
            "trigger_at_ms",
            "age_at_trigger_sec",
            "token_name",
            "token_symbol",
        )
    }
    for s in range(sessions):
        mint = _address(s)
        start = t0 + s * 9_000  # sessions overlap, entries sample the SOL/USD every 9 s
        x = float(rng.uniform(30.0, 45.0))
        rate0 = float(_rate_at(np.array([start]), steps)[0])
        # The entry: a snapshot of the creator's sell (x+3 -> x), not a trade.
        price, mcap = render_row(x + 3.0, x, rate0)
        for k, v in zip(rows, (mint, start, price, mcap, True), strict=True):
            rows[k].append(v)
        for k in truth:
            truth[k].append(np.nan)
        ts = start
        for _ in range(trades):
            ts += int(rng.integers(200, 25_000))
            sol = float(np.exp(rng.normal(np.log(0.15), 1.3)))
            side = 1 if rng.random() < 0.5 else -1
            x1 = min(max(x + side * sol, CURVE_VSOL0 + 1e-6), CURVE_VSOL_END - 1e-6)
            if x1 == x:
                continue
            side = 1 if x1 > x else -1
            rate = float(_rate_at(np.array([ts]), steps)[0])
            price, mcap = render_row(x, x1, rate)
            for k, v in zip(rows, (mint, ts, price, mcap, False), strict=True):
                rows[k].append(v)
            for k, v in zip(truth, (side, abs(x1 - x), x, x1), strict=True):
                truth[k].append(v)
            x = x1
        for k, v in zip(
            summ,
            (mint, start, rate0, False, "pump", start - 2000, 20, f"tok{s}", f"T{s}"),
            strict=True,
        ):
            summ[k].append(v)
    paths = pa.table(
        {
            "mint": pa.array(rows["mint"], pa.string()),
            "strategy": pa.array(["catchAll"] * len(rows["mint"]), pa.string()),
            "ts_ms": pa.array(rows["ts_ms"], pa.int64()),
            "price_sol": pa.array(rows["price_sol"], pa.float64()),
            "mcap_usd": pa.array(rows["mcap_usd"], pa.float64()),
            "is_entry": pa.array(rows["is_entry"], pa.bool_()),
        }
    )
    return paths, pa.table(summ), {k: np.asarray(v, float) for k, v in truth.items()}


def _write(tmp: Path, paths: pa.Table, summ: pa.Table) -> Path:
    tmp.mkdir(parents=True, exist_ok=True)
    pq.write_table(summ, tmp / "path_summaries.parquet")
    pq.write_table(paths, tmp / "price_paths.parquet")
    return tmp / "price_paths.parquet"


def _resolution(price: np.ndarray, mcap: np.ndarray) -> np.ndarray:
    """The print error bound on ln(x0/x1): 12-decimal prices, whole-dollar market caps."""
    return 0.5e-12 / price + 0.5 / mcap


def test_round_trip_recovers_side_amount_and_reserves_within_print_resolution():
    rng = np.random.default_rng(3)
    n = 20_000
    x0 = rng.uniform(30.0, 115.0, n)
    sol = np.exp(rng.normal(np.log(0.15), 1.6, n))
    side = np.where(rng.random(n) < 0.5, 1, -1)
    x1 = np.clip(x0 + side * sol, CURVE_VSOL0, CURVE_VSOL_END)
    rate = rng.uniform(199.0, 217.0, n).round(2)
    rendered = np.array([render_row(a, b, r) for a, b, r in zip(x0, x1, rate, strict=True)])
    price, mcap = rendered[:, 0], rendered[:, 1]
    out = infer_trades(price, mcap, rate)
    res = _resolution(price, mcap)
    true_lr = np.log(x0 / x1)
    resolved = out["side"] != 0
    # Every resolved side is right; only trades within twice the print error go unresolved.
    np.testing.assert_array_equal(out["side"][resolved], np.sign(x1 - x0)[resolved])
    assert np.all(np.abs(true_lr[~resolved]) <= 2 * res[~resolved])
    assert resolved.mean() > 0.95
    # Amounts within x * res, post-trade reserves within the market cap's rounding.
    bound = np.maximum(x0, x1) * res * (1 + 1e-6) + 1e-9
    assert np.all(np.abs(out["sol_amount"] - np.abs(x1 - x0)) <= bound)
    np.testing.assert_allclose(out["vsol_after"], x1, rtol=0.26 / mcap.min())
    np.testing.assert_allclose(out["vtok_after"], CURVE_K / x1, rtol=0.26 / mcap.min())
    tok_true = np.abs(CURVE_K / x0 - CURVE_K / x1)
    rel_tok = np.abs(out["token_amount"] - tok_true) / tok_true
    assert np.all(rel_tok[resolved] <= 2 * bound[resolved] / np.abs(x1 - x0)[resolved] + 1e-9)


def test_sol_usd_series_places_a_step_between_samples_of_old_and_new_value():
    ts = np.arange(0, 600_000, 5_000)
    true = np.where(ts < 301_234, 200.0, 200.6)
    ts_prev = ts - 2_500
    series = SolUsdSeries(ts_prev, ts, true)
    assert list(series.values) == [200.0, 200.6]
    (step,) = series.step_ts
    assert 300_000 - 2_500 < step <= 305_000 - 2_500  # between the last old and first new pair
    np.testing.assert_array_equal(series.at(ts), true)


def test_ingest_infers_synthetic_sessions_across_a_sol_usd_refresh(tmp_path: Path):
    rng = np.random.default_rng(11)
    t0 = 1_757_100_000_000
    steps = [(0, 205.32), (t0 + 200_000, 204.71), (t0 + 800_000, 205.9)]
    paths, summ, truth = _curve_sessions(rng, sessions=120, trades=40, steps=steps, t0=t0)
    src = _write(tmp_path / "src", paths, summ)
    lake = Lake(tmp_path / "lake")
    rep = ingest(lake, [src], preset="pumpportal-paths").files[0]
    trades = int(np.isfinite(truth["side"]).sum())
    assert rep.rows_read == paths.num_rows
    assert rep.skipped == {"entry_snapshot": 120}
    assert rep.ingested + rep.quarantined == trades
    assert set(rep.quarantine_reasons) <= {"price_sol"}  # only trades below print resolution
    assert rep.launches_ingested == 120
    assert "series of 3 values" in rep.info["units_sol_usd"]

    got = lake.sql("SELECT mint, ts, side, sol_amount, virtual_sol_reserves, trader FROM swaps")
    assert (got.trader == UNKNOWN_TRADER).all()
    by_key = {
        (m, t // 1_000_000): r for m, t, r in zip(got.mint, got.ts, got.itertuples(), strict=True)
    }
    rows = np.flatnonzero(np.isfinite(truth["side"]))
    mint = np.asarray(paths.column("mint").to_pylist())[rows]
    ts = paths.column("ts_ms").to_numpy()[rows]
    price = paths.column("price_sol").to_numpy()[rows]
    mcap = paths.column("mcap_usd").to_numpy()[rows]
    res = _resolution(price, mcap)
    side, sol, x0, x1 = (truth[k][rows] for k in ("side", "sol", "x0", "x1"))
    true_lr = np.abs(np.log(x0 / x1))
    found = np.array([(m, t) in by_key for m, t in zip(mint, ts, strict=True)])
    # Only trades the print cannot tell (within twice the error bound) may be missing.
    assert np.all(true_lr[~found] <= 2 * res[~found])
    assert found.mean() > 0.95
    for j in np.flatnonzero(found):
        r = by_key[(mint[j], ts[j])]
        assert r.side == side[j], (j, true_lr[j], res[j])
        assert abs(r.sol_amount - sol[j]) <= max(x0[j], x1[j]) * res[j] * 1.001 + 1e-9
        assert abs(r.virtual_sol_reserves / x1[j] - 1) <= 0.26 / mcap[j]

    again = ingest(lake, [src], preset="pumpportal-paths").files[0]
    assert (again.ingested, again.duplicates) == (0, rep.ingested)
    assert again.launches_ingested == 0
    assert lake.sql("SELECT count(*) AS n FROM swaps").n[0] == rep.ingested


def test_refused_rows_are_quarantined_with_their_reason(tmp_path: Path):
    rng = np.random.default_rng(5)
    paths, summ, _ = _curve_sessions(rng, sessions=4, trades=6, steps=[(0, 201.0)], t0=10**12)
    mints = summ.column("mint").to_pylist()
    pool = pa.array(["pump", "bonk", "pump", "pump"])
    summ = summ.set_column(summ.column_names.index("pool_guess"), "pool_guess", pool)
    summ = summ.filter(pc.invert(pc.equal(summ.column("mint"), mints[3])))  # mint 3 unknown
    price = paths.column("price_sol").to_pylist()
    first_trade_of_0 = 1
    price[first_trade_of_0] = None  # a zero-value spam trade
    paths = paths.set_column(paths.column_names.index("price_sol"), "price_sol", pa.array(price))
    src = _write(tmp_path / "src", paths, summ)
    lake = Lake(tmp_path / "lake")
    rep = ingest(lake, [src], preset="pumpportal-paths").files[0]
    qfile = Path(rep.quarantine_file)
    import json

    recs = [json.loads(line) for line in qfile.read_text().splitlines()]
    by_row = {r["row"]: r["reason"] for r in recs}
    assert by_row[first_trade_of_0 + 1].startswith("price_sol: null")
    mint_of = paths.column("mint").to_pylist()
    entry = paths.column("is_entry").to_pylist()
    bonk = [i + 1 for i, m in enumerate(mint_of) if m == mints[1] and not entry[i]]
    unknown = [i + 1 for i, m in enumerate(mint_of) if m == mints[3] and not entry[i]]
    assert all("pool_guess: 'bonk' is letsbonk.fun" in by_row[r] for r in bonk)
    assert all(by_row[r] == "mint: not in path_summaries.parquet" for r in unknown)
    assert rep.skipped == {"entry_snapshot": 4}
    assert rep.launches_ingested == 2  # not the bonk mint, not the unknown one

    (tmp_path / "alone").mkdir()
    pq.write_table(paths, tmp_path / "alone" / "price_paths.parquet")
    with pytest.raises(IngestError, match="needs path_summaries.parquet beside"):
        ingest(lake, [tmp_path / "alone" / "price_paths.parquet"], preset="pumpportal-paths")


# ------------------------------------------------------------------ real pump.fun transactions
def _fixture_trades(shared_data: Path) -> list[dict]:
    from memelab.datasets.importers.solana import read_transactions

    rows = []
    for f in sorted((shared_data / "rpc_fixtures").glob("*/*.json")):
        for res in read_transactions(f):
            t = res.swaps
            if t.num_rows:
                rows += t.filter(pc.equal(t["venue"], "pumpfun")).to_pylist()
    return rows


@pytest.mark.shared_data
def test_real_pumpfun_trades_rendered_as_logged_are_inferred_back(shared_data: Path):
    trades = _fixture_trades(shared_data)
    assert len(trades) >= 7
    sides = [r["side"] for r in trades]
    assert 1 in sides and -1 in sides
    x1 = np.array([r["virtual_sol_reserves"] for r in trades])
    y1 = np.array([r["virtual_token_reserves"] for r in trades])
    sol = np.array([r["sol_amount"] for r in trades])
    tok = np.array([r["token_amount"] for r in trades])
    side = np.array(sides)
    rate = 203.53
    price = np.round(sol / tok, 12)  # PumpPortal's solAmount / tokenAmount, printed
    mcap = np.round(x1 / y1 * 1e9 * rate)
    out = infer_trades(price, mcap, np.full(len(trades), rate))
    res = _resolution(price, mcap)
    resolved = out["side"] != 0
    assert resolved.sum() >= len(trades) - 1  # at most the 0.0036 SOL sell is below resolution
    np.testing.assert_array_equal(out["side"][resolved], side[resolved])
    # The event's SOL is the curve's SOL leg (no fee): inferred within x * res of it.
    x0 = x1 - side * sol
    bound = np.maximum(x0, x1) * res * 1.001 + 2e-9 * x1  # + the events' k drift (<3e-7 rel)
    k_drift = np.abs(x1 * y1 / CURVE_K - 1).max()
    assert k_drift < 3e-7
    assert np.all(
        np.abs(out["sol_amount"] - sol)[resolved] <= bound[resolved] + x1[resolved] * k_drift
    )
    np.testing.assert_allclose(out["vsol_after"], x1, rtol=0.26 / mcap.min() + k_drift)
    np.testing.assert_allclose(
        out["vsol_before"][resolved], x0[resolved], rtol=2 * res.max() + k_drift
    )


# ------------------------------------------------------------------------ the real PumpPortal set
@pytest.fixture(scope="module")
def real_subset(shared_data: Path, tmp_path_factory) -> tuple[Path, pa.Table, pa.Table]:
    """The first SUBSET (1,000) sessions of the real paths, with their summaries, as a small file pair."""
    src = shared_data / PATHS
    paths = pq.read_table(src / "price_paths.parquet")
    mints = paths.column("mint").to_numpy(zero_copy_only=False)
    change = np.flatnonzero(mints[1:] != mints[:-1]) + 1
    paths = paths.slice(0, int(change[SUBSET - 1]))
    summ = pq.read_table(src / "path_summaries.parquet")
    summ = summ.filter(pc.is_in(summ.column("mint"), value_set=paths.column("mint").unique()))
    return _write(tmp_path_factory.mktemp("real"), paths, summ), paths, summ


@pytest.mark.shared_data
def test_real_subset_ingests_every_row_once_and_reingest_adds_nothing(real_subset, tmp_path):
    src, paths, summ = real_subset
    lake = Lake(tmp_path / "lake")
    rep = ingest(lake, [src], preset="pumpportal-paths").files[0]
    n_entry = int(pc.sum(paths.column("is_entry")).as_py())
    assert n_entry == SUBSET == summ.num_rows
    assert rep.rows_read == paths.num_rows
    assert rep.skipped == {"entry_snapshot": SUBSET}
    assert rep.ingested + rep.quarantined + n_entry == paths.num_rows
    # Null prices and letsbonk.fun rows are refused, as counted from the file.
    trades = paths.filter(pc.invert(paths.column("is_entry")))
    null_price = trades.column("price_sol").null_count
    bonk = summ.filter(pc.is_in(summ.column("pool_guess"), pa.array(["bonk", "other_bonklike"])))
    bonk_rows = int(pc.sum(pc.is_in(trades.column("mint"), bonk.column("mint"))).as_py() or 0)
    assert rep.quarantine_reasons.get("price_sol", 0) >= null_price
    assert rep.quarantine_reasons.get("pool_guess", 0) == bonk_rows
    assert rep.quarantined < 0.15 * trades.num_rows

    # Sides against the summaries' counts, on sessions where every trade since the trigger was
    # logged and resolved: the counts agree exactly for nearly all of them.
    got = lake.sql(
        "SELECT mint, sum(CASE WHEN side = 1 THEN 1 ELSE 0 END) AS b, "
        "sum(CASE WHEN side = -1 THEN 1 ELSE 0 END) AS s FROM swaps GROUP BY mint"
    ).set_index("mint")
    s = summ.to_pandas().set_index("mint").join(got).fillna({"b": 0, "s": 0})
    full = s[(s.trade_count == s.n_rows - 1) & (s.b + s.s == s.n_rows - 1) & (s.n_rows > 1)]
    assert len(full) >= 100
    agree = ((full.b == full.buy_count) & (full.s == full.sell_count)).mean()
    assert agree >= 0.95

    again = ingest(lake, [src], preset="pumpportal-paths").files[0]
    assert (again.ingested, again.duplicates, again.quarantined) == (
        0,
        rep.ingested,
        rep.quarantined,
    )
    assert again.quarantine_file == rep.quarantine_file  # the same content, the same file
    assert lake.sql("SELECT count(*) AS n FROM swaps").n[0] == rep.ingested
    assert lake.sql("SELECT count(*) AS n FROM launches").n[0] == rep.launches_ingested


def test_csv_copy_of_the_paths_ingests_the_same_swaps_as_the_parquet(tmp_path: Path):
    import pyarrow.csv as pacsv

    rng = np.random.default_rng(8)
    paths, summ, _ = _curve_sessions(rng, sessions=6, trades=15, steps=[(0, 202.5)], t0=10**12)
    _write(tmp_path / "src", paths, summ)
    pacsv.write_csv(paths, tmp_path / "src" / "price_paths.csv")  # every value as text
    cols = "mint, ts, side, sol_amount, token_amount, virtual_sol_reserves, signature"
    got = {}
    for name in ("price_paths.parquet", "price_paths.csv"):
        lake = Lake(tmp_path / name)
        rep = ingest(lake, [tmp_path / "src" / name], preset="pumpportal-paths").files[0]
        assert rep.skipped == {"entry_snapshot": 6}
        got[name] = lake.sql(f"SELECT {cols} FROM swaps ORDER BY mint, ts, signature")
    assert (
        rep.info["units_sol_usd"] == "series of 1 values from 6 samples (entries only: not Parquet)"
    )
    assert len(got["price_paths.csv"]) == len(got["price_paths.parquet"]) > 60
    for c in ("mint", "ts", "side", "signature"):
        assert got["price_paths.csv"][c].tolist() == got["price_paths.parquet"][c].tolist()
    np.testing.assert_allclose(
        got["price_paths.csv"].sol_amount, got["price_paths.parquet"].sol_amount, rtol=1e-12
    )


def _graduating_session(mint: str, start: int, rate: float) -> tuple[pa.Table, pa.Table]:
    """One session of 2 SOL buys from 105 SOL virtual to the curve's end (it graduates)."""
    x, ts = 105.0, start
    rows = [(mint, ts, *render_row(108.0, x, rate), True)]
    while x < CURVE_VSOL_END - 1e-6:
        x1 = min(x + 2.0, CURVE_VSOL_END - 1e-6)
        ts += 1_000
        rows.append((mint, ts, *render_row(x, x1, rate), False))
        x = x1
    names = ("mint", "ts_ms", "price_sol", "mcap_usd", "is_entry")
    paths = pa.table({k: [r[i] for r in rows] for i, k in enumerate(names)})
    paths = paths.add_column(1, "strategy", pa.array(["catchAll"] * len(rows)))
    summ = {"mint": [mint], "first_ts_ms": [start], "sol_usd_at_entry": [rate]}
    summ |= {"sol_usd_imputed": [False], "pool_guess": ["pump"], "trigger_at_ms": [start - 2000]}
    summ |= {"age_at_trigger_sec": [20], "token_name": ["grad"], "token_symbol": ["G"]}
    return paths, pa.table(summ)


def test_sessions_split_across_batches_keep_their_keys_and_graduation(tmp_path, monkeypatch):
    from memelab.datasets.importers import tabular

    rng = np.random.default_rng(21)
    t0 = 10**12
    paths, summ, _ = _curve_sessions(rng, sessions=5, trades=9, steps=[(0, 203.0)], t0=t0)
    gp, gs = _graduating_session(_address(99), t0 + 50_000, 203.0)
    paths = pa.concat_tables([gp.cast(paths.schema), paths])
    summ = pa.concat_tables([gs.cast(summ.schema), summ])
    src = _write(tmp_path / "src", paths, summ)
    cols = "mint, ts, side, sol_amount, signature"
    got = {}
    for batch_rows in (tabular.PARQUET_BATCH_ROWS, 4):  # 4: every session spans batches
        monkeypatch.setattr(tabular, "PARQUET_BATCH_ROWS", batch_rows)
        lake = Lake(tmp_path / f"lake{batch_rows}")
        rep = ingest(lake, [src], preset="pumpportal-paths").files[0]
        assert rep.duplicates == 0 and rep.launches_ingested == 6
        swaps = lake.sql(f"SELECT {cols} FROM swaps ORDER BY mint, ts, signature")
        launches = lake.sql("SELECT mint, graduated_ts FROM launches ORDER BY mint")
        got[batch_rows] = (swaps, launches)
    (a, la), (b, lb) = got.values()
    assert a.equals(b) and la.equals(lb)
    grad = la.set_index("mint").graduated_ts
    assert grad[_address(99)] == (t0 + 50_000 + 6_000) * 1_000_000  # its 6th buy ends the curve
    assert grad.drop(_address(99)).isna().all()
