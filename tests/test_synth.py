"""The synthetic market: determinism, pump.fun curve math, graduation, fates, truth, CLI."""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pytest
from memelab.datasets.inspect import validate_lake
from memelab.datasets.lake import Lake, LakeError
from memelab.datasets.synth import SynthConfig, synthesize
from memelab.datasets.synth.base58_nb import b58decode
from memelab.datasets.synth.config import CURVE_K, CURVE_VTOK0, CURVE_VTOK_END

TABLES = ("swaps", "launches", "wallets_truth", "tokens_truth")
# More honeypots, rugs and bundled (fast-graduating) launches than the default, so that a
# small lake exercises every path; the mechanics under test are the same code. One pool per
# mint and venue (the per-mint checks below read consecutive rows of a mint as one pool's);
# extra pools and arbitrage are tested in test_synth_pools.py.
EVENTFUL = SynthConfig().replace(p_honeypot=0.15, p_rug=0.2, p_bundled=0.1, p_extra_pool=0.0)
B58 = re.compile(r"^[1-9A-HJ-NP-Za-km-z]+$")


@pytest.fixture(scope="module")
def lake(tmp_path_factory) -> Lake:
    out = tmp_path_factory.mktemp("synth") / "lake"
    return synthesize(out, tokens=80, wallets=300, days=2, seed=3, config=EVENTFUL)


@pytest.fixture(scope="module")
def events(lake):
    ev = lake.load_events()
    order = np.lexsort((np.arange(len(ev)), ev["ts"], ev["mint"]))  # per mint, time order
    return ev[order]


@pytest.fixture(scope="module")
def launches(lake):
    return lake.read("launches").to_pandas().set_index("mint_id").sort_index()


def _hashes(lake: Lake) -> dict[str, str]:
    return {t: lake.manifest(t)["content_hash"] for t in TABLES}


def test_same_seed_gives_identical_content_hashes_and_another_seed_differs(lake, tmp_path):
    again = synthesize(tmp_path / "a", tokens=80, wallets=300, days=2, seed=3, config=EVENTFUL)
    other = synthesize(tmp_path / "b", tokens=80, wallets=300, days=2, seed=4, config=EVENTFUL)
    assert _hashes(again) == _hashes(lake)
    assert all(_hashes(other)[t] != _hashes(lake)[t] for t in TABLES)


def test_generated_lake_passes_validation_and_has_one_swaps_partition_per_day(lake):
    assert validate_lake(lake) == []
    assert lake.partitions("swaps") == ["2025-01-01", "2025-01-02"]


def test_bonding_curve_events_keep_k_to_1e9_and_charge_one_percent(events):
    curve = events[events["venue"] == 0]
    k = curve["vsol"] * curve["vtok"]
    assert np.max(np.abs(k / CURVE_K - 1.0)) < 1e-9
    trades = curve[curve["side"] != 0]
    np.testing.assert_allclose(trades["fee"], 0.01 * trades["sol"], rtol=1e-12)


def test_each_curve_trade_moves_reserves_by_exactly_its_amounts(events):
    same_mint = events["mint"][1:] == events["mint"][:-1]
    prev, cur = events[:-1][same_mint], events[1:][same_mint]
    on_curve = (cur["venue"] == 0) & (prev["venue"] == 0) & (cur["side"] != 0)
    prev, cur = prev[on_curve], cur[on_curve]
    buy = cur["side"] == 1
    # buy: tokens_out = vT - k / (vS + sol_in_after_fee); sell: sol_out = vS - k / (vT + tokens)
    expected_tokens = prev["vtok"][buy] - CURVE_K / (prev["vsol"][buy] + cur["sol"][buy])
    np.testing.assert_allclose(cur["tokens"][buy], expected_tokens, rtol=1e-9)
    sell = ~buy
    expected_sol = prev["vsol"][sell] - CURVE_K / (prev["vtok"][sell] + cur["tokens"][sell])
    # atol: 1e-12 SOL (a thousandth of a lamport) absorbs cancellation on dust-sized sells
    np.testing.assert_allclose(cur["sol"][sell], expected_sol, rtol=1e-9, atol=1e-12)
    assert buy.sum() > 100 and sell.sum() > 100


