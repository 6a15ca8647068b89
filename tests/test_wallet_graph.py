"""Wallet graph: exact Jaccard, windowed co-buys, sybil clusters, smart money, audit, real lists."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from memelab.research.wallets.graph import (
    BuyerSets,
    audit_wallets,
    cobuy_similarity,
    load_kam1cadzee,
    smart_money,
    sybil_clusters,
)

S = 1_000_000_000


def _sets(pairs: dict[int, list[int]], n_wallets: int | None = None, ts=None, good=None):
    w = [wi for wi, ms in pairs.items() for _ in ms]
    m = [mi for ms in pairs.values() for mi in ms]
    n_w = n_wallets or max(pairs) + 1
    n_m = max(m) + 1
    return BuyerSets(
        wallets=np.array([f"w{i}" for i in range(n_w)], dtype=object),
        mints=np.array([f"m{i}" for i in range(n_m)], dtype=object),
        wallet_idx=np.array(w, np.int32),
        mint_idx=np.array(m, np.int32),
        ts=None if ts is None else np.array(ts, np.int64),
        mint_good=None if good is None else np.array(good, bool),
    )


def test_jaccard_is_shared_mints_over_the_union():
    cb = cobuy_similarity(_sets({0: [1, 2, 3, 4], 1: [1, 2, 3], 2: [1, 5, 6]}), min_mints=3)
    got = {
        (int(i), int(j)): (int(c), float(x))
        for i, j, c, x in zip(cb.i, cb.j, cb.common, cb.jaccard, strict=True)
    }
    assert got == {(0, 1): (3, 0.75), (0, 2): (1, 1 / 6), (1, 2): (1, 1 / 5)}


def test_wallets_with_too_few_mints_are_left_out():
    cb = cobuy_similarity(_sets({0: [1, 2, 3], 1: [1, 2]}), min_mints=3)
    assert len(cb.i) == 0


def test_with_a_window_only_buys_close_in_time_co_count():
    # Wallets 0 and 1 buy mints 0-2 within 3 s of each other, mint 3 an hour apart.
    pairs = {0: [0, 1, 2, 3], 1: [0, 1, 2, 3]}
    ts = [0, 100 * S, 200 * S, 300 * S, 2 * S, 103 * S, 201 * S, 3900 * S]
    cb = cobuy_similarity(_sets(pairs, ts=ts), window_s=10, min_mints=3)
    assert cb.common.tolist() == [3] and cb.jaccard.tolist() == [3 / 5]
    timeless = cobuy_similarity(_sets(pairs, ts=ts), window_s=None, min_mints=3)
    assert timeless.common.tolist() == [4]


def test_sybil_clusters_need_more_than_70pct_and_keep_the_best_performer():
    base = list(range(10))
    pairs = {
        0: base,  # 0, 1, 2: identical sets -> one cluster
        1: base,
        2: base,
        3: base[:7] + [20, 21, 22],  # with 0: 7 / 13 = 0.54 -> out
        4: [30, 31, 32, 33, 34, 35, 36, 37, 38, 39],
        5: [30, 31, 32, 33, 34, 35, 36, 37, 40, 41, 42],  # with 4: 8 / 13 = 0.615 -> out
    }
    cb = cobuy_similarity(_sets(pairs), min_mints=3)
    perf = np.array([0.4, 0.9, 0.5, 0.99, 0.1, 0.1])
    cl = sybil_clusters(cb, threshold=0.7, performance=perf)
    assert cl.wallet_idx.tolist() == [0, 1, 2] and set(cl.cluster) == {0}
    assert cl.set_index("wallet_idx").keep.to_dict() == {0: False, 1: True, 2: False}
    assert (cl["size"] == 3).all()
    # At exactly the threshold nothing clusters ("> 70%").
    exact = cobuy_similarity(_sets({0: list(range(10)), 1: list(range(7)) + [10, 11, 12]}))
    assert exact.jaccard[0] == pytest.approx(7 / 13)
    seven = cobuy_similarity(_sets({0: list(range(7)), 1: list(range(10))}))
    assert seven.jaccard[0] == pytest.approx(0.7)
    assert len(sybil_clusters(seven, threshold=0.7)) == 0


def test_smart_money_ranks_many_good_tokens_above_a_lucky_few():
    good = [True] * 40 + [False] * 60
    pairs = {
        0: list(range(0, 30)) + list(range(40, 45)),  # 30 of 35 good
        1: list(range(0, 5)),  # 5 of 5 good: fewer tokens
        2: list(range(40, 90)),  # 0 of 50 good
        3: list(range(10, 20)) + list(range(50, 60)),  # 10 of 20
    }
    for k in range(4, 30):  # the population: 4 of 10 good, so the fitted prior centres near 0.4
        pairs[k] = [(k + d) % 40 for d in range(4)] + [40 + (k + d) % 60 for d in range(6)]
    sm = smart_money(_sets(pairs, good=good), min_tokens=5)
    assert sm.wallet_idx.tolist()[0] == 0 and sm.wallet_idx.tolist()[-1] == 2
    row = sm.set_index("wallet_idx").loc[0]
    assert (row.tokens, row.good) == (35, 30)


def test_audit_promotes_above_55pct_demotes_below_30pct_and_is_seeded():
    summary = pd.DataFrame({"wallet_id": [0, 1, 2, 3], "tier": ["mid", "top", "low", "mid"]})
    rows = []
    for w, wins in [(0, 6), (1, 2), (2, 3), (3, 4)]:
        for k in range(12):  # the last 10 resolved buys decide; the first 2 are older wins
            win = k < 2 or (k - 2) < wins
            rows.append((w, 1 if win else 0, k, win))
    labels = pd.DataFrame(rows, columns=["wallet_id", "status", "resolved_ts", "win"])
    out = audit_wallets(summary, labels, per_tier=5, last_k=10).set_index("wallet_id")
    assert out.loc[0, ["win_rate", "action", "tier_after"]].tolist() == [0.6, "promote", "top"]
    assert out.loc[1, ["action", "tier_after"]].tolist() == ["demote", "mid"]
    assert out.loc[2, "action"] == "keep" and out.loc[3, "action"] == "keep"
    a = audit_wallets(summary, labels, per_tier=1, seed=4)
    assert a.equals(audit_wallets(summary, labels, per_tier=1, seed=4))


def test_kam1cadzee_loader_merges_records_and_drops_non_base58_traders(tmp_path):
    good_w = "9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin"
    other = "So11111111111111111111111111111111111111112"
    mint = "3p895KUuGSdu5ZmG6GmK74FiLKTNpHR8NNf4oUWvpump"
    recs = [
        {"mint": mint, "mc": 35.0, "isFarm": False, "traders": [good_w, "6", "N"]},
        {"mint": mint, "mc": 45.0, "isFarm": True, "traders": [good_w, other]},
    ]
    (tmp_path / "statistic_01.01.2024.json").write_text(json.dumps(recs))
    s = load_kam1cadzee(tmp_path, good_mc=40)
    assert s.info["bad_trader_entries"] == 2 and s.info["records"] == 2
    assert s.n_pairs == 2 and s.mint_good.tolist() == [True]
    assert sorted(s.wallets[s.wallet_idx]) == sorted([good_w, other])
    (tmp_path / "statistic_02.01.2024.json").write_text(json.dumps([{"mint": "x", "traders": []}]))
    with pytest.raises(ValueError, match=r"statistic_02.*record 0.*mint"):
        load_kam1cadzee(tmp_path)


@pytest.mark.shared_data
def test_graph_runs_on_the_real_kam1cadzee_early_buyer_lists(shared_data):
    s = load_kam1cadzee(shared_data / "tracks" / "kam1cadzee_statistic")
    assert s.info["mints"] == 66_288 and 80_000 < s.info["wallets"] < 90_000
    assert s.info["bad_trader_entries"] > 0
    cb = cobuy_similarity(s, min_mints=3)
    cl = sybil_clusters(cb)
    assert cl.cluster.nunique() > 100 and cl.keep.sum() == cl.cluster.nunique()
    sm = smart_money(s)
    assert len(sm) > 1000 and sm.rate_low.is_monotonic_decreasing


def test_blocked_products_match_one_block_and_filters_apply():
    rng = np.random.default_rng(0)
    pairs = {w: sorted(rng.choice(30, size=int(rng.integers(3, 12)), replace=False).tolist())
             for w in range(40)}  # fmt: skip
    sets = _sets(pairs)
    whole = cobuy_similarity(sets, block_rows=10_000)
    tiny = cobuy_similarity(sets, block_rows=3)
    assert np.array_equal(whole.i, tiny.i) and np.array_equal(whole.common, tiny.common)
    three = cobuy_similarity(sets, min_common=3)
    kept = whole.common >= 3
    assert np.array_equal(three.i, whole.i[kept]) and np.array_equal(three.j, whole.j[kept])
    # A mint bought by everyone is dropped by max_item_buyers: it no longer counts as shared.
    crowd = _sets({0: [0, 1, 2, 9], 1: [0, 1, 2, 9], 2: [5, 6, 7, 9], 3: [3, 4, 8, 9]})
    assert cobuy_similarity(crowd).common.tolist() == [4, 1, 1, 1, 1, 1]
    capped = cobuy_similarity(crowd, max_item_buyers=3)
    assert capped.common.tolist() == [3] and capped.jaccard.tolist() == [3 / 5]
