"""The replay core's seams: external fills, per-event inputs, growing ids, the clock, saved state."""

from __future__ import annotations

import types

import numpy as np
import pytest
from engine_frozen import CONFIG, RUNS, differences, frozen_inputs
from engine_scenarios import random_market
from memelab.engine import EngineConfig, check_lookahead
from memelab.engine.replay import (
    Replay,
    ReplayContext,
    _context_from_events,
    run_replay,
    simulated_executor,
)
from memelab.engine.risk import KNOB_INPUTS
from memelab.strategies import get_strategy
from numba import njit


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


# ---------------------------------------------------------------- external inputs
class MeanRatioStage:
    """Causal toy stage: spot price over the mint's previous spot price, events <= i only."""

    names = ("px_over_last",)

    def __init__(self) -> None:
        self.last: dict[int, float] = {}
        self.calls: list[int] = []

    def __call__(self, events: np.ndarray, first_index: int) -> np.ndarray:
        self.calls.append(first_index)
        out = np.zeros((len(events), 1))
        for i, e in enumerate(events):
            m, px = int(e["mint"]), float(e["vsol"] / e["vtok"])
            out[i, 0] = px / self.last.get(m, px)
            self.last[m] = px
        return out


class LeakyStage(MeanRatioStage):
    """Row i reads the chunk's last price (the future): a label leak the guard must catch."""

    def __call__(self, events: np.ndarray, first_index: int) -> np.ndarray:
        px = events["vsol"] / events["vtok"]
        return (px[-1] / px).reshape(-1, 1)


@njit  # not cached: it reads engine constants (KNOB_*), which a disk cache would freeze
def _reads_input(ev, params, state, knobs):
    x = knobs[KNOB_INPUTS]
    state[0][0] += 1.0
    if x > params["above"]:
        return 1.0
    return 0.0


INPUT_READER = types.SimpleNamespace(
    NAME="input_reader",
    PARAMS_DTYPE=np.dtype([("above", np.float64)]),
    DEFAULTS={"above": 1.1},
    SWEEP={},
    INPUTS=("px_over_last",),
    init_state=lambda ctx, params: (np.zeros(1),),
    on_event=_reads_input,
)


def test_input_stage_row_i_reaches_the_strategy_at_event_i_in_every_chunk():
    events = random_market(6000, 8, seed=5)
    reference = MeanRatioStage()(events, 0)[:, 0]
    want = np.flatnonzero(reference > 1.1)
    assert 20 < len(want) < len(events) // 10
    stage = MeanRatioStage()
    ctx = _context_from_events(events)
    replay = Replay(INPUT_READER, None, EngineConfig(), ctx, inputs=stage)
    for lo in range(0, len(events), 2500):
        replay.feed(events[lo : lo + 2500])
    out = replay.finish()
    assert stage.calls == [0, 2500, 5000]  # once per chunk, with the global first index
    requests = out.orders[out.orders["side"] > 0]
    assert requests["signal_id"].tolist() == want.tolist()
    assert out.knobs.shape == (KNOB_INPUTS + 1,)


def test_input_stage_names_must_match_the_strategys_declared_inputs():
    class Wrong(MeanRatioStage):
        names = ("something_else",)

    with pytest.raises(ValueError, match="px_over_last"):
        run_replay(random_market(100, 2, seed=1), INPUT_READER, inputs=Wrong())
    with pytest.raises(ValueError, match="none"):
        run_replay(random_market(100, 2, seed=1), INPUT_READER)


def test_lookahead_guard_passes_a_causal_input_stage_and_catches_a_leaky_one():
    events = random_market(6000, 8, seed=5)
    good = check_lookahead(events, INPUT_READER, inputs=MeanRatioStage())
    assert good.passed and good.orders_checked > 10
    bad = check_lookahead(events, INPUT_READER, inputs=LeakyStage())
    assert not bad.passed and "orders" in bad.first_difference


