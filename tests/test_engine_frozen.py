"""Results do not change: momentum and copytrade on the frozen single-pool fixture give the very
records the engine gave before its replay core was reworked (bit for bit)."""

from __future__ import annotations

import pytest
from engine_frozen import CONFIG, RUNS, differences, frozen_inputs
from memelab.engine import EngineConfig
from memelab.engine.replay import Replay, ReplayContext
from memelab.strategies import get_strategy


@pytest.mark.parametrize("name", sorted(RUNS))
def test_frozen_fixture_gives_the_recorded_trades_fills_orders_and_equity(name):
    events, creator, honeypot, n_wallets = frozen_inputs()
    ctx = ReplayContext(len(creator), n_wallets, creator, int(events["ts"][0]))
    replay = Replay(get_strategy(name), RUNS[name], EngineConfig(**CONFIG), ctx, honeypot=honeypot)
    replay.feed(events)
    out = replay.finish()
    assert len(out.trades) >= 7
    assert differences(out, name) == []
