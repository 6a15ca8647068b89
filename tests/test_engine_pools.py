"""Pools and event kinds: market state per pool, rugs only from liquidity pulled, fees by pool
state, and a lake written before pools existed refused (naming its version) or migrated."""

from __future__ import annotations

import json
import types

import numpy as np
import pyarrow.parquet as pq
import pytest
from engine_scenarios import SCRIPTED, VS0, VT0, Tape
from memelab.datasets.lake import Lake, LakeError, migrate_lake
from memelab.datasets.schemas import KIND_CREATE, KIND_LIQUIDITY, KIND_TRADE, SCHEMA_VERSION
from memelab.engine import EngineConfig
from memelab.engine.config import VenueConfig, default_venues
from memelab.engine.replay import run_replay
from memelab.engine.requests_nb import request_entry_nb, request_exit_nb
from memelab.engine.risk import KNOB_FREE_SELL_AGE_S, KNOB_OWN_SELL_FAILS, KNOB_POOL_RUGGED
from memelab.strategies import momentum
from numba import njit

NOFEE = {k: VenueConfig(fee_bps=0.0, curve=v.curve) for k, v in default_venues().items()}
CFG = EngineConfig(
    initial_equity=1000.0, position_fraction=0.00001, priority_fee_sol=0.0, tip_sol=0.0,
    latency_s=0.0, venues=NOFEE, tp_levels=(5.0, 6.0, 7.0),
)  # fmt: skip


def _second_pool(ev: np.ndarray, rows: np.ndarray, pool: int) -> np.ndarray:
    ev = ev.copy()
    ev["pool"][rows] = pool
    return ev


def test_a_position_is_marked_and_stopped_by_its_own_pool_only():
    tape = Tape().create(0, 0).signal(0, 0).tick(1, 0)
    tape.price(10, 0, 0.5)  # a crash on the mint's *other* pool (below)
    tape.price(20, 0, 1.0).price(30, 0, 0.79)  # our pool: back to entry, then -21%
    ev = tape.events()
    ev = _second_pool(ev, np.flatnonzero(ev["ts"] == ev["ts"][3]), 1)
    _, out = run_replay(ev, SCRIPTED, None, CFG)
    sells = out.orders[out.orders["side"] < 0]
    assert len(sells) == 1 and sells[0]["reason"] == 1  # stop_loss ...
    assert sells[0]["ts"] == ev["ts"][-1]  # ... at -21% on our pool, not at -50% on the other
    assert out.trades[0]["pool"] == 0 and out.fills["pool"].tolist() == [0, 0]


def test_a_liquidity_event_without_reserves_is_not_a_rug_one_that_pulls_the_sol_is():
    tape = Tape().create(0, 0).signal(0, 0).tick(1, 0)
    tape._add(5, 0, 7, 0, 0.0, 0.0, np.nan, np.nan, price=VS0 / VT0)  # no reserves known
    tape.tick(6, 0)
    ev = tape.events()
    _, out = run_replay(ev, SCRIPTED, None, CFG)
    assert len(out.trades) == 1 and out.trades[0]["exit_reason"] == 10  # held to the end
    tape.set_reserves(8, 0, VS0 * 0.1, VT0 * 10).tick(9, 0)  # 90% of the SOL pulled
    _, out = run_replay(tape.events(), SCRIPTED, None, CFG)
    assert out.trades[0]["exit_reason"] == 8  # rug
    assert (tape.events()["kind"][-2]) == KIND_LIQUIDITY


def test_events_sharing_a_pool_id_across_mints_are_refused_naming_the_event():
    ev = Tape().create(0, 0).create(1, 1).events()
    ev["pool"] = 0
    with pytest.raises(ValueError, match="pool id 0 already trades mint 0, not mint 1"):
        run_replay(ev, SCRIPTED, None, CFG)


def test_fee_is_a_function_of_the_pools_market_cap_when_the_venue_has_tiers():
    tiers = ((0.0, 125.0), (40.0, 100.0), (100.0, 50.0))  # market cap SOL -> bps
    venues = dict(NOFEE, pumpfun=VenueConfig(fee_bps=100.0, curve="bonding", fee_tiers=tiers))
    config = CFG.replace(venues=venues)
    fees = []
    for mult in (1.0, 1.5, 4.0):  # market caps ~28, ~42, ~112 SOL (1e9 supply)
        tape = Tape().create(0, 0).price(1, 0, mult).signal(2, 0).tick(3, 0)
        _, out = run_replay(tape.events(), SCRIPTED, None, config)
        f = out.fills[0]
        fees.append(round(f["venue_fee"] / f["sol"] * 1e4, 6))
    assert fees == [125.0, 100.0, 50.0]
    flat = CFG.replace(venues=dict(NOFEE, pumpfun=VenueConfig(fee_bps=100.0)))
    _, out = run_replay(Tape().create(0, 0).signal(2, 0).tick(3, 0).events(), SCRIPTED, None, flat)
    assert round(out.fills[0]["venue_fee"] / out.fills[0]["sol"] * 1e4, 6) == 100.0


