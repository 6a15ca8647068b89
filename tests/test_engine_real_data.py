"""The engine on real swaps: the 87 decoded swaps of one Solana block (../shared/data)."""

from __future__ import annotations

import types

import numpy as np
import pytest
from memelab.datasets import Lake
from memelab.datasets.ingest import ingest
from memelab.datasets.schemas import VENUES
from memelab.engine import EngineConfig, backtest
from memelab.engine.replay import run_replay
from memelab.strategies import momentum
from numba import njit

SUBSTREAMS = "trades/substreams_block/trades_block_355327313.json"


@njit(cache=True)
def _follow_on_event(ev, params, state, knobs):
    if ev["trader"] == params["trader"] and state[0][0] == 0.0:
        state[0][0] = 1.0
        return 1.0
    return 0.0


FOLLOW = types.SimpleNamespace(
    NAME="follow_once",
    PARAMS_DTYPE=np.dtype([("trader", np.int64)]),
    DEFAULTS={"trader": 0},
    SWEEP={},
    init_state=lambda ctx, params: (np.zeros(1),),
    on_event=_follow_on_event,
)


@pytest.fixture(scope="module")
def real_lake(shared_data, tmp_path_factory) -> Lake:
    lake = Lake(tmp_path_factory.mktemp("real") / "lake")
    ingest(lake, [shared_data / SUBSTREAMS], format="substreams")
    return lake


def test_real_swaps_without_reserves_fill_on_the_fallback_pool_at_the_last_trade_price(real_lake):
    ev = real_lake.load_events()
    assert len(ev) == 87 and np.isnan(ev["vsol"]).all()  # a price feed: no reserves
    i = int(np.flatnonzero(np.bincount(ev["mint"])[ev["mint"]] >= 3)[0])  # a mint traded 3+ times
    cfg = EngineConfig(latency_s=0.0, initial_equity=20.0)  # 1 SOL entries
    _, out = run_replay(ev, FOLLOW, {"trader": int(ev["trader"][i])}, cfg)
    fill = out.fills[0]
    assert fill["status"] == 0 and fill["mint"] == ev["mint"][i]
    j = int(fill["event"])  # landed at the next event; priced at the mint's last trade before it
    same = np.flatnonzero((ev["mint"] == fill["mint"]) & (np.arange(len(ev)) < j))
    price = ev["price"][same[-1]]
    venue = cfg.venues[VENUES[ev["venue"][i]]]
    x = 1.0 * (1 - venue.fee_bps / 1e4)  # 1 SOL in, the venue's fee off the SOL side
    depth = 30.0 * (venue.depth_mult if venue.curve == "concentrated" else 1.0)
    assert fill["tokens"] == pytest.approx((depth / price) * x / (depth + x), rel=1e-12)


def test_momentum_replays_the_real_block_and_passes_the_lookahead_guard(real_lake):
    from memelab.engine import check_lookahead

    res = backtest(real_lake, momentum)
    assert res.metrics["events"] == 87
    assert res.metrics["final_equity"] == pytest.approx(100.0)  # one block: no breakout to trade
    assert check_lookahead(real_lake.load_events(), momentum).passed
