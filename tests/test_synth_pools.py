"""Extra pools after graduation and the arbitrage that keeps them together (synthetic market)."""

from __future__ import annotations

import numpy as np
import pytest
from memelab.datasets.inspect import validate_lake
from memelab.datasets.synth import scenario_config, synthesize
from memelab.datasets.synth.arbgaps import gap_episodes, gap_summary
from memelab.datasets.synth.generate import pools_truth

LAG_S = 3.0
# every graduate gets an extra pool; a fixed lag; an arbitrage closes the whole gap to the fees
CFG = scenario_config(
    "calibrated", p_extra_pool=1.0, arb_lag_median_s=LAG_S, arb_lag_sigma=0.0, arb_close=1.0
)
SIZE = {"tokens": 200, "wallets": 800, "days": 1, "seed": 3}
TABLES = ("swaps", "launches", "wallets_truth", "tokens_truth")


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    return synthesize(tmp_path_factory.mktemp("mp") / "lake", config=CFG, **SIZE)


def test_a_graduate_with_an_extra_pool_trades_on_both_pools_under_distinct_pool_ids(lake):
    pt = pools_truth(lake).to_pandas()
    extra = pt[pt.venue.isin(["raydium", "meteora"])]
    assert len(extra) >= 2 and set(extra.mint) <= set(pt[pt.venue == "pumpswap"].mint)
    assert pt.pool.is_unique and (extra.fee == 0.0025).all()
    rows = lake.sql("select mint, pool, pool_id, venue, side, mint_id from swaps")
    multi = rows.mint.isin(set(extra.mint))
    assert rows.pool[multi].notna().all() and rows.pool[~multi].isna().all()  # addresses
    for mint in extra.mint:
        r = rows[rows.mint == mint]
        ids = r.groupby("venue").pool_id.unique()
        assert len(r.pool_id.unique()) == 3 and all(len(v) == 1 for v in ids)  # curve, 2 AMMs
        on_extra = r[r.venue.isin(["raydium", "meteora"])]
        assert (on_extra.side == 1).any() and (on_extra.side == -1).any()
        assert set(r.pool) == set(pt[pt.mint == mint].pool)
    assert rows.groupby("pool_id").mint.nunique().max() == 1  # no pool shared by two mints
    ev = lake.load_events()
    mid = int(rows[rows.mint == extra.mint.iloc[0]].mint_id.iloc[0])
    assert len(np.unique(ev["pool"][ev["mint"] == mid])) == 3
    assert validate_lake(lake) == []


def test_every_pool_is_an_exact_constant_product_between_liquidity_events(lake):
    r = lake.sql(
        "select pool, ts, side, sol_amount s, token_amount t, virtual_sol_reserves vs, "
        "virtual_token_reserves vt from swaps where venue in ('raydium', 'meteora', 'pumpswap') "
        "order by pool, ts"
    )
    checked = 0
    for _, g in r.groupby("pool"):
        for a, b in zip(g.itertuples(), g.iloc[1:].itertuples(), strict=False):
            if b.side == 0 or a.ts == b.ts:  # same-ts rows have no order in the lake
                continue
            assert b.vs * b.vt == pytest.approx(a.vs * a.vt, rel=1e-9)
            assert b.vs - a.vs == pytest.approx(b.side * b.s, rel=1e-9, abs=1e-12)
            checked += 1
    assert checked > 1000


def test_arbitrage_closes_a_gap_beyond_fees_plus_margin_one_lag_after_it_opens(lake):
    ep = gap_episodes(lake)
    fees = 2 * 0.0025
    wide = ep["start_bps"] > (fees + CFG.arb_margin) * 1e4
    assert wide.sum() >= 20
    d = ep["duration_s"][wide]
    d = d[~np.isnan(d)]
    # the arbitrage lands one lag after the gap crosses fees + margin (retail may close it
    # earlier, or reopen it while the arbitrage is on its way: then the next one closes it)
    assert np.mean(d <= LAG_S + 1e-6) >= 0.9 and 0.5 * LAG_S < np.median(d) <= LAG_S
    s = gap_summary(lake)
    assert s["episodes"] == len(ep["peak_bps"]) and s["peak_gap_bps"]["q10"] > fees * 1e4


def test_a_longer_arbitrage_lag_leaves_gaps_open_longer(lake, tmp_path):
    slow = synthesize(tmp_path / "slow", config=CFG.replace(arb_lag_median_s=30.0), **SIZE)
    fast_d, slow_d = (gap_summary(x)["duration_s"]["q50"] for x in (lake, slow))
    assert slow_d > 3 * fast_d


def test_same_seed_same_multipool_lake_and_pools_truth(lake, tmp_path):
    again = synthesize(tmp_path / "again", config=CFG, **SIZE)
    for t in TABLES:
        assert again.manifest(t)["content_hash"] == lake.manifest(t)["content_hash"], t
    assert pools_truth(again).equals(pools_truth(lake))


# content hashes of the planted lake before extra pools existed (main at cb77043)
PLANTED = {
    "swaps": "f604d7f4ce0dc0aa18d4c747bd12f928cc25dfe2fbc2e4cd8c0eb5966c9f913b",
    "launches": "51af49673adeb12fc3351ab73ddedfdac6d019ca7a53c0f7a664e4b304f3e152",
    "wallets_truth": "5e75b6382d67f42a3b617be78e72b464a52970d684a2a2d59a63be5ea78f1285",
    "tokens_truth": "70363cb68b3f8bea55650cf659370b2fc9099b0b0ea8c9b01946bf344bae0651",
}


def test_planted_and_null_keep_one_pool_per_mint_and_planted_its_bytes(tmp_path):
    planted = synthesize(
        tmp_path / "p", tokens=120, wallets=500, days=2, seed=5, scenario="planted"
    )
    assert {t: planted.manifest(t)["content_hash"] for t in TABLES} == PLANTED
    assert set(pools_truth(planted).column("venue").to_pylist()) <= {"pumpfun", "pumpswap"}
    assert scenario_config("null").p_extra_pool == 0.0
    assert scenario_config("calibrated").p_extra_pool > 0.0


def test_the_engine_replays_a_multipool_lake_each_position_on_a_pool_of_its_mint(lake):
    from memelab.engine import EngineConfig
    from memelab.engine.replay import run_replay
    from memelab.strategies import momentum

    ev = lake.load_events()
    # the AMM part of the lake: graduates on PumpSwap and their extra pools, arbitrage included
    ev = ev[ev["venue"] != 0]
    params = {"min_return": 0.03, "min_buy_ratio": 0.55, "min_trades": 3}
    _, out = run_replay(ev, momentum, params, EngineConfig())
    assert len(out.trades) > 0
    pools_of = {}
    for m, p in zip(ev["mint"], ev["pool"], strict=True):
        pools_of.setdefault(int(m), set()).add(int(p))
    assert max(len(v) for v in pools_of.values()) == 2
    for tr in out.trades:
        assert int(tr["pool"]) in pools_of[int(tr["mint"])]
        fills = out.fills[out.fills["position"] == tr["position"]]
        assert len(fills) >= 2 and (fills["pool"] == tr["pool"]).all()  # bought and sold there
