"""The feature spec as data: names, definitions, horizons, version. Saved with every model.

Every feature of row i is computed from events <= i of the same token (and, for the wallet
features, of every token: a wallet's first appearance and score). Windowed quantities are
exponentially decayed accumulators with time constant ``tau``: after a gap ``dt`` the
accumulator is multiplied by ``exp(-dt / tau)``, then the event is added. This keeps per-token
state O(1) (no ring of past events), so one kernel serves the backtest, the training-set
builder and the live runner, resumably across chunks.

Bump ``FEATURE_VERSION`` whenever a definition, a horizon or the order of features changes: a
model refuses feature rows of another version.
"""

from __future__ import annotations

from typing import Any

from memelab.research.features.features_nb import (
    LARGE_TRADE_SOL,
    N_FEATURES,
    N_SEQ,
    PRIOR_SCORE,
    SEQ_LEN,
    TAUS_S,
    UNIQUE_BITS,
)

FEATURE_VERSION = 1
__all__ = [
    "FEATURE_VERSION",
    "FEATURE_NAMES",
    "TAUS_S",
    "LARGE_TRADE_SOL",
    "SEQ_LEN",
    "UNIQUE_BITS",
    "PRIOR_SCORE",
    "feature_spec",
    "check_spec",
]

# (name, definition). Horizons s / m / l are TAUS_S.
FEATURES: tuple[tuple[str, str], ...] = (
    ("ret_10s", "log price minus the trade-weighted decayed mean log price, tau 10 s"),
    ("ret_60s", "as ret_10s, tau 60 s"),
    ("ret_300s", "as ret_10s, tau 300 s"),
    ("ret_launch", "log price over the token's first seen price"),
    ("drawdown", "log price over the token's highest price so far (<= 0)"),
    ("vol_10s", "sqrt of decayed sum of squared per-trade log returns, tau 10 s"),
    ("vol_60s", "as vol_10s, tau 60 s"),
    ("vol_300s", "as vol_10s, tau 300 s"),
    ("trades_log", "log1p of the token's trade count"),
    ("rate_10s", "decayed trade count / tau (trades per second), tau 10 s"),
    ("rate_60s", "as rate_10s, tau 60 s"),
    ("rate_300s", "as rate_10s, tau 300 s"),
    ("imb_count_60s", "(buys - sells) / (buys + sells), decayed counts, tau 60 s"),
    ("imb_sol_10s", "(buy SOL - sell SOL) / (buy SOL + sell SOL), decayed, tau 10 s"),
    ("imb_sol_60s", "as imb_sol_10s, tau 60 s"),
    ("imb_sol_300s", "as imb_sol_10s, tau 300 s"),
    ("buy_sol_60s", "log1p of decayed buy SOL, tau 60 s"),
    ("sell_sol_60s", "log1p of decayed sell SOL, tau 60 s"),
    ("unique_traders", "log1p of the distinct traders of the token (linear counting, 512 bits)"),
    ("traders_per_trade", "distinct traders / trades"),
    ("new_wallet_share_60s", "decayed share of trades by wallets never seen before, tau 60 s"),
    ("large_trade_share_60s", "decayed share of trades moving >= 1 SOL, tau 60 s"),
    ("trade_signed_sol", "side x log1p(SOL) of this event"),
    ("since_last_trade", "log1p of seconds since the token's previous trade"),
    (
        "score_buy_flow_60s",
        "log1p of decayed sum of buyer score x recency x size factor x SOL (streaming wallet "
        "scorer, resolved outcomes only), tau 60 s",
    ),
    ("buyer_score_excess_60s", "decayed mean buyer score minus the prior mean 0.375, tau 60 s"),
    ("scored_buyer_share_60s", "decayed share of buys by wallets with a resolved outcome"),
    ("curve_progress", "pump.fun bonding-curve progress in [0, 1] from virtual token reserves"),
    ("vsol_log", "log of the virtual SOL reserve (0 when unknown)"),
    ("migrated", "1 when the event is on an AMM venue (the token left its curve)"),
    ("age", "log1p of seconds since the token's first seen event"),
    ("creator_sells", "log1p of sells by the token's creator"),
    ("creator_sold_share", "tokens the creator sold / tokens it bought, clipped to [0, 1]"),
    ("buy_hhi", "Herfindahl index of buy sizes in tokens (top-holder concentration proxy)"),
    ("max_buy_share", "largest single buy / all tokens bought (top-holder concentration proxy)"),
    ("noncreator_sells", "log1p of sells by wallets other than the creator (sellability)"),
    ("noncreator_sell_recency", "exp(-seconds since the last non-creator sell / 60), 0 if none"),
)
FEATURE_NAMES: tuple[str, ...] = tuple(n for n, _ in FEATURES)
assert len(FEATURES) == N_FEATURES, "features_nb.N_FEATURES and the spec disagree"

# Per-event vector of the sequence model (the last SEQ_LEN events of the token).
SEQ_CHANNELS: tuple[tuple[str, str], ...] = (
    ("valid", "1 for a real event, 0 for padding before the token's first events"),
    ("ret", "log return over the token's previous trade"),
    ("gap", "log1p seconds since the token's previous trade"),
    ("side", "+1 buy, -1 sell, 0 other"),
    ("sol", "log1p SOL"),
    ("new_wallet", "1 when the trader was never seen before"),
    ("score", "buyer score minus the prior mean (0 unknown or sell)"),
    ("creator", "1 when the trader is the token's creator"),
    ("progress", "bonding-curve progress"),
)
assert len(SEQ_CHANNELS) == N_SEQ, "features_nb.N_SEQ and the spec disagree"


def feature_spec() -> dict[str, Any]:
    """The spec as JSON-able data (stored in every model's registry entry)."""
    return {
        "version": FEATURE_VERSION,
        "taus_s": list(TAUS_S),
        "large_trade_sol": LARGE_TRADE_SOL,
        "seq_len": SEQ_LEN,
        "unique_bits": UNIQUE_BITS,
        "features": [{"name": n, "definition": d} for n, d in FEATURES],
        "seq_channels": [{"name": n, "definition": d} for n, d in SEQ_CHANNELS],
    }


def check_spec(spec: dict[str, Any]) -> None:
    """Raise ``ValueError`` when a saved spec is not the one this code computes."""
    mine = feature_spec()
    if spec.get("version") != mine["version"] or spec.get("features") != mine["features"]:
        raise ValueError(
            f"feature spec version {spec.get('version')} does not match this code's version "
            f"{mine['version']}: retrain the model (or check out the code that trained it)"
        )
    for key in ("taus_s", "seq_len", "unique_bits", "large_trade_sol", "seq_channels"):
        if spec.get(key) != mine[key]:
            raise ValueError(f"feature spec field {key!r} differs from this code's: retrain")