def test_amm_trades_keep_the_pool_product_and_charge_a_quarter_percent(events):
    same_mint = events["mint"][1:] == events["mint"][:-1]
    prev, cur = events[:-1][same_mint], events[1:][same_mint]
    amm = (cur["venue"] == 1) & (cur["side"] != 0)
    prev, cur = prev[amm], cur[amm]
    assert len(cur) > 50
    np.testing.assert_allclose(cur["vsol"] * cur["vtok"], prev["vsol"] * prev["vtok"], rtol=1e-9)
    np.testing.assert_allclose(cur["fee"], 0.0025 * cur["sol"], rtol=1e-12)


def test_graduation_happens_when_real_tokens_reach_zero_and_the_price_carries_over(
    events, launches
):
    graduated = launches[launches["graduated_ts"].notna()]
    assert len(graduated) >= 3
    for mint_id, row in graduated.iterrows():
        ev = events[events["mint"] == mint_id]
        i = int(np.flatnonzero((ev["side"] == 0) & (ev["venue"] == 1))[0])
        last_curve, migration = ev[i - 1], ev[i]
        assert last_curve["venue"] == 0 and last_curve["side"] == 1
        assert last_curve["vtok"] == pytest.approx(CURVE_VTOK_END, rel=1e-12)  # real tokens: 0
        assert last_curve["vsol"] == pytest.approx(CURVE_K / CURVE_VTOK_END, rel=1e-9)  # ~115 SOL
        assert migration["ts"] == row["graduated_ts"]
        assert migration["vsol"] / migration["vtok"] == pytest.approx(
            last_curve["vsol"] / last_curve["vtok"], rel=1e-12
        )
        assert migration["vsol"] == pytest.approx(last_curve["vsol"] - 30.0, rel=1e-9)
        assert np.all(ev["vtok"][: i - 1][ev["venue"][: i - 1] == 0] > CURVE_VTOK_END)
        assert np.all(ev["venue"][i:] == 1)


def test_every_token_opens_with_a_side_zero_creation_event_by_its_creator(events, launches, lake):
    wallets = lake.dictionary("wallets").to_pylist()
    first = np.flatnonzero(np.r_[True, events["mint"][1:] != events["mint"][:-1]])
    assert len(first) == len(launches)
    for i in first:
        e = events[i]
        row = launches.loc[int(e["mint"])]
        assert e["side"] == 0 and e["venue"] == 0 and e["ts"] == row["created_ts"]
        assert wallets[e["trader"]] == row["creator"]
        assert (e["vsol"], e["vtok"]) == (30.0, CURVE_VTOK0)


def test_honeypots_never_see_a_sell_by_anyone_but_their_creator(events, launches, lake):
    truth = lake.read("tokens_truth").to_pandas()
    honeypots = truth.loc[truth["honeypot"], "mint_id"].to_numpy()
    assert len(honeypots) >= 3
    creators = lake.ids_for("wallets", pa.array(launches["creator"].tolist()), add=False)
    creators = creators.to_numpy()
    creator_of = dict(zip(launches.index, creators, strict=True))
    buys = 0
    for m in honeypots:
        ev = events[events["mint"] == m]
        sells = ev[ev["side"] == -1]
        assert np.all(sells["trader"] == creator_of[m])
        buys += int(np.sum((ev["side"] == 1) & (ev["trader"] != creator_of[m])))
    assert buys > 0  # others did buy: they just could not sell


