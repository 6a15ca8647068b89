"""Fill model: exact curve math, latency, slippage failures, honeypots, rugs, fallback impact."""

from __future__ import annotations

import numpy as np
import pytest
from engine_scenarios import SCRIPTED, VS0, VT0, Tape
from memelab.engine import EngineConfig
from memelab.engine.fills import quote_buy, quote_sell
from memelab.engine.replay import run_replay

# 1 SOL positions: 5% of 20 SOL.
BASE = EngineConfig(initial_equity=20.0, priority_fee_sol=0.001, tip_sol=0.002, latency_s=0.4)


def run(tape: Tape, config: EngineConfig = BASE, honeypot=None):
    _, out = run_replay(tape.events(), SCRIPTED, None, config, honeypot=honeypot)
    return out


def test_buy_on_fresh_pumpfun_curve_gives_exact_token_amount():
    out = run(Tape().create(0, 0).signal(1, 0).tick(2, 0))
    fill = out.fills[0]
    k = VS0 * VT0
    expected = VT0 - k / (VS0 + 1.0 * 0.99)  # 1 SOL in, 1% fee off the SOL side
    assert fill["status"] == 0
    assert fill["sol"] == pytest.approx(1.0, rel=1e-15)
    assert fill["tokens"] == pytest.approx(expected, rel=1e-12)
    assert fill["tokens"] == pytest.approx(34_277_831.5586, rel=1e-9)
    assert fill["tx_fee"] == pytest.approx(0.003)
    assert fill["venue_fee"] == pytest.approx(0.01)
    # SOL spent: swap input plus priority fee and tip
    assert out.trades[0]["entry_sol"] == pytest.approx(1.003)


def test_quote_functions_match_the_kernel_and_the_pumpfun_sell_formula():
    q = quote_buy(VS0, VT0, 1.0)
    assert q.tokens == pytest.approx(VT0 - VS0 * VT0 / (VS0 + 0.99), rel=1e-12)
    s = quote_sell(VS0, VT0, 10_000_000.0)
    assert s.sol == pytest.approx((VS0 - VS0 * VT0 / (VT0 + 1e7)) * 0.99, rel=1e-12)
    amm = quote_buy(VS0, VT0, 1.0, venue="pumpswap")
    assert amm.tokens == pytest.approx(VT0 * 0.9975 / (VS0 + 0.9975), rel=1e-12)


def test_latency_lets_an_intervening_whale_buy_move_our_fill():
    tape = Tape().create(0, 0).signal(1.0, 0).buy(1.2, 0, 5.0, trader=50).tick(1.5, 0)
    loose = BASE.replace(slippage_tol=1.0)
    slow = run(tape, loose).fills[0]
    vs, vt = VS0 + 4.95, VT0 - VT0 * 4.95 / (VS0 + 4.95)  # reserves after the whale
    assert slow["ts"] == tape.events()["ts"][3]  # landed at the first event >= t + 0.4 s
    assert slow["tokens"] == pytest.approx(vt * 0.99 / (vs + 0.99), rel=1e-12)
    fast = run(tape, loose.replace(latency_s=0.1)).fills[0]  # lands before the whale
    assert fast["tokens"] == pytest.approx(VT0 * 0.99 / (VS0 + 0.99), rel=1e-12)
    assert slow["tokens"] < 0.8 * fast["tokens"]


def test_too_tight_slippage_tolerance_fails_and_still_pays_the_priority_fee():
    tape = Tape().create(0, 0).signal(1.0, 0).buy(1.2, 0, 10.0, trader=50).tick(1.5, 0).tick(3, 0)
    out = run(tape, BASE.replace(slippage_tol=0.05))
    assert len(out.fills) == 1
    assert out.fills[0]["status"] == 1  # failed_slippage
    assert out.fills[0]["tokens"] == 0.0
    assert out.fills[0]["tx_fee"] == pytest.approx(0.001)  # priority fee, no tip
    assert len(out.trades) == 0
    assert out.acct[0] == pytest.approx(20.0 - 0.001)


def test_honeypot_sells_fail_pay_fees_and_are_written_off_after_max_attempts():
    tape = Tape().create(0, 0).signal(1, 0).tick(2, 0).price(10, 0, 0.7)
    for k in range(5):
        tape.tick(11 + k, 0)
    out = run(tape, BASE.replace(max_sell_attempts=3), honeypot=np.array([0]))
    sells = out.fills[out.fills["side"] < 0]
    assert len(sells) == 3 and np.all(sells["status"] == 2)  # failed_honeypot
    trade = out.trades[0]
    assert trade["exit_reason"] == 9  # honeypot
    assert trade["exit_sol"] == 0.0
    assert trade["entry_sol"] == pytest.approx(1.003 + 3 * 0.001)
    assert out.acct[0] + out.acct[1] == pytest.approx(20.0 - 1.003 - 0.003)