def _downgrade_to_v1(lake: Lake) -> None:
    """Rewrite a lake as the previous memelab wrote it: swaps without pool columns, version 1."""
    for path in lake.files("swaps"):
        table = pq.read_table(path)
        pq.write_table(table.drop_columns(["pool", "pool_id"]), path)
    mpath = lake._manifest_path("swaps")
    manifest = json.loads(mpath.read_text())
    manifest["schema_version"] = 1
    mpath.write_text(json.dumps(manifest))
    lake._dict_path("pools").unlink()


def test_a_version_1_lake_is_refused_naming_its_version_then_migrated_in_place(tmp_path):
    import pyarrow as pa

    rows = 40
    ts = 1_767_225_600_000_000_000 + np.arange(rows, dtype=np.int64) * 1_000_000_000
    table = pa.table(
        {
            "ts": ts, "slot": np.arange(rows), "signature": [f"s{i}" for i in range(rows)],
            "ix_index": np.zeros(rows, np.int32), "mint": [f"M{i % 3}" for i in range(rows)],
            "venue": ["pumpfun"] * rows, "trader": [f"W{i % 7}" for i in range(rows)],
            "side": np.where(np.arange(rows) % 3 == 0, 1, -1).astype(np.int8),
            "sol_amount": np.full(rows, 0.5), "token_amount": np.full(rows, 1e6),
            "price": np.full(rows, 3e-8), "virtual_sol_reserves": np.full(rows, 30.0),
            "virtual_token_reserves": np.full(rows, 1e9),
        }
    )  # fmt: skip
    lake = Lake(tmp_path / "lake")
    lake.write("swaps", table, source="test")
    want = lake.load_events()
    assert want["pool"].tolist() == want["mint"].tolist()  # derived keys, in first-seen order
    assert lake.dictionary("pools").to_pylist() == ["M0:pumpfun", "M1:pumpfun", "M2:pumpfun"]
    _downgrade_to_v1(lake)
    old = Lake(lake.root)
    with pytest.raises(LakeError, match="schema version 1; this memelab reads version 2") as exc:
        run_replay(old, momentum)
    assert f"migrate_lake('{lake.root}')" in str(exc.value)
    with pytest.raises(LakeError, match="schema version 1"):
        old.write("swaps", table, source="again")  # no v2 rows appended to v1 files
    assert migrate_lake(old) == {"swaps": 1}
    fresh = Lake(lake.root)
    assert fresh.schema_version("swaps") == SCHEMA_VERSION
    got = fresh.load_events()
    for name in want.dtype.names:
        assert np.array_equal(got[name], want[name], equal_nan=True), name
    assert migrate_lake(fresh) == {}


@njit  # not cached: it reads engine constants (KNOB_*), which a disk cache would freeze
def _count_kinds(ev, params, state, knobs):
    state[0][ev["kind"]] += 1.0
    return 0.0


KIND_COUNTER = types.SimpleNamespace(
    NAME="kinds", PARAMS_DTYPE=np.dtype([("x", np.float64)]), DEFAULTS={"x": 0.0}, SWEEP={},
    init_state=lambda ctx, params: (np.zeros(5),), on_event=_count_kinds,
)  # fmt: skip


def test_a_launch_row_reaches_the_strategy_as_a_create_event(tmp_path):
    import pyarrow as pa

    t0 = 1_767_225_600_000_000_000
    ts = t0 + np.arange(6, dtype=np.int64) * 1_000_000_000
    table = pa.table(
        {
            "ts": ts, "slot": np.arange(6), "signature": [f"s{i}" for i in range(6)],
            "ix_index": np.zeros(6, np.int32), "mint": ["M0", "M0", "M1", "M1", "M0", "M1"],
            "venue": ["pumpfun"] * 6, "trader": ["W"] * 6,
            "side": np.array([0, 1, 0, 1, 0, -1], np.int8), "sol_amount": np.full(6, 0.5),
            "token_amount": np.full(6, 1e6), "price": np.full(6, 3e-8),
            "virtual_sol_reserves": np.full(6, 30.0), "virtual_token_reserves": np.full(6, 1e9),
        }
    )  # fmt: skip
    lake = Lake(tmp_path / "lake")
    lake.write("swaps", table, source="test")
    launches = pa.table({"mint": ["M0", "M1"], "created_ts": [int(ts[0]), int(ts[2])]})
    lake.write("launches", launches, source="test")
    replay, _ = run_replay(lake, KIND_COUNTER)
    counts = replay.sstate[0]
    assert counts[KIND_CREATE] == 2 and counts[KIND_TRADE] == 3 and counts[KIND_LIQUIDITY] == 1


