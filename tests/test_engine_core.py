"""The replay core's seams: external fills, per-event inputs, growing ids, the clock, saved state."""

from __future__ import annotations

import pytest
from engine_frozen import CONFIG, RUNS, differences, frozen_inputs
from memelab.engine import EngineConfig
from memelab.engine.replay import Replay, ReplayContext, simulated_executor
from memelab.strategies import get_strategy


def _frozen_replay(name: str, **kw) -> Replay:
    events, creator, honeypot, n_wallets = frozen_inputs()
    ctx = ReplayContext(len(creator), n_wallets, creator, int(events["ts"][0]))
    config = kw.pop("config", EngineConfig(**CONFIG))
    return Replay(get_strategy(name), RUNS[name], config, ctx, honeypot=honeypot, **kw)


def _records_equal(a, b) -> None:
    for what in ("orders", "fills", "trades", "equity", "rejects", "acct", "iacct"):
        assert getattr(a, what).tobytes() == getattr(b, what).tobytes(), what


@pytest.mark.parametrize("name", sorted(RUNS))
def test_booking_simulated_fills_through_the_external_executor_path_is_bit_identical(name):
    events = frozen_inputs()[0]
    calls = []

    def executor(replay, slot, ts):
        calls.append((slot, ts))
        return simulated_executor(replay, slot, ts)

    inner = _frozen_replay(name)
    inner.feed(events)
    want = inner.finish()
    outer = _frozen_replay(name, executor=executor, capacity=64)  # also pauses for buffers
    for lo in range(0, len(events), 1500):
        outer.feed(events[lo : lo + 1500])
    got = outer.finish()
    assert len(calls) == len(want.fills) - int((want.fills["reason"] == 10).sum()) > 10
    _records_equal(want, got)
    assert differences(got, name) == []