def test_rug_marks_the_mint_and_the_exit_sells_into_the_collapsed_pool():
    tape = Tape().create(0, 0).signal(1, 0).tick(2, 0)
    tape.set_reserves(10, 0, 2.0, VT0 * 5).tick(11, 0).signal(12, 0).tick(13, 0)
    out = run(tape, BASE.replace(stop_loss=0.99))
    trade = out.trades[0]
    assert trade["exit_reason"] == 8  # rug
    tokens = out.fills[0]["tokens"]
    # the rugger pulled our SOL out with everyone else's: we sell into the recorded remains
    expected = 2.0 * tokens / (VT0 * 5 + tokens) * 0.99 - 0.003
    assert trade["exit_sol"] == pytest.approx(expected, rel=1e-12)
    assert out.rejects[9] == 1  # the later entry in the rugged mint was refused


def test_event_without_reserves_falls_back_to_a_pool_of_fallback_depth_at_the_last_price():
    tape = Tape()
    tape._add(0, 0, 1, 1, 0.1, 1e5, np.nan, np.nan, price=1e-6)
    tape._add(1, 0, BUY_MARK, 0, 0.0, 0.0, np.nan, np.nan, price=1e-6)
    tape._add(2, 0, 1, 1, 0.1, 1e5, np.nan, np.nan, price=1e-6)
    out = run(tape, BASE.replace(fallback_depth_sol=50.0))
    d, t = 50.0, 50.0 / 1e-6
    assert out.fills[0]["tokens"] == pytest.approx(t * 0.99 / (d + 0.99), rel=1e-12)


BUY_MARK = 900


def _jittered(seed: int):
    tape = Tape().create(0, 0)
    for k in range(8):
        tape.signal(10 * k + 1, 0)
        for j in range(1, 400):
            tape.tick(10 * k + 1 + j * 0.01, 0)
        tape.close_signal(10 * k + 2.5, 0)
    cfg = BASE.replace(
        latency_jitter_s=0.5,
        tier_spacing_s=(0, 0, 0, 0),
        cooldown_losses_1=100,
        cooldown_losses_2=200,
        seed=seed,
    )
    fills = run(tape, cfg).fills
    return (fills["ts"] - fills["sent_ts"]) / 1e9


def test_latency_jitter_is_seeded_and_stays_within_latency_plus_jitter():
    a, b, c = _jittered(1), _jittered(1), _jittered(2)
    assert len(a) == 16
    assert np.array_equal(a, b)  # same seed: same landing times
    assert not np.array_equal(a, c)  # another seed: others
    assert a.min() >= 0.4 and a.max() < 0.4 + 0.5 + 0.011
    assert a.max() - a.min() > 0.1  # it does jitter


def test_priority_fee_is_compute_unit_price_times_units():
    from memelab.engine.config import priority_fee_sol

    assert priority_fee_sol(100_000, 200_000) == pytest.approx(0.00002)


def test_a_round_trip_in_a_quiet_pool_gets_its_own_impact_back_and_loses_only_fees():
    # 5 SOL into a 30 SOL curve moves the price ~35%; selling straight back returns it
    tape = Tape().create(0, 0).signal(1, 0).tick(2, 0).close_signal(3, 0).tick(4, 0)
    out = run(tape, BASE.replace(position_fraction=0.25))
    buy, sell = out.fills[0], out.fills[1]
    assert buy["sol"] == pytest.approx(5.0)
    assert sell["tokens"] == buy["tokens"]
    assert sell["sol"] == pytest.approx(5.0 * 0.99 * 0.99, rel=1e-12)  # the 1% fee, twice
    trade = out.trades[0]
    assert trade["exit_sol"] - trade["entry_sol"] == pytest.approx(5.0 * (0.99**2 - 1) - 0.006)


def test_our_sol_stays_in_the_pool_while_others_trade_as_recorded():
    tape = Tape().create(0, 0).signal(1, 0).tick(2, 0)
    tape.buy(3, 0, 30.0, trader=50).close_signal(4, 0).tick(5, 0)
    out = run(tape, BASE.replace(position_fraction=0.25, tp_levels=(50.0, 60.0, 70.0)))
    q = out.fills[0]["tokens"]
    vs_hist, vt_hist = VS0 + 29.7, VS0 * VT0 / (VS0 + 29.7)  # after the recorded 30 SOL buy
    s = vs_hist + 5.0 * 0.99  # plus our 4.95 SOL
    t = vs_hist * vt_hist / s
    assert out.fills[1]["sol"] == pytest.approx(s * q / (t + q) * 0.99, rel=1e-12)
