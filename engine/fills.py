"""The fill model from Python: quotes for one trade, the same math the compiled loop uses.

Use it to answer "what would this order have cost" in a notebook, or to calibrate the model
against live fills. The assumptions are written out in ``docs/engine.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

from memelab.engine import fills_nb
from memelab.engine.config import CURVE_KINDS, EngineConfig, VenueConfig


@dataclass(frozen=True)
class Quote:
    side: int
    sol: float  # buy: SOL in (gross of venue fee); sell: SOL out (net of venue fee)
    tokens: float
    price: float  # effective SOL per token
    spot_price: float  # marginal price before the trade
    impact: float  # price / spot - 1 (buys positive, sells negative)
    venue_fee: float
    tx_fee: float


def _pool(
    vsol: float, vtok: float, price: float, venue: str, config: EngineConfig
) -> tuple[float, float, float]:
    """The reserves the compiled loop would fill against, and the venue's fee rate."""
    if venue not in config.venues:
        raise ValueError(f"venue {venue!r} not configured; known: {sorted(config.venues)}")
    v: VenueConfig = config.venues[venue]
    s, t = fills_nb.pool_reserves_nb(
        vsol, vtok, price, CURVE_KINDS[v.curve], v.depth_mult, config.fallback_depth_sol
    )
    return s, t, v.fee_bps / 1e4


def quote_buy(
    vsol: float,
    vtok: float,
    sol_in: float,
    venue: str = "pumpfun",
    config: EngineConfig | None = None,
    price: float = float("nan"),
) -> Quote:
    """Tokens and effective price for buying with ``sol_in`` SOL against reserves ``vsol``/``vtok``."""
    config = config or EngineConfig()
    s, t, fee = _pool(vsol, vtok, price, venue, config)
    tokens = fills_nb.buy_tokens_out_nb(s, t, sol_in, fee)
    spot = s / t if t > 0 else float("nan")
    eff = sol_in / tokens if tokens > 0 else float("inf")
    tx_fee = config.priority_fee_sol + config.tip_sol
    return Quote(1, sol_in, tokens, eff, spot, eff / spot - 1, sol_in * fee, tx_fee)


def quote_sell(
    vsol: float,
    vtok: float,
    tokens_in: float,
    venue: str = "pumpfun",
    config: EngineConfig | None = None,
    price: float = float("nan"),
) -> Quote:
    """SOL received (net of the venue fee) for selling ``tokens_in`` tokens."""
    config = config or EngineConfig()
    s, t, fee = _pool(vsol, vtok, price, venue, config)
    sol = fills_nb.sell_sol_out_nb(s, t, tokens_in, fee)
    spot = s / t if t > 0 else float("nan")
    eff = sol / tokens_in if tokens_in > 0 else 0.0
    gross = sol / (1 - fee) if fee < 1 else 0.0
    tx_fee = config.priority_fee_sol + config.tip_sol
    return Quote(-1, sol, tokens_in, eff, spot, eff / spot - 1, gross - sol, tx_fee)
