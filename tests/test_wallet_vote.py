"""Weighted wallet vote: window, weights, bars, dedupe and the risk manager's tiers."""

from __future__ import annotations

import numpy as np
import pytest
from memelab.research.wallets.vote_nb import VOTE_FIELDS, new_vote_state, vote_on_buy_nb

S = 1_000_000_000


def _params(**kw):
    dt = np.dtype([(n, t) for n, t, _ in VOTE_FIELDS])
    rec = np.zeros(1, dtype=dt)
    for n, _, d in VOTE_FIELDS:
        rec[n] = kw.get(n, d)
    return rec[0]


def _run(buys, p=None, tier=0.0, knob=np.nan):
    """buys: (t_s, wallet, score, recency, size, n_outcomes); returns each call's result."""
    p = _params() if p is None else p
    state = new_vote_state(2, int(p["vote_slots"]))
    return [
        vote_on_buy_nb(int(t * S), 0, w, s, r, z, n, p, tier, knob, *state)
        for t, w, s, r, z, n in buys
    ]


def test_signal_needs_weight_2_5_and_one_wallet_at_0_55():
    # 0.6*1.3*1.0 = 0.78 each: three voters weigh 2.34, the fourth lifts it to 3.12.
    res = _run([(0, 1, 0.6, 1.3, 1.0, 5), (10, 2, 0.6, 1.3, 1.0, 5), (20, 3, 0.6, 1.3, 1.0, 5),
                (30, 4, 0.6, 1.3, 1.0, 5)])  # fmt: skip
    assert [r[0] for r in res] == [False, False, False, True]
    assert res[2][1] == pytest.approx(2.34) and res[3][1] == pytest.approx(3.12)
    # Enough weight, but nobody at 0.55: no signal.
    low = _run([(i, i, 0.5, 1.3, 1.5, 5) for i in range(4)])
    assert low[-1][1] == pytest.approx(3.9) and not low[-1][0]


def test_votes_older_than_90s_drop_out():
    res = _run([(0, 1, 0.9, 1.3, 1.5, 5), (50, 2, 0.9, 1.3, 1.5, 5), (91, 3, 0.9, 1.0, 1.0, 5)])
    assert res[1][1] == pytest.approx(2 * 0.9 * 1.3 * 1.5) and res[1][0]
    assert res[2][1] == pytest.approx(0.9 * 1.3 * 1.5 + 0.9) and res[2][3] == 2


def test_unproven_or_weak_wallets_do_not_vote():
    res = _run([(0, 1, 0.9, 1.0, 1.0, 2), (1, 2, 0.44, 1.0, 1.0, 50), (2, 3, 0.45, 1.0, 1.0, 3)])
    assert [r[3] for r in res] == [0, 0, 1]


def test_a_wallet_buying_again_replaces_its_own_vote():
    res = _run([(0, 1, 0.9, 1.0, 1.0, 5), (5, 1, 0.9, 1.3, 1.5, 5)])
    assert res[1][3] == 1 and res[1][1] == pytest.approx(0.9 * 1.3 * 1.5)


def test_risk_tier_raises_both_bars():
    buys = [(i, i, 0.58, 1.3, 1.5, 5) for i in range(3)]  # weight 3 x 1.131 = 3.393
    assert _run(buys)[-1][0]
    assert not _run(buys, tier=2.0)[-1][0]  # needs 2.5 + 2 x 0.5 = 3.5
    assert not _run(buys, knob=0.60)[-1][0]  # needs a wallet at 0.60
    assert _run(buys, tier=1.0)[-1][0]  # 3.0 is met
