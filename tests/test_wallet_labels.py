"""Causal outcome labels for wallet buys: exact resolution events, full mints, one label per buy."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from _wallet_events import S, make_events
from memelab.datasets.lake import Lake
from memelab.research.wallets.labels import LabelParams, label_events, label_lake

LAST_PRICE = LabelParams(vwap_n=1)  # VWAP of one trade = its price: easy to compute by hand


def test_win_resolves_at_the_first_trade_whose_vwap_reaches_plus_20pct():
    ev = make_events(
        [(0, 0, 5, 1, 1.0), (10, 0, 6, 1, 1.1), (20, 0, 7, 1, 1.25), (30, 0, 8, 1, 2.0)]
    )
    lab = label_events(ev, n_mints=1, params=LAST_PRICE)
    first = lab.iloc[0]
    assert first.wallet_id == 5 and first.outcome == "win"
    assert first.resolved_event == 2 and first.resolved_ts == 20 * S
    assert first.ret_at_resolution == pytest.approx(0.25)
    # The buy at 1.1 needs 1.32: reached by the trade at t=30 (event 3).
    assert lab.iloc[1].resolved_event == 3 and lab.iloc[1].outcome == "win"


def test_loss_resolves_at_the_first_trade_at_or_below_minus_8pct():
    ev = make_events(
        [(0, 0, 5, 1, 1.0), (5, 0, 6, -1, 0.95), (9, 0, 6, -1, 0.91), (12, 0, 6, 1, 1.5)]
    )
    lab = label_events(ev, n_mints=1, params=LAST_PRICE)
    first = lab.iloc[0]
    assert first.outcome == "loss" and first.resolved_event == 2 and first.resolved_ts == 9 * S


def test_time_out_is_a_loss_stamped_at_the_deadline_and_known_only_after_it():
    ev = make_events(
        [(0, 0, 5, 1, 1.0), (899, 0, 6, 1, 1.1), (900, 0, 6, 1, 1.1), (901, 0, 6, 1, 1.3)]
    )
    lab = label_events(ev, n_mints=1, params=LAST_PRICE)
    first = lab.iloc[0]
    assert first.outcome == "loss" and first.resolved_ts == 900 * S and first.resolved_event == -1


def test_a_trade_exactly_at_the_deadline_still_counts():
    ev = make_events([(0, 0, 5, 1, 1.0), (900, 0, 6, 1, 1.3)])
    lab = label_events(ev, n_mints=1, params=LAST_PRICE)
    assert lab.iloc[0].outcome == "win" and lab.iloc[0].resolved_ts == 900 * S


def test_buys_still_pending_when_data_ends_stay_unresolved():
    ev = make_events([(0, 0, 5, 1, 1.0), (100, 0, 6, 1, 1.05)])
    lab = label_events(ev, n_mints=1, params=LAST_PRICE)
    assert list(lab.outcome) == ["unresolved", "unresolved"]
    assert not lab.win.any()


def test_several_buys_by_one_wallet_on_one_mint_each_get_their_own_label():
    ev = make_events(
        [(0, 0, 5, 1, 1.0), (30, 0, 5, 1, 1.1), (40, 0, 9, -1, 1.25), (50, 0, 9, -1, 1.0)]
    )
    lab = label_events(ev, n_mints=1, params=LAST_PRICE)
    assert len(lab) == 2 and (lab.wallet_id == 5).all()
    assert list(lab.outcome) == ["win", "loss"]
    assert list(lab.resolved_event) == [2, 3]


def test_reference_and_bars_use_the_vwap_of_the_last_n_trades():
    # vwap_n=3; trades (price, sol): VWAP = sum(sol) / sum(sol / price).
    ev = make_events(
        [
            (0, 0, 1, 1, 1.0, 2.0),
            (1, 0, 2, 1, 2.0, 2.0),
            (2, 0, 3, 1, 1.0, 1.0),  # wallet 3's buy; ref = 5 / (2 + 1 + 1) = 1.25
            (3, 0, 4, 1, 2.0, 2.0),  # VWAP(last 3) = 5 / (1 + 1 + 1) = 1.6667 >= 1.5 for wallet 3
        ]
    )
    lab = label_events(ev, n_mints=1, params=LabelParams(vwap_n=3))
    w3 = lab[lab.wallet_id == 3].iloc[0]
    assert w3.ref_vwap == pytest.approx(1.25)
    assert w3.outcome == "win" and w3.resolved_event == 3
    assert w3.ret_at_resolution == pytest.approx(5 / 3 / 1.25 - 1)
    # Wallet 1's ref is its own price 1.0; wallet 2's ref = 4 / 2 = 1.3333: 1.6667 >= 1.6 also wins.
    assert lab.set_index("wallet_id").loc[[1, 2], "resolved_event"].tolist() == [1, 3]


def test_trades_of_another_mint_never_resolve_a_buy():
    ev = make_events([(0, 0, 5, 1, 1.0), (1, 1, 6, 1, 1.0), (2, 1, 6, 1, 5.0), (3, 1, 6, 1, 0.1)])
    lab = label_events(ev, n_mints=2, params=LAST_PRICE)
    assert lab.iloc[0].outcome == "unresolved"


def test_thresholds_are_configurable():
    ev = make_events([(0, 0, 5, 1, 1.0), (10, 0, 6, 1, 1.06), (20, 0, 6, 1, 1.25)])
    tight = label_events(ev, n_mints=1, params=LabelParams(tp=0.05, vwap_n=1))
    assert tight.iloc[0].resolved_event == 1
    with pytest.raises(ValueError, match="sl"):
        LabelParams(sl=1.5)


def test_labels_never_depend_on_events_after_their_resolution():
    rng = np.random.default_rng(3)
    n = 400
    t = np.sort(rng.uniform(0, 3000, n))
    rows = [(t[i], int(rng.integers(3)), int(rng.integers(20)), int(rng.choice([-1, 1])),
             float(np.exp(rng.normal(0, 0.1)))) for i in range(n)]  # fmt: skip
    ev = make_events(rows)
    full = label_events(ev, n_mints=3)
    cut = 1500 * S
    perturbed = ev.copy()
    after = perturbed["ts"] > cut
    perturbed["price"][after] *= 3.0
    perturbed["tokens"][after] = perturbed["sol"][after] / perturbed["price"][after]
    other = label_events(perturbed, n_mints=3)
    known = (full.resolved_ts >= 0) & (full.resolved_ts <= cut)
    assert known.sum() > 20
    cols = ["status", "resolved_ts", "resolved_event"]
    assert full.loc[known, cols].equals(other.loc[known, cols])


def _swap_rows(mint_a: str, mint_b: str) -> pa.Table:
    rows = [  # (t, mint, trader, side, price)
        (0, mint_a, "WaLLet1111111111111111111111111111111111111", 1, 1.0),
        (1, mint_b, "WaLLet1111111111111111111111111111111111111", 1, 1.0),
        (2, mint_a, "Other22222222222222222222222222222222222222", 1, 1.5),
        (3, mint_b, "Other22222222222222222222222222222222222222", -1, 0.5),
    ]
    t0 = 1_732_000_000 * S
    return pa.table(
        {
            "ts": [t0 + r[0] * S for r in rows],
            "slot": [i for i in range(len(rows))],
            "signature": [f"sig{i}" for i in range(len(rows))],
            "ix_index": [0] * len(rows),
            "mint": [r[1] for r in rows],
            "venue": ["pumpfun"] * len(rows),
            "trader": [r[2] for r in rows],
            "side": [r[3] for r in rows],
            "sol_amount": [1.0] * len(rows),
            "token_amount": [1.0 / r[4] for r in rows],
            "price": [r[4] for r in rows],
        }
    )


def test_two_mints_sharing_their_first_16_characters_stay_apart(tmp_path):
    mint_a = "7GCihgDB8fe6KNjn2MYtkzZcRjQy3t9GHdC8uHYmW2hr"
    mint_b = mint_a[:16] + "ZZZZZZZZZZZZZZZZZZZZZZZZZZZpump"
    assert mint_a[:16] == mint_b[:16] and mint_a != mint_b
    lake = Lake(tmp_path / "lake")
    lake.write("swaps", _swap_rows(mint_a, mint_b), source="test")
    lab = label_lake(lake, params=LAST_PRICE)
    first_buys = lab[lab.wallet.str.startswith("WaLLet")].set_index("mint")
    assert len(first_buys) == 2
    assert first_buys.loc[mint_a, "outcome"] == "win"
    assert first_buys.loc[mint_b, "outcome"] == "loss"
    assert set(lab.wallet) == {
        "WaLLet1111111111111111111111111111111111111",
        "Other22222222222222222222222222222222222222",
    }
