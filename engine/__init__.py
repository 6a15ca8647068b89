"""memelab.engine: the numba event-replay core behind backtests, sweeps, paper and live.

The strategy contract
---------------------
A strategy is a module (``strategies/<name>.py``) exposing:

- ``NAME: str`` and a module docstring stating its idea;
- ``PARAMS_DTYPE`` (flat float64/int64 fields), ``DEFAULTS`` (a value for every field) and
  ``SWEEP`` (the ranges a parameter sweep explores);
- ``init_state(ctx, params) -> tuple[np.ndarray, ...]``: its own state arrays, per-id axes sized
  from ``ctx`` (:class:`ReplayContext`: ``n_mints``, ``n_wallets``, ``pools``, ``creator``,
  ``t0``, ``source``; never ground truth);
- ``on_event(ev, params, state, knobs) -> float``: ``@njit(cache=True)``, called for every
  market event in time order after fills and exits are settled. ``ev`` is the current
  ``EVENT_DTYPE`` record (``kind``: trade, create, liquidity, migrate; ``pool``: its pool).
  ``knobs`` (float64) holds what the engine publishes (``engine.risk.KNOB_*``: risk tier,
  equity, observable evidence, then external inputs at ``KNOB_INPUTS + j``). Return ``0.0`` for
  nothing, ``x > 0`` to ask for a buy of ``ev["mint"]`` on ``ev["pool"]`` at ``x`` times the base
  size, ``x < 0`` to close the position in ``ev["mint"]``; any other mint or pool is reached
  through the request API (``engine.requests_nb``);
- optional: ``INPUTS: tuple[str, ...]`` (the input stage columns it reads) and
  ``grow_state(state, ctx, params)`` (extend its state when ids first appear mid-run; the
  default re-runs ``init_state`` for the larger ``ctx`` and copies the old rows in).

Speed: index the state tuple in place (``state[0][m, k]``) and read ``knobs`` unconditionally at
the top of ``on_event``: binding tuple items to locals leaves refcount calls on every event.

The engine never looks a strategy up by name: callers pass the module (the CLI resolves names).
:class:`Replay` holds one :class:`~memelab.engine.state.ReplayState` and replays chunks through
the phases of ``replay_nb`` (periods, landing, market, exits, strategy, risk/entry, equity); a
sweep batch holds the same state with a combination axis. Seams: ``executor=`` (fills reported
by a live executor go through the same booking code), ``inputs=`` (a per-event input stage),
:meth:`Replay.advance` (the clock), ``feed(ctx=)`` (growing ids), ``sink=`` (records leave
memory), :meth:`Replay.snapshot` / :meth:`Replay.restore`. ``docs/engine.md`` has the diagram.

Public API: :func:`backtest` -> :class:`BacktestResult`; :class:`EngineConfig`; :class:`Replay`;
:class:`Source` (one way in); :func:`check_lookahead`.
"""

import memelab.datasets  # noqa: F401  keys the numba cache on the source (datasets/numba_cache)
from memelab.engine.config import EngineConfig, VenueConfig
from memelab.engine.replay import Replay, ReplayContext, make_params, run_replay
from memelab.engine.source import Source

__all__ = [
    "EngineConfig",
    "VenueConfig",
    "Replay",
    "ReplayContext",
    "make_params",
    "run_replay",
    "Source",
    "backtest",
    "BacktestResult",
    "check_lookahead",
]


def __getattr__(name: str):
    # results/lookahead import pandas and plotting: load them only when asked for.
    if name in ("backtest", "BacktestResult"):
        from memelab.engine import results

        return getattr(results, name)
    if name == "check_lookahead":
        from memelab.engine.lookahead import check_lookahead

        return check_lookahead
    raise AttributeError(name)