def test_token_truth_agrees_with_launches_and_rugs_happen_at_their_rug_time(events, launches, lake):
    truth = lake.read("tokens_truth").to_pandas().set_index("mint_id").sort_index()
    assert len(truth) == len(launches)
    graduated = launches["graduated_ts"].notna()
    assert (truth.loc[truth["fate"] == "graduated"].index.isin(launches.index[graduated])).all()
    assert (truth.loc[truth["fate"] == "died"].index.isin(launches.index[~graduated])).all()
    assert (truth["fate"] == "honeypot").equals(truth["honeypot"])
    rugs = truth[truth["fate"] == "rug"]
    assert len(rugs) >= 3 and rugs["rug_ts"].notna().all()
    assert truth.loc[truth["fate"] != "rug", "rug_ts"].isna().all()
    for m, row in rugs.iterrows():
        ev = events[events["mint"] == m]
        at = ev[ev["ts"] == row["rug_ts"]]
        # a creator dump on the curve, or a liquidity pull on the AMM whose reserves collapse
        assert len(at) >= 1
        assert np.any(at["side"] == -1) or np.any((at["side"] == 0) & (at["venue"] == 1))
        assert ev["ts"].max() == row["rug_ts"]  # nothing trades after a rug


def test_wallet_truth_covers_every_trader_and_sybil_clusters_have_members(events, lake):
    truth = lake.read("wallets_truth").to_pandas()
    assert set(np.unique(events["trader"])) <= set(truth["wallet_id"])
    assert set(truth["kind"]) == {"retail", "alpha", "insider", "sniper", "sybil"}
    sybil = truth[truth["kind"] == "sybil"]
    assert (sybil["cluster"] >= 0).all() and (
        truth.loc[truth["kind"] != "sybil", "cluster"] == -1
    ).all()
    assert sybil.groupby("cluster").size().min() >= 2
    assert (truth.loc[truth["kind"] == "alpha", "skill"] > 0).all()


def test_addresses_are_base58_keys_and_mints_end_in_pump(lake):
    mints = lake.dictionary("mints").to_pylist()
    wallets = lake.dictionary("wallets").to_pylist()
    sigs = lake.read("swaps", columns=["signature"]).column("signature").to_pylist()
    assert all(m.endswith("pump") and len(b58decode(m)) == 32 for m in mints)
    assert all(B58.match(w) and len(b58decode(w)) == 32 for w in wallets)
    assert all(len(b58decode(s)) == 64 for s in sigs[:2000])
    assert len(set(sigs)) == len(sigs)


def test_synthesize_refuses_a_non_empty_folder_and_bad_knobs(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "file").write_text("keep me")
    with pytest.raises(LakeError, match="not empty"):
        synthesize(tmp_path / "x", tokens=5, wallets=60, days=1)
    assert (tmp_path / "x" / "file").read_text() == "keep me"
    with pytest.raises(ValueError, match="seed=-1"):
        synthesize(tmp_path / "y", tokens=5, wallets=60, days=1, seed=-1)
    with pytest.raises(ValueError, match="frac_alpha"):
        SynthConfig().replace(frac_alpha=1.5).validate()
    with pytest.raises(ValueError, match="unknown SynthConfig knob"):
        SynthConfig().replace(no_such_knob=1)


def test_data_synth_cli_builds_a_lake_and_reports_json(tmp_path):
    import json

    from memelab.cli.main import app
    from typer.testing import CliRunner

    out = tmp_path / "cli_lake"
    args = ["data", "synth", "--out", str(out), "--tokens", "20", "--wallets", "100"]
    result = CliRunner().invoke(app, [*args, "--days", "1", "--seed", "5", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    lake = Lake(out)
    assert summary["swaps"] == lake.manifest("swaps")["rows"] > 0
    assert summary["tokens"] == 20 and summary["wallets"] == 100
    assert summary["content_hash"] == lake.manifest("swaps")["content_hash"]
    again = CliRunner().invoke(app, [*args, "--days", "1", "--seed", "5"])
    assert again.exit_code == 2 and "not empty" in again.output
