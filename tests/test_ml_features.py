"""Features, labels and splits of the ML pipeline: causal, resumable, as defined."""

from __future__ import annotations

import math

import numpy as np
import pytest
from _ml_markets import T0, planted_market
from memelab.datasets.schemas import EVENT_DTYPE
from memelab.engine.lookahead import perturb_after
from memelab.research.features import features_nb as fnb
from memelab.research.features.build import build_dataset
from memelab.research.features.labels_nb import forward_labels_nb
from memelab.research.features.spec import FEATURE_NAMES, check_spec, feature_spec
from memelab.research.features.stream import FeatureStream
from memelab.research.models.splits import check_backtest_start, time_split

S = 1_000_000_000


def _col(name: str) -> int:
    return FEATURE_NAMES.index(name)


def _ev(rows):
    """rows: (t_s, mint, trader, side, sol, price[, vtok])."""
    ev = np.zeros(len(rows), EVENT_DTYPE)
    for i, r in enumerate(rows):
        t, m, w, side, sol, px = r[:6]
        ev[i]["ts"] = T0 + int(t * S)
        ev[i]["mint"], ev[i]["trader"], ev[i]["side"] = m, w, side
        ev[i]["sol"], ev[i]["price"], ev[i]["tokens"] = sol, px, sol / px
        vt = r[6] if len(r) > 6 else np.nan
        ev[i]["vtok"], ev[i]["vsol"] = vt, px * vt
    return ev


def test_feature_spec_names_and_defines_at_least_28_features_and_refuses_another_version():
    spec = feature_spec()
    assert len(spec["features"]) == fnb.N_FEATURES >= 28
    assert len(set(FEATURE_NAMES)) == len(FEATURE_NAMES)
    assert all(f["definition"] for f in spec["features"])
    assert spec["taus_s"] == [10.0, 60.0, 300.0]
    check_spec(spec)
    with pytest.raises(ValueError, match="version"):
        check_spec({**spec, "version": spec["version"] + 1})


