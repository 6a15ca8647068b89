"""Replay as a whole: determinism, chunked resume, look-ahead guard, vectorbt agreement."""

from __future__ import annotations

import numpy as np
import pytest
from engine_scenarios import LEAKY, random_market
from memelab.engine import EngineConfig, backtest, check_lookahead
from memelab.engine.replay import Replay, _context_from_events, run_replay
from memelab.strategies import momentum

LAGGY = EngineConfig(latency_s=6.0, slippage_tol=0.01)  # some entries fail on slippage


@pytest.fixture(scope="module")
def market() -> np.ndarray:
    return random_market(30_000, 25, seed=3)


def test_same_events_and_params_give_bit_identical_trades(market):
    _, a = run_replay(market, momentum)
    _, b = run_replay(market, momentum)
    assert len(a.trades) > 5
    assert a.trades.tobytes() == b.trades.tobytes()
    assert a.fills.tobytes() == b.fills.tobytes()
    assert a.equity.tobytes() == b.equity.tobytes()


def test_feeding_in_chunks_gives_the_same_result_as_one_pass(market):
    _, whole = run_replay(market, momentum)
    ctx = _context_from_events(market)
    replay = Replay(
        __import__("memelab.strategies.momentum").strategies.momentum, None, None, ctx, capacity=8
    )
    for chunk in np.array_split(market, 7):
        replay.feed(chunk)
    parts = replay.finish()
    assert parts.trades.tobytes() == whole.trades.tobytes()
    assert parts.orders.tobytes() == whole.orders.tobytes()
    assert parts.fills.tobytes() == whole.fills.tobytes()


def test_signal_ids_are_global_event_indices_of_the_triggering_event(market):
    _, out = run_replay(market, momentum)
    entries = out.orders[(out.orders["side"] > 0) & (out.orders["verdict"] == 0)]
    by_signal = dict(zip(entries["signal_id"].tolist(), entries["ts"].tolist(), strict=True))
    for trade in out.trades:
        sid = int(trade["signal_id"])
        assert market["ts"][sid] == by_signal[sid]  # the triggering event's time
        assert trade["entry_ts"] > market["ts"][sid]  # filled after the signal, never at it


def test_lookahead_guard_passes_for_momentum(market):
    report = check_lookahead(market, momentum)
    assert report.passed, report.first_difference
    assert report.orders_checked > 5 and report.fills_checked > 5


def test_lookahead_guard_catches_a_strategy_that_reads_future_prices(market):
    report = check_lookahead(market, LEAKY)
    assert not report.passed
    assert "orders" in report.first_difference


def test_trades_equity_and_cash_reconcile(market):
    res = backtest(market, momentum, config=LAGGY)
    m = res.metrics
    t = res.trades
    failed_entry = res.fills[(res.fills["side"] > 0) & (res.fills["status"] != "ok")][
        "tx_fee"
    ].sum()
    assert m["failed_tx"] > 0
    assert m["final_equity"] == pytest.approx(100.0 + t["pnl_sol"].sum() - failed_entry, rel=1e-12)
    assert res.equity["equity"].iloc[-1] == pytest.approx(m["final_equity"], rel=1e-12)
    assert m["trades"] == len(t) and m["win_rate"] == pytest.approx(t["win"].mean())


def test_to_vectorbt_agrees_with_our_total_return_and_trade_count(market):
    res = backtest(market, momentum, config=LAGGY)
    assert res.metrics["failed_tx"] > 0  # failed-tx fees must be carried into vectorbt too
    pf = res.to_vectorbt()
    assert pf.total_return() == pytest.approx(res.metrics["total_return"], rel=1e-9, abs=1e-12)
    trade_cols = pf.wrapper.columns.get_level_values("position") != "failed_tx_fees"
    assert pf.positions.count(group_by=False)[trade_cols].sum() == res.metrics["trades"]


def test_unsorted_events_are_refused_with_the_offending_index(market):
    shuffled = market[:100].copy()
    shuffled[[10, 11]] = shuffled[[11, 10]]
    with pytest.raises(ValueError, match="out of time order at chunk index 11"):
        run_replay(shuffled, momentum)
