"""Cross-pool price gap: a hand-built two-pool mint, the atomic two-leg order priced at landing,
a reverted attempt's fee, the spent-gap guard, the plain-order variant, look-ahead, null market."""

from __future__ import annotations

import numpy as np
import pytest
from launch_tape import T0, S, grown_equals_whole
from memelab.datasets.schemas import EVENT_DTYPE, KIND_LIQUIDITY, KIND_TRADE
from memelab.engine import EngineConfig, backtest, check_lookahead
from memelab.strategies import get_strategy, venue_gap

FEE = 0.0025  # PumpSwap and Raydium: constant product, 0.25%
LOOSE = EngineConfig(tier_spacing_s=(0.0,) * 4, tier_daily_cap=(1000,) * 4)


def _ev(t, pool, vs, vt, venue, side=0, sol=0.0, trader=5):
    kind = KIND_TRADE if side else KIND_LIQUIDITY
    return (T0 + int(round(t * S)), 0, 0, trader, side, venue, kind, pool, sol, 0.0, vs / vt, vs,
            vt, np.nan)  # fmt: skip


def _gap_market(close_before_landing: bool = False) -> np.ndarray:
    """Mint 0 on pool 0 (PumpSwap, 100 SOL / 1e9 tokens) and pool 1 (Raydium): at t=2 a buy
    lifts pool 1 to 100 SOL / 0.95e9 (5.3% dearer); the order lands at the next event, t=3."""
    rows = [
        _ev(0, 0, 100.0, 1e9, 1),
        _ev(1, 1, 100.0, 1e9, 2),
        _ev(2, 1, 100.0, 0.95e9, 2, side=1, sol=0.3),
    ]
    if close_before_landing:  # someone else closes the gap before we land
        rows.append(_ev(2.2, 1, 100.0, 1e9, 2, side=-1, sol=0.3))
    rows += [_ev(3, 0, 100.0, 1e9, 1, trader=6), _ev(4, 0, 100.0, 1e9, 1, trader=6)]
    return np.array(rows, dtype=EVENT_DTYPE)


def _out(sol, s1, t1, s2, t2):
    x = sol * (1 - FEE)
    tok = t1 * x / (s1 + x)
    return tok, s2 * tok / (t2 + tok) * (1 - FEE)


def test_venue_gap_is_registered_with_params_defaults_and_sweep():
    mod = get_strategy("venue_gap")
    assert set(mod.DEFAULTS) == set(mod.PARAMS_DTYPE.names) and set(mod.SWEEP) <= set(mod.DEFAULTS)


def test_the_best_size_is_priced_exactly_on_both_pools():
    p = np.zeros(1, venue_gap.PARAMS_DTYPE)[0]
    for k, v in venue_gap.DEFAULTS.items():
        p[k] = v
    x, gain = venue_gap.best_arb_nb(100.0, 1e9, FEE, 100.0, 0.95e9, FEE, 5.0, p)

    def net(m):  # by hand: two legs, tx cost, latency slippage (20 bps/s x 0.4 s) and edge bars
        return _out(5.0 * m, 100.0, 1e9, 100.0, 0.95e9)[1] - 5.0 * m * (1 + 18e-4) - 0.0002

    # the full 5 SOL would eat the 5.3% gap with its impact on both 100 SOL pools: 1.25 SOL
    assert x == 0.25 and net(0.25) > max(net(1.0), net(0.5), net(0.1))
    assert gain == pytest.approx(net(0.25))
    # equal prices: fees alone make it a loss, nothing to do
    assert venue_gap.best_arb_nb(100.0, 1e9, FEE, 100.0, 1e9, FEE, 5.0, p) == (0.0, 0.0)