# ---------------------------------------------------------------- the clock
def test_max_hold_fires_on_a_quiet_mint_from_clock_ticks_alone():
    from engine_scenarios import SCRIPTED, T0, Tape

    config = EngineConfig(latency_s=0.4, tp_levels=(5.0, 6.0, 7.0), max_hold_s=900.0)
    events = Tape().create(0, 0).signal(0, 0).tick(1, 0).events()  # then silence
    s = 1_000_000_000

    def run(ticks):
        replay = Replay(SCRIPTED, None, config, _context_from_events(events))
        replay.feed(events)
        for t in ticks:
            replay.advance(T0 + int(t * s))
        return replay.finish()

    quiet = run([])
    assert quiet.trades[0]["exit_reason"] == 10  # nothing happened after t=1 s: end of data
    out = run([600.0, 900.5, 901.0, 901.2, 901.4, 950.0])
    sells = out.orders[out.orders["side"] < 0]
    assert out.trades[0]["entry_ts"] == T0 + 1 * s
    assert sells["ts"].tolist() == [T0 + 901 * s] and sells[0]["reason"] == 7  # max hold
    assert out.trades[0]["exit_ts"] == T0 + int(901.4 * s)  # landed at the tick after latency
    assert out.trades[0]["exit_reason"] == 7
    assert out.fills["event"].tolist() == [2, 3 + 4]  # the buy at event 2, the sell at tick 4
    assert out.equity["ts"][-1] == T0 + 950 * s  # ticks sample the equity curve too


# ---------------------------------------------------------------- growing ids
@pytest.mark.parametrize("name", sorted(RUNS))
def test_a_replay_whose_dictionaries_grow_chunk_by_chunk_equals_one_sized_for_the_whole(name):
    events, creator, honeypot, n_wallets = frozen_inputs()
    whole = _frozen_replay(name)
    whole.feed(events)
    want = whole.finish()

    def ctx_upto(hi: int, wallets: int | None = None) -> ReplayContext:
        n = int(events["mint"][:hi].max()) + 1
        w = wallets or int(events["trader"][:hi].max()) + 1
        return ReplayContext(n, w, creator[:n].copy(), int(events["ts"][0]))

    first = ctx_upto(700, wallets=100)  # the first chunk already brings 50 more wallets
    assert first.n_mints < len(creator) and first.n_wallets < n_wallets
    config = EngineConfig(**CONFIG)
    grown = Replay(get_strategy(name), RUNS[name], config, first, honeypot=honeypot)
    for lo in range(0, len(events), 700):
        hi = min(lo + 700, len(events))
        # copytrade learns creators from the dictionaries; momentum grows on unseen ids alone
        grown.feed(events[lo:hi], ctx=ctx_upto(hi) if name == "copytrade" else None)
    assert grown.ctx.n_mints > first.n_mints and len(grown.sstate[0]) > first.n_mints
    _records_equal(want, grown.finish())


# ---------------------------------------------------------------- saved state, bounded memory
_CONTINUE = """
import sys
import numpy as np
sys.path.insert(0, {tests!r})
from engine_frozen import frozen_inputs
from memelab.engine.replay import Replay
from memelab.strategies import get_strategy

events = frozen_inputs()[0]
replay = Replay.restore({snap!r}, get_strategy({name!r}))
for lo in range({cut}, len(events), 900):
    replay.feed(events[lo : lo + 900])
out = replay.finish()
np.savez({out!r}, **{{k: getattr(out, k) for k in
    ("orders", "fills", "trades", "equity", "rejects", "acct", "iacct", "knobs")}})
"""


@pytest.mark.parametrize("name", sorted(RUNS))
def test_snapshot_mid_run_restored_in_a_new_process_continues_as_if_never_interrupted(
    name, tmp_path
):
    import subprocess
    import sys
    from pathlib import Path

    from memelab.engine.sinks import ParquetSink

    events = frozen_inputs()[0]
    whole = _frozen_replay(name)
    whole.feed(events)
    want = whole.finish()
    cut = 4321  # mid-chunk
    first = _frozen_replay(name, capacity=64, sink=ParquetSink(tmp_path / "records"))
    first.feed(events[:cut])
    first.snapshot(tmp_path / "snap.npz")
    del first
    script = _CONTINUE.format(
        tests=str(Path(__file__).parent), snap=str(tmp_path / "snap.npz"), name=name, cut=cut,
        out=str(tmp_path / "out.npz"),
    )  # fmt: skip
    subprocess.run([sys.executable, "-c", script], check=True, timeout=600)
    got = np.load(tmp_path / "out.npz")
    for what in ("orders", "fills", "trades", "equity", "rejects", "acct", "iacct", "knobs"):
        assert got[what].tobytes() == getattr(want, what).tobytes(), what
    parts = list((tmp_path / "records" / "equity").glob("part-*.parquet"))
    assert len(parts) >= 3  # drained as it went (buffers of 264), in both processes