def test_feature_rows_up_to_i_are_unchanged_when_every_event_after_i_is_perturbed():
    ev = planted_market(seed=5, tokens=12, span_s=1800.0)
    cut = int(ev["ts"][len(ev) // 2])
    x0, s0 = FeatureStream().update(ev, with_seq=True)
    pert = perturb_after(ev, cut, seed=3)
    pert["trader"] = np.where(pert["ts"] > cut, (pert["trader"] * 7 + 1) % 5000, pert["trader"])
    x1, s1 = FeatureStream().update(pert, with_seq=True)
    k = int(np.searchsorted(ev["ts"], cut, side="right"))
    assert np.array_equal(x0[:k], x1[:k]) and np.array_equal(s0[:k], s1[:k])
    assert not np.array_equal(x0[k:], x1[k:])  # the perturbation did reach the features


def test_features_fed_in_chunks_and_one_event_at_a_time_equal_one_pass_bit_for_bit():
    ev = planted_market(seed=6, tokens=10, span_s=1200.0)
    x0, s0 = FeatureStream().update(ev, with_seq=True)
    fs = FeatureStream()  # starts with 1 mint and 1 wallet: grows as ids arrive
    xs, ss = [], []
    cuts = [0, 1, 2, 3, 50, 51, 700, len(ev) // 2, len(ev)]
    for a, b in zip(cuts[:-1], cuts[1:], strict=True):
        x, s = fs.update(ev[a:b], with_seq=True)
        xs.append(x)
        ss.append(s)
    assert np.array_equal(np.concatenate(xs), x0) and np.array_equal(np.concatenate(ss), s0)


def test_feature_values_follow_their_definitions_on_a_hand_made_token():
    # token 0, creator wallet 9: creator buys, two others buy, one sells, the creator sells half
    vt0 = fnb.VTOK_START
    rows = [
        (0.0, 0, 9, 1, 1.0, 1e-8, vt0 * 0.99),
        (1.0, 0, 1, 1, 2.0, 1.1e-8, vt0 * 0.97),
        (2.0, 0, 2, 1, 0.5, 1.2e-8, vt0 * 0.96),
        (3.0, 0, 1, -1, 0.5, 1.15e-8, vt0 * 0.965),
        (4.0, 0, 9, -1, 0.6, 1.1e-8, vt0 * 0.97),
    ]
    ev = _ev(rows)
    fs = FeatureStream(1, 10, creator=np.array([9], np.int32))
    x, seq = fs.update(ev, with_seq=True)
    last = x[-1].astype(np.float64)
    px = ev["vsol"] / ev["vtok"]
    assert last[_col("trades_log")] == pytest.approx(math.log1p(5), rel=1e-6)
    assert last[_col("ret_launch")] == pytest.approx(math.log(px[-1] / px[0]), abs=1e-6)
    assert last[_col("drawdown")] == pytest.approx(math.log(px[-1] / px.max()), abs=1e-6)
    # decayed counts over 60 s: buys at 0, 1, 2 s, sells at 3, 4 s
    d = [math.exp(-(4 - t) / 60) for t in range(5)]
    assert last[_col("imb_count_60s")] == pytest.approx((sum(d[:3]) - sum(d[3:])) / sum(d), 1e-5)
    buy = 1.0 * d[0] + 2.0 * d[1] + 0.5 * d[2]
    sell = 0.5 * d[3] + 0.6 * d[4]
    assert last[_col("imb_sol_60s")] == pytest.approx((buy - sell) / (buy + sell), rel=1e-5)
    assert last[_col("large_trade_share_60s")] == pytest.approx((d[0] + d[1]) / sum(d), 1e-5)
    # three distinct wallets, two of them first seen here (the third trade's wallet too)
    assert math.expm1(last[_col("unique_traders")]) == pytest.approx(3.0, abs=0.05)
    assert x[2, _col("new_wallet_share_60s")] == pytest.approx(1.0)
    assert last[_col("new_wallet_share_60s")] == pytest.approx(sum(d[:3]) / sum(d), 1e-5)
    assert last[_col("creator_sells")] == pytest.approx(math.log1p(1))
    tok = ev["tokens"]
    assert last[_col("creator_sold_share")] == pytest.approx(tok[4] / tok[0], rel=1e-5)
    buys = tok[:3]
    assert last[_col("buy_hhi")] == pytest.approx((buys**2).sum() / buys.sum() ** 2, rel=1e-5)
    assert last[_col("max_buy_share")] == pytest.approx(buys.max() / buys.sum(), rel=1e-5)
    assert last[_col("noncreator_sells")] == pytest.approx(math.log1p(1))
    assert last[_col("noncreator_sell_recency")] == pytest.approx(math.exp(-1 / 60), rel=1e-6)
    assert last[_col("curve_progress")] == pytest.approx(0.03 * vt0 / (vt0 - fnb.VTOK_END), 1e-5)
    assert last[_col("age")] == pytest.approx(math.log1p(4.0), rel=1e-6)
    assert last[_col("trade_signed_sol")] == pytest.approx(-math.log1p(0.6), rel=1e-6)
    # the sequence: 5 real events right-aligned, padding before; the creator flag on events 1, 5
    assert seq[-1, :, 0].tolist() == [0.0] * 11 + [1.0] * 5
    assert seq[-1, -5:, 7].tolist() == [1.0, 0.0, 0.0, 0.0, 1.0]
    assert seq[-1, -5:, 3].tolist() == [1.0, 1.0, 1.0, -1.0, -1.0]


def test_label_is_the_sign_of_the_return_to_the_last_trade_within_h_and_absent_without_a_trade():
    # token 0: trades at 0, 30, 50 (up then down), then 200 s later; token 1 interleaved
    rows = [
        (0.0, 0, 1, 1, 1.0, 1.0),
        (10.0, 1, 2, 1, 1.0, 5.0),
        (30.0, 0, 1, 1, 1.0, 1.2),
        (50.0, 0, 2, -1, 1.0, 0.9),
        (60.0, 1, 3, -1, 1.0, 5.0),
        (250.0, 0, 3, 1, 1.0, 2.0),
    ]
    ev = _ev(rows)
    lab = np.zeros(len(ev), np.int8)
    ret = np.zeros(len(ev))
    val = np.zeros(len(ev), np.uint8)
    forward_labels_nb(ev, 60 * S, lab, ret, val)
    # event 0: last trade of token 0 in (0, 60] is at 50 s, price 0.9 < 1.0 -> 0
    assert val[0] == 1 and lab[0] == 0 and ret[0] == pytest.approx(math.log(0.9))
    # event 2 (30 s): last trade in (30, 90] is at 50 s -> down
    assert val[2] == 1 and lab[2] == 0
    # event 3 (50 s): no trade of token 0 in (50, 110] -> no sample (not "return 0")
    assert val[3] == 0
    # token 1: 5.0 -> 5.0 is a zero return -> no sample; its last event has no future
    assert val[1] == 0 and val[4] == 0 and val[5] == 0


def test_dataset_samples_only_resolved_labels_and_at_most_one_per_token_per_gap():
    ev = planted_market(seed=7, tokens=6, span_s=600.0)
    ds = build_dataset(ev, horizon_s=60.0, sample_gap_s=5.0)
    assert len(ds) > 100 and ds.x.shape == (len(ds), fnb.N_FEATURES)
    assert ds.seq.shape == (len(ds), fnb.SEQ_LEN, fnb.N_SEQ)
    assert ds.ts.max() + 60 * S <= ev["ts"].max()  # every label's horizon lies in the data
    for m in np.unique(ds.mint):
        t = np.sort(ds.ts[ds.mint == m])
        assert np.all(np.diff(t) >= 5 * S)
    # the rows are the stream's rows of those events
    x, _ = FeatureStream().update(ev)
    assert np.array_equal(ds.x, x[ds.gidx])
    assert np.array_equal(ds.y, (ds.fwd_ret > 0).astype(np.int8))


def test_time_split_purges_label_windows_and_embargoes_each_period():
    rng = np.random.default_rng(0)
    ts = np.sort(rng.integers(T0, T0 + 10_000 * S, 5000))
    h, emb = 60 * S, 120 * S
    sp = time_split(ts, h, emb)
    tr, va, te = ts[sp.train], ts[sp.valid], ts[sp.test]
    assert tr.max() + h < sp.train_range[1] <= va.min() - emb
    assert va.max() + h < sp.valid_range[1] <= te.min() - emb
    assert sp.backtest_from == sp.valid_range[1] + emb == sp.test_range[0]
    # purged: samples whose label windows cross a boundary belong to no period
    assert len(sp.train) + len(sp.valid) + len(sp.test) < len(ts)
    ranges = sp.ranges()
    check_backtest_start(ranges, sp.backtest_from)
    for bad in (None, sp.train_range[1] + emb, sp.backtest_from - 1):
        with pytest.raises(ValueError, match="refusing to backtest"):
            check_backtest_start(ranges, bad)


def test_an_event_without_a_token_gets_a_zero_row_and_leaves_every_token_untouched():
    ev = planted_market(seed=8, tokens=3, span_s=300.0)[:400]
    x0, _ = FeatureStream().update(ev)
    tick = ev[:1].copy()
    tick["mint"], tick["trader"], tick["side"] = -1, -1, 0
    with_tick = np.concatenate([ev[:200], tick, ev[200:]])
    x1, _ = FeatureStream().update(with_tick)
    assert np.all(x1[200] == 0.0)
    assert np.array_equal(np.delete(x1, 200, axis=0), x0)
