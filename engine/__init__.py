"""memelab.engine: the numba event-replay backtester.

The strategy contract
---------------------
A strategy is a module ``strategies/<name>.py`` exposing:

- ``NAME: str`` and a module docstring stating its idea;
- ``PARAMS_DTYPE: np.dtype`` -- a flat structured dtype of float64/int64 fields;
  ``DEFAULTS: dict[str, float | int]`` (a value for every field) and ``SWEEP: dict[str, list]``
  (the ranges a parameter sweep explores);
- ``init_state(ctx, params) -> tuple[np.ndarray, ...]`` -- the strategy's own state arrays (per
  mint, per wallet, ring buffers...). ``ctx`` is a :class:`ReplayContext` (``n_mints``,
  ``n_wallets``, ``creator``: int32 creator wallet id per mint or -1, ``t0``, ``source``);
  never ground truth. ``params`` is one ``PARAMS_DTYPE`` record;
- ``on_event(ev, params, state, knobs) -> float`` -- an ``@njit(cache=True)`` function the engine
  calls for every event in time order, *after* it has settled fills and exits for that event.
  ``ev`` is the current ``EVENT_DTYPE`` record only (history lives in ``state``, so the future is
  out of reach by construction); ``knobs`` is a float64 array the risk manager writes (indices
  ``engine.risk.KNOB_*``: tier, min wallet score, daily P&L, ...). Return ``0.0`` for nothing,
  ``x > 0`` to ask for a buy of ``ev["mint"]`` at ``x`` times the base position size (the risk
  manager sizes, caps or refuses it; the event's global index becomes the trade's
  ``signal_id``), ``x < 0`` to ask to close the open position in ``ev["mint"]``.

Speed: index the state tuple in place (``state[0][m, k]``) and read ``knobs`` unconditionally at
the top of ``on_event``. Binding tuple items to local names, or touching an array argument only
inside a branch, leaves numba reference-counting calls on every event (5x slower momentum).

``memelab.strategies.get_strategy(name)`` finds a strategy by name. The same ``on_event`` and the
engine's risk and exit code run in a backtest, in a sweep (one params record per combination over
the same events), and in the live runner (one event at a time): :class:`Replay` keeps every bit of
state in arrays and resumes across chunks (one ``feed`` per date partition, or per live event).

Per-event phase order (fixed)
-----------------------------
For each event, in time order:

1. **Periods** -- crossing midnight UTC starts a new day (and Monday a new week): daily trade
   count and daily/weekly P&L references reset.
2. **Landing** -- every in-flight order whose landing time (send time + latency) is <= the event's
   ``ts`` executes now, oldest first, against the reserves as left by all earlier events (trades
   between our send and our landing move our fill; the current event's trade comes after ours).
3. **Market** -- the event updates its mint's reserves and spot price; a liquidity event (side 0)
   that removes >= ``rug_drop`` of the SOL reserve marks the mint rugged.
4. **Exits** -- the open position in this mint is marked at its liquidation price (what selling
   it all would return now, our own SOL still in the pool) and its exits are
   checked (rug, hard stop, max hold, break-even, peak trailing, TP ladder); when a max-hold
   deadline of any position has passed, it is sent out even if its mint is quiet.
5. **Strategy** -- knobs are refreshed, then ``on_event`` is called.
6. **Risk** -- an entry request is checked (per-mint, then portfolio rules; each refusal counted by
   reason) and sized; an accepted order is sent now and lands at the first event at or after
   ``ts + latency``. A close request sends a sell of the whole position.
7. **Equity** -- the equity curve is sampled on its time grid.

Public API: :func:`backtest` -> :class:`BacktestResult`; :class:`EngineConfig`; :class:`Replay`
for chunk-by-chunk driving; :func:`check_lookahead`. See ``docs/engine.md`` for the fill
assumptions.
"""

import memelab.datasets  # noqa: F401  keys the numba cache on the source (datasets/numba_cache)
from memelab.engine.config import EngineConfig, VenueConfig
from memelab.engine.replay import Replay, ReplayContext, make_params, run_replay

__all__ = [
    "EngineConfig",
    "VenueConfig",
    "Replay",
    "ReplayContext",
    "make_params",
    "run_replay",
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
