"""memelab strategies: one module per strategy, found by name.

A strategy module follows the contract in ``memelab.engine`` (``NAME``, ``PARAMS_DTYPE``,
``DEFAULTS``, ``SWEEP``, ``init_state``, ``on_event``). ``get_strategy("momentum")`` imports
``memelab.strategies.momentum``; a new strategy needs no registration beyond its module (list it
in ``BUILTIN`` so ``STRATEGIES`` and the CLI's listing show it, and what it needs in ``NEEDS``).
"""

from __future__ import annotations

import importlib
from types import ModuleType

import memelab.datasets  # noqa: F401  keys the numba cache on the source (datasets/numba_cache)

BUILTIN: tuple[str, ...] = ("momentum", "copytrade", "sniper", "pairs", "venue_gap", "ml")
# What each built-in strategy needs from the data, for listings (``memelab strategies``):
# several pools of one mint, several mints at once (orders on a mint other than the event's),
# wallet identities (who traded: creators, scored wallets, non-creator sellers), model inputs.
NEEDS: dict[str, tuple[str, ...]] = {
    "momentum": (),
    "copytrade": ("wallet_identities",),
    "sniper": ("wallet_identities", "create_events"),
    "pairs": ("several_mints",),
    "venue_gap": ("several_pools",),
    "ml": ("model_inputs",),
}
_REQUIRED = ("NAME", "PARAMS_DTYPE", "DEFAULTS", "SWEEP", "init_state", "on_event")


def get_strategy(name: str) -> ModuleType:
    """The strategy module called ``name``; a clear error when it is missing or incomplete."""
    if not name.isidentifier():
        raise ValueError(f"strategy name {name!r} is not a module name")
    try:
        module = importlib.import_module(f"memelab.strategies.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"memelab.strategies.{name}":
            raise
        raise ValueError(f"unknown strategy {name!r}; available: {list(BUILTIN)}") from None
    missing = [attr for attr in _REQUIRED if not hasattr(module, attr)]
    if missing:
        raise ValueError(f"strategy module {module.__name__} lacks {missing} (see memelab.engine)")
    return module


def __getattr__(attr: str):
    if attr == "STRATEGIES":
        return {name: get_strategy(name) for name in BUILTIN}
    raise AttributeError(attr)