# ---------------------------------------------------------------- observable evidence
@njit  # not cached: it reads engine constants (KNOB_*), which a disk cache would freeze
def _record_evidence(ev, params, state, knobs):
    k = state[1][0]
    state[0][k, 0] = knobs[KNOB_POOL_RUGGED]
    state[0][k, 1] = knobs[KNOB_OWN_SELL_FAILS]
    state[0][k, 2] = knobs[KNOB_FREE_SELL_AGE_S]
    state[1][0] = k + 1
    if ev["trader"] == 900:
        return 1.0
    if ev["trader"] == 901:
        return -1.0
    return 0.0


RECORDER = types.SimpleNamespace(
    NAME="recorder", PARAMS_DTYPE=np.dtype([("x", np.float64)]), DEFAULTS={"x": 0.0}, SWEEP={},
    init_state=lambda ctx, params: (np.zeros((64, 3)), np.zeros(1, np.int64)),
    on_event=_record_evidence,
)  # fmt: skip


def test_strategies_see_sellability_failed_sells_and_rugs_as_they_become_observable():
    from memelab.engine.replay import Replay, ReplayContext

    tape = Tape().create(0, 0, trader=1).signal(1, 0).tick(2, 0)
    tape.sell(5, 0, 1e6, trader=1)  # the creator sells: says nothing about sellability
    tape.close_signal(6, 0).tick(7, 0).tick(8, 0)  # our sell fails (honeypot), is retried
    tape.sell(10, 0, 1e6, trader=3)  # someone else sells: it is sellable (for them)
    tape.tick(15, 0).set_reserves(20, 0, 1.0, VT0 * 30).tick(21, 0)  # liquidity pulled
    ev = tape.events()
    ctx = ReplayContext(1, 1000, np.array([1], np.int32), int(ev["ts"][0]))
    replay = Replay(RECORDER, None, CFG.replace(latency_s=0.5), ctx, honeypot=np.array([0]))
    replay.feed(ev)
    seen = replay.sstate[0][: len(ev)]
    ages = seen[:, 2]
    assert np.isinf(ages[:7]).all()  # no non-creator sell before t=10 (the creator's is not one)
    assert ages[7] == 0.0 and ages[8] == 5.0  # then its age, in seconds
    assert seen[:, 1].tolist() == [0, 0, 0, 0, 0, 1, 2, 3, 3, 3, 3]  # our sells failing (3 tries)
    assert seen[:, 0].tolist() == [0.0] * 9 + [1.0, 1.0]  # rugged from the pull on
    assert replay.finish().fills["status"].tolist()[1:] == [2, 2, 2]  # failed_honeypot: truth


# ---------------------------------------------------------------- the request API
@njit  # not cached: it reads engine constants (KNOB_*), which a disk cache would freeze
def _pair(ev, params, state, knobs):
    if ev["trader"] == 900:
        request_entry_nb(knobs, int(params["other"]), 1.0)
    elif ev["trader"] == 901:
        request_exit_nb(knobs, int(params["other"]))
    return 0.0


PAIR = types.SimpleNamespace(
    NAME="pair", PARAMS_DTYPE=np.dtype([("other", np.int64)]), DEFAULTS={"other": 1}, SWEEP={},
    init_state=lambda ctx, params: (np.zeros(1),), on_event=_pair,
)  # fmt: skip


def test_a_strategy_enters_and_exits_another_mints_pool_through_the_request_api():
    tape = Tape().create(0, 0).create(0, 1).price(1, 1, 1.0)
    tape.signal(2, 0).tick(3, 1).price(10, 1, 1.1).close_signal(20, 0).tick(21, 1)
    ev = tape.events()
    _, out = run_replay(ev, PAIR, None, CFG)
    assert len(out.trades) == 1
    t = out.trades[0]
    assert t["mint"] == 1 and t["pool"] == 1  # the other mint's pool, not the event's
    assert t["signal_id"] == 3  # the mint-0 event that asked
    assert t["exit_reason"] == 0 and t["exit_ts"] == ev["ts"][-1]  # the requested exit
    assert out.orders["pool"].tolist() == [1, 1]
    _, none = run_replay(ev, PAIR, {"other": 7}, CFG)  # a pool never seen: ignored
    assert len(none.orders) == 0
