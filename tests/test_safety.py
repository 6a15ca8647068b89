"""The shared safety checks (strategies.safety_nb): sellability, impact, creator evidence."""

from __future__ import annotations

import numpy as np
import pytest
from launch_tape import LaunchTape, S, params_record
from memelab.strategies import copytrade, safety_nb
from memelab.strategies.safety_nb import (
    CREATOR_FIELDS,
    NEVER,
    O_BUYS,
    O_CREATED,
    O_CREATOR,
    O_CREATOR_SOLD,
    O_LAST_SELL,
    O_RUGGED,
    O_SELLS,
    OF_CREATOR_BUY,
    SAFETY_FIELDS,
)

P = params_record(SAFETY_FIELDS + CREATOR_FIELDS + (("size", np.float64, 1.0),))


def _observe(events, n_mints=4, n_wallets=20):
    obs, fobs, head = safety_nb.new_observations(n_mints, n_wallets)
    for ev in events:
        safety_nb.observe_nb(ev, obs, fobs, head, P)
    return obs, fobs, head


def test_copytrade_uses_the_shared_checks_not_a_copy():
    assert copytrade.safe_entry_size_nb is safety_nb.safe_entry_size_nb
    for name, _, default in SAFETY_FIELDS:
        assert copytrade.DEFAULTS[name] == default


def test_impact_shrinks_the_order_to_1pct_of_the_sol_reserve_and_skips_crumbs():
    # a fresh curve holds 30 virtual SOL: 1% is 0.3 SOL = 0.06 of a 5 SOL base order
    assert safety_nb.impact_fit_nb(1.0, 30.0, 5.0, P) == pytest.approx(0.06)
    assert safety_nb.impact_fit_nb(1.0, 1000.0, 5.0, P) == 1.0
    assert safety_nb.impact_fit_nb(1.0, 5.0, 5.0, P) == 0.0  # 0.01 < min_size_frac 0.02
    assert safety_nb.impact_fit_nb(1.0, np.nan, 5.0, P) == 0.0  # impact unknown
    assert (
        safety_nb.base_order_sol_nb(100.0, P) == 5.0 and safety_nb.base_order_sol_nb(0.0, P) == 0.5
    )


def test_sellable_only_within_60s_of_a_sell_by_someone_other_than_the_creator():
    creator = np.array([7], np.int32)
    last = np.array([NEVER], np.int64)
    safety_nb.note_sell_nb(last, creator, 0, 7, 10 * S)  # the creator's own sell: no evidence
    assert last[0] == NEVER and safety_nb.safe_entry_size_nb(11 * S, 0, 1e3, last, P, 100.0) == 0
    safety_nb.note_sell_nb(last, creator, 0, 8, 10 * S)
    assert safety_nb.safe_entry_size_nb(70 * S, 0, 1e3, last, P, 100.0) == 1.0
    assert safety_nb.safe_entry_size_nb(70 * S + 1, 0, 1e3, last, P, 100.0) == 0.0


def test_observations_take_the_creator_from_the_create_event_and_count_what_it_did():
    tape = LaunchTape().launch(0, 0, creator=7).buy(0.1, 0, 0.4, trader=7).buy(1, 0, 1.0, trader=3)
    tape.sell(2, 0, 1e6, trader=3).buy(3, 0, 0.2, trader=4)
    obs, fobs, head = _observe(tape.events())
    assert obs[0, O_CREATOR] == 7 and obs[0, O_CREATED] == tape.events()["ts"][0]
    assert fobs[0, OF_CREATOR_BUY] == pytest.approx(0.4)
    assert obs[0, O_BUYS] == 2 and obs[0, O_SELLS] == 1 and obs[0, O_LAST_SELL] > 0
    assert obs[0, O_CREATOR_SOLD] == 0 and obs[0, O_RUGGED] == 0 and head[7] == 0


def test_a_creator_dump_that_halves_the_price_or_a_liquidity_pull_is_seen_as_a_rug():
    small = LaunchTape().launch(0, 0, creator=7).buy(0.1, 0, 2.0, trader=7).buy(1, 0, 3.0)
    small.sell(5, 0, 1e6, trader=7)  # the creator sells a little: sold, not a rug
    obs, _, _ = _observe(small.events())
    assert obs[0, O_CREATOR_SOLD] == 1 and obs[0, O_RUGGED] == 0
    dump = LaunchTape().launch(0, 0, creator=7).buy(0.1, 0, 20.0, trader=7)
    dump.sell(5, 0, dump.vt[0] * 0.5, trader=7)  # 20 SOL on a 30 SOL curve, dumped: price / 2.4
    assert _observe(dump.events())[0][0, O_RUGGED] == 1
    pulled = LaunchTape().launch(0, 0, creator=7).buy(1, 0, 3.0).pull(9, 0, keep=0.1)
    assert _observe(pulled.events())[0][0, O_RUGGED] == 1


def test_a_creator_is_dirty_after_an_observed_rug_and_only_once_a_honeypot_shows():
    tape = LaunchTape().launch(0, 0, creator=7).buy(1, 0, 3.0).pull(9, 0, keep=0.1)
    tape.launch(20, 1, creator=7).launch(21, 2, creator=8)
    obs, _, head = _observe(tape.events())
    assert not safety_nb.creator_clean_nb(obs, 1, 21 * S, P)  # creator 7 rugged mint 0
    assert safety_nb.creator_clean_nb(obs, 2, 21 * S, P)  # creator 8: no history
    assert head[7] == 1 and head[8] == 2
    # a honeypot: five buyers, nobody but the creator ever sells; evidence once 300 s old
    hp = LaunchTape().launch(0, 0, creator=7)
    for k in range(5):
        hp.buy(1 + k, 0, 0.5, trader=10 + k)
    hp.sell(30, 0, 1e6, trader=7).launch(100, 1, creator=7)
    obs, _, _ = _observe(hp.events())
    t0 = int(hp.events()["ts"][0])
    assert safety_nb.creator_clean_nb(obs, 1, t0 + 299 * S, P)
    assert not safety_nb.creator_clean_nb(obs, 1, t0 + 300 * S, P)
    # one sell by another wallet and the same history is clean
    hp.sell(40, 0, 1e5, trader=11)
    obs, _, _ = _observe(hp.events())
    assert safety_nb.creator_clean_nb(obs, 1, t0 + 400 * S, P)