def test_an_atomic_arbitrage_books_both_legs_at_landing_reserves():
    res = backtest(_gap_market(), venue_gap, config=LOOSE)
    assert len(res.trades) == 1
    t = res.trades.iloc[0]
    tok, out = _out(1.25, 100.0, 1e9, 100.0, 0.95e9)  # 0.25 x 5% of 100 SOL equity
    assert t["exit_reason"] == "arbitrage" and t["tokens"] == pytest.approx(tok, rel=1e-12)
    assert t["entry_sol"] == pytest.approx(1.2502) and t["exit_sol"] == pytest.approx(out)
    assert t["pnl_sol"] == pytest.approx(out - 1.2502) and out - 1.2502 > 0.02
    legs = res.fills
    assert list(legs["side"]) == [1, -1] and list(legs["pool"]) == [0, 1]
    assert list(legs["status"]) == ["ok", "ok"]
    assert res.metrics["total_return"] == pytest.approx((out - 1.2502) / 100.0, rel=1e-9)


def test_an_arbitrage_whose_gap_closed_before_landing_reverts_and_costs_its_priority_fee():
    res = backtest(_gap_market(close_before_landing=True), venue_gap, config=LOOSE)
    assert len(res.trades) == 0
    assert list(res.fills["status"]) == ["failed_no_profit"] * 2
    assert res.fills["tx_fee"].sum() == pytest.approx(0.0001)  # priority fee only, no tip
    assert res.equity["equity"].iloc[-1] == pytest.approx(100.0 - 0.0001)


def test_one_recorded_gap_is_harvested_once():
    ev = _gap_market()
    more = np.array([_ev(5 + k, 1, 100.0, 0.95e9, 2, side=1, sol=0.1) for k in range(5)],
                    dtype=EVENT_DTYPE)  # fmt: skip
    res = backtest(np.concatenate([ev, more]), venue_gap, config=LOOSE)
    assert len(res.trades) == 1  # the same gap, still recorded: spent


def test_the_plain_variant_buys_the_cheap_pool_and_holds_the_position():
    res = backtest(_gap_market(), venue_gap, params={"atomic": 0}, config=LOOSE)
    assert list(res.fills["pool"]) == [0, 0] and list(res.fills["side"]) == [1, -1]
    assert res.trades.iloc[0]["exit_reason"] == "end_of_data"  # no sell on the dear pool


def test_lookahead_guard_passes_for_venue_gap():
    ev = np.concatenate([_gap_market(), _gap_market()])
    ev["ts"][len(ev) // 2 :] += 60 * S
    ev["mint"][len(ev) // 2 :] = 1
    ev["pool"][len(ev) // 2 :] += 2
    report = check_lookahead(ev, venue_gap, config=LOOSE, cut=T0 + 30 * S)
    assert report.passed, report.first_difference
    assert report.orders_checked == 1 and report.fills_checked == 2


def test_gaps_that_close_before_our_order_lands_cost_one_priority_fee_each():
    """A null market for arbitrage: every posted gap is closed by someone faster (0.1 s later,
    before our 0.4 s latency), so every attempt reverts and the strategy only pays fees."""
    rows = [_ev(0, 0, 100.0, 1e9, 1), _ev(1, 1, 100.0, 1e9, 2)]
    for k in range(6):
        t = 10.0 * (k + 1)
        rows += [_ev(t, 1, 100.0, 0.95e9, 2, side=1, sol=0.3),
                 _ev(t + 0.1, 1, 100.0, 1e9, 2, side=-1, sol=0.3),
                 _ev(t + 1, 0, 100.0, 1e9, 1, trader=6)]  # fmt: skip
    res = backtest(np.array(rows, dtype=EVENT_DTYPE), venue_gap, config=LOOSE)
    assert len(res.trades) == 0 and (res.fills["status"] == "failed_no_profit").sum() == 12
    assert res.equity["equity"].iloc[-1] == pytest.approx(100.0 - 6 * 0.0001)


def test_on_one_pool_per_mint_it_never_trades():
    from engine_scenarios import random_market

    res = backtest(random_market(3000, 8, 1), venue_gap, config=LOOSE)
    assert len(res.fills) == 0


def test_a_venue_gap_replay_grown_chunk_by_chunk_equals_one_sized_for_the_whole():
    ev = np.concatenate([_gap_market(), _gap_market()])
    ev["ts"][len(ev) // 2 :] += 60 * S
    ev["mint"][len(ev) // 2 :] = 3
    ev["pool"][len(ev) // 2 :] += 4
    assert grown_equals_whole(venue_gap, ev, None, LOOSE, chunk=3) == 4
