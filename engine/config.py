"""Engine configuration: venues, execution costs, exits and risk, as one frozen dataclass.

The compiled loop cannot read Python objects, so :meth:`EngineConfig.pack` turns the config into
one record of ``CFG_DTYPE`` (flat float64 fields) plus a ``(n_venues, VENUE_FIELDS)`` float64
array indexed by the event's ``venue`` id (``datasets.schemas.VENUES``). Every number the engine
uses is here, with the SPEC defaults; nothing is hidden in the kernels.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from memelab.datasets.schemas import VENUES

# Curve kinds: how a venue's pool turns reserves into a fill.
CURVE_BONDING = 0  # pump.fun-style bonding curve: constant product on virtual reserves
CURVE_CPMM = 1  # constant-product AMM (PumpSwap, Raydium v4)
CURVE_CONCENTRATED = 2  # CLMM / DLMM bins, approximated as constant product on a deeper pool
CURVE_KINDS = {"bonding": CURVE_BONDING, "cpmm": CURVE_CPMM, "concentrated": CURVE_CONCENTRATED}

# Columns of the packed venue array.
V_FEE = 0  # fraction of the SOL side
V_CURVE = 1
V_MIN_LIQ = 2  # SOL: entries are refused below this virtual SOL reserve
V_MAX_SLIP = 3  # fraction: caps the slippage tolerance on this venue
V_DEPTH_MULT = 4  # reserve multiplier for the concentrated-liquidity approximation
V_SUPPLY = 5  # tokens in circulation: market cap = spot price x supply (fee tiers)
V_N_TIERS = 6  # market-cap fee tiers in use (0: the flat ``V_FEE``)
V_TIERS = 7  # then (market cap threshold in SOL, fee fraction) pairs, ascending
MAX_FEE_TIERS = 8
VENUE_FIELDS = V_TIERS + 2 * MAX_FEE_TIERS


@dataclass(frozen=True)
class VenueConfig:
    """One venue: fee in bps of the SOL side, curve kind, minimum liquidity, maximum slippage."""

    fee_bps: float = 100.0
    curve: str = "bonding"
    min_liquidity_sol: float = 0.0
    max_slippage: float = 0.5
    depth_mult: float = 1.0
    # Fee as a function of pool state: ((market cap threshold in SOL, total fee bps), ...),
    # ascending. A pool whose market cap (spot price x ``supply_tokens``) is at or above a
    # threshold pays that tier's fee (below the first: the first tier's). pump.fun's 2025 fees
    # work this way (``FeeTier`` in pump_fees.json: lp + protocol + creator bps per
    # market-cap threshold; the values are on-chain config, so they are configured here).
    # Empty: the flat ``fee_bps``.
    fee_tiers: tuple[tuple[float, float], ...] = ()
    supply_tokens: float = 1e9

    def row(self) -> np.ndarray:
        if self.curve not in CURVE_KINDS:
            raise ValueError(f"venue curve {self.curve!r} unknown; expected {sorted(CURVE_KINDS)}")
        tiers = [tuple(map(float, t)) for t in self.fee_tiers]
        if len(tiers) > MAX_FEE_TIERS or any(len(t) != 2 for t in tiers):
            raise ValueError(
                f"venue fee_tiers: at most {MAX_FEE_TIERS} (market cap SOL, fee bps) pairs"
            )
        if [t[0] for t in tiers] != sorted(t[0] for t in tiers):
            raise ValueError("venue fee_tiers must be in ascending market-cap order")
        row = np.zeros(VENUE_FIELDS)
        row[[V_FEE, V_CURVE, V_MIN_LIQ, V_MAX_SLIP, V_DEPTH_MULT, V_SUPPLY, V_N_TIERS]] = [
            self.fee_bps / 1e4,
            CURVE_KINDS[self.curve],
            self.min_liquidity_sol,
            self.max_slippage,
            self.depth_mult,
            self.supply_tokens,
            len(tiers),
        ]
        for k, (cap, bps) in enumerate(tiers):
            row[V_TIERS + 2 * k] = cap
            row[V_TIERS + 2 * k + 1] = bps / 1e4
        return row


def default_venues() -> dict[str, VenueConfig]:
    """pump.fun 1% on its bonding curve; AMMs 0.25%; unknown venues priced as a 0.25% CPMM."""
    amm = VenueConfig(fee_bps=25.0, curve="cpmm")
    return {
        "pumpfun": VenueConfig(fee_bps=100.0, curve="bonding"),
        "pumpswap": amm,
        "raydium": amm,
        "meteora": VenueConfig(fee_bps=25.0, curve="concentrated", depth_mult=2.0),
        "launchlab": VenueConfig(fee_bps=100.0, curve="bonding"),
        "other": amm,
    }


@dataclass(frozen=True)
class EngineConfig:
    """Everything the replay needs besides the strategy. All amounts in SOL, times in seconds."""

    initial_equity: float = 100.0
    venues: dict[str, VenueConfig] = field(default_factory=default_venues)
    # Execution
    latency_s: float = 0.4  # an order sent at t lands at the first event at or after t + latency
    latency_jitter_s: float = 0.0  # plus a seeded uniform [0, jitter) per transaction
    seed: int = 0  # seed of the latency jitter (the only randomness in a replay)
    priority_fee_sol: float = 0.0001  # paid by every transaction, failed ones included
    tip_sol: float = 0.0001  # Jito-style tip, paid only by transactions that land successfully
    slippage_tol: float = 0.15  # buys: fail when worse than the quote at send time by this much
    exit_slippage_tol: float = 0.5  # sells (exits want out; still bounded)
    max_sell_attempts: int = 3  # a sell that keeps failing: honeypots are written off after this
    fallback_depth_sol: float = 30.0  # virtual SOL depth assumed when an event has no reserves
    rug_drop: float = 0.8  # a side-0 event that removes >= 80% of the SOL reserve is a rug
    honeypot_mints: tuple[str, ...] = ()  # unsellable mints (real data has no ground truth)
    # Exits (fractions of the entry price unless noted)
    stop_loss: float = 0.20
    tp_levels: tuple[float, float, float] = (0.25, 0.60, 1.20)
    tp1_size_fast: float = 0.12  # TP1 reached < tp1_fast_s after entry
    tp1_size_mid: float = 0.20  # < tp1_mid_s
    tp1_size_slow: float = 0.30  # otherwise
    tp1_fast_s: float = 60.0
    tp1_mid_s: float = 180.0
    tp2_size: float = 0.30  # fractions of the initial token amount
    tp3_size: float = 0.30
    trail_fast_gain: float = 0.30  # peak >= +30% within trail_fast_window_s: trail at 85% of peak
    trail_fast_window_s: float = 120.0
    trail_fast_ratio: float = 0.85
    trail_big_gain: float = 0.60  # peak >= +60%: trail at 82% of peak
    trail_big_ratio: float = 0.82
    breakeven_arm: float = 0.08  # armed at +8%: stop at entry for breakeven_window_s
    breakeven_window_s: float = 60.0
    breakeven_trail_ratio: float = 0.85  # after the window: peak trailing at this ratio
    max_hold_s: float = 900.0
    # Risk
    sizing: str = "fixed"  # "fixed" fraction of equity, or "kelly" (volatility scaled)
    position_fraction: float = 0.05
    kelly_fraction: float = 0.5  # half Kelly
    kelly_min_trades: int = 20  # fixed fraction until this many trades have closed
    kelly_target_vol: float = 0.30  # per-trade return volatility the Kelly size is scaled to
    max_position_sol: float = 10.0
    max_open_positions: int = 5
    daily_dd_limit: float = 0.08
    weekly_dd_limit: float = 0.15
    portfolio_stop: float = 0.30  # no new entries once equity is 30% below its start
    cooldown_losses_1: int = 3
    cooldown_1_s: float = 1800.0
    cooldown_losses_2: int = 5
    cooldown_2_s: float = 3600.0
    tier_pnl: tuple[float, float, float] = (-0.02, -0.04, -0.06)  # daily P&L tier thresholds
    tier_daily_cap: tuple[int, int, int, int] = (20, 15, 10, 5)
    tier_spacing_s: tuple[float, float, float, float] = (120.0, 180.0, 300.0, 600.0)
    tier_min_score: tuple[float, float, float, float] = (0.0, 0.60, 0.60, 0.60)
    # Results
    equity_every_s: float = 60.0

    def replace(self, **changes: Any) -> EngineConfig:
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> EngineConfig:
        """Build from a plain dict (run.json, CLI); unknown keys are an error naming them."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise ValueError(f"unknown engine config key(s) {unknown}; known: {sorted(names)}")
        d = dict(d)
        if "venues" in d:
            d["venues"] = {
                k: v if isinstance(v, VenueConfig) else _venue_from_dict(v)
                for k, v in d["venues"].items()
            }
        for k in (
            "honeypot_mints",
            "tp_levels",
            "tier_pnl",
            "tier_daily_cap",
            "tier_spacing_s",
            "tier_min_score",
        ):
            if k in d:
                d[k] = tuple(d[k])
        return cls(**d)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def validate(self) -> None:
        """Raise ``ValueError`` naming the first out-of-range parameter."""
        checks = [
            ("initial_equity", self.initial_equity > 0),
            ("latency_s", self.latency_s >= 0),
            ("latency_jitter_s", self.latency_jitter_s >= 0),
            ("priority_fee_sol", self.priority_fee_sol >= 0),
            ("tip_sol", self.tip_sol >= 0),
            ("slippage_tol", self.slippage_tol >= 0),
            ("exit_slippage_tol", self.exit_slippage_tol >= 0),
            ("max_sell_attempts", self.max_sell_attempts >= 1),
            ("fallback_depth_sol", self.fallback_depth_sol > 0),
            ("stop_loss", 0 < self.stop_loss < 1),
            ("position_fraction", 0 < self.position_fraction <= 1),
            ("max_open_positions", 1 <= self.max_open_positions <= MAX_SLOTS),
            ("sizing", self.sizing in ("fixed", "kelly")),
            ("tp_levels", list(self.tp_levels) == sorted(self.tp_levels)),
            ("equity_every_s", self.equity_every_s > 0),
        ]
        for name, ok in checks:
            if not ok:
                raise ValueError(f"engine config: {name}={getattr(self, name)!r} is out of range")
        unknown = sorted(set(self.venues) - set(VENUES))
        if unknown:
            raise ValueError(f"engine config: unknown venue(s) {unknown}; known: {list(VENUES)}")

    def pack(self) -> tuple[np.void, np.ndarray]:
        """The config as (``CFG_DTYPE`` record, venue array) for the compiled loop."""
        self.validate()
        rec = np.zeros(1, dtype=CFG_DTYPE)[0]
        s = 1e9
        rec["initial_equity"] = self.initial_equity
        rec["latency_ns"] = self.latency_s * s
        rec["latency_jitter_ns"] = self.latency_jitter_s * s
        rec["seed"] = float(self.seed % (1 << 52))
        rec["priority_fee"] = self.priority_fee_sol
        rec["tip"] = self.tip_sol
        rec["slippage_tol"] = self.slippage_tol
        rec["exit_slippage_tol"] = self.exit_slippage_tol
        rec["max_sell_attempts"] = self.max_sell_attempts
        rec["fallback_depth"] = self.fallback_depth_sol
        rec["rug_drop"] = self.rug_drop
        rec["stop_loss"] = self.stop_loss
        rec["tp1"], rec["tp2"], rec["tp3"] = self.tp_levels
        rec["tp1_size_fast"] = self.tp1_size_fast
        rec["tp1_size_mid"] = self.tp1_size_mid
        rec["tp1_size_slow"] = self.tp1_size_slow
        rec["tp1_fast_ns"] = self.tp1_fast_s * s
        rec["tp1_mid_ns"] = self.tp1_mid_s * s
        rec["tp2_size"] = self.tp2_size
        rec["tp3_size"] = self.tp3_size
        rec["trail_fast_gain"] = self.trail_fast_gain
        rec["trail_fast_window_ns"] = self.trail_fast_window_s * s
        rec["trail_fast_ratio"] = self.trail_fast_ratio
        rec["trail_big_gain"] = self.trail_big_gain
        rec["trail_big_ratio"] = self.trail_big_ratio
        rec["be_arm"] = self.breakeven_arm
        rec["be_window_ns"] = self.breakeven_window_s * s
        rec["be_trail_ratio"] = self.breakeven_trail_ratio
        rec["max_hold_ns"] = self.max_hold_s * s
        rec["kelly"] = 1.0 if self.sizing == "kelly" else 0.0
        rec["position_fraction"] = self.position_fraction
        rec["kelly_fraction"] = self.kelly_fraction
        rec["kelly_min_trades"] = self.kelly_min_trades
        rec["kelly_target_vol"] = self.kelly_target_vol
        rec["max_position_sol"] = self.max_position_sol
        rec["max_open"] = self.max_open_positions
        rec["daily_dd_limit"] = self.daily_dd_limit
        rec["weekly_dd_limit"] = self.weekly_dd_limit
        rec["portfolio_stop"] = self.portfolio_stop
        rec["cooldown_losses_1"] = self.cooldown_losses_1
        rec["cooldown_1_ns"] = self.cooldown_1_s * s
        rec["cooldown_losses_2"] = self.cooldown_losses_2
        rec["cooldown_2_ns"] = self.cooldown_2_s * s
        for k in range(3):
            rec[f"tier_pnl_{k + 1}"] = self.tier_pnl[k]
        for k in range(4):
            rec[f"tier_cap_{k}"] = self.tier_daily_cap[k]
            rec[f"tier_spacing_ns_{k}"] = self.tier_spacing_s[k] * s
            rec[f"tier_min_score_{k}"] = self.tier_min_score[k]
        rec["equity_every_ns"] = self.equity_every_s * s
        rec["external_fills"] = 0.0  # set by ``Replay(executor=...)``: not a market assumption
        venues = np.tile(default_venues()["other"].row(), (len(VENUES), 1))
        for name, v in self.venues.items():
            venues[VENUES.index(name)] = v.row()
        return rec, venues


def _venue_from_dict(d: dict[str, Any]) -> VenueConfig:
    d = dict(d)
    if "fee_tiers" in d:
        d["fee_tiers"] = tuple(tuple(t) for t in d["fee_tiers"])
    return VenueConfig(**d)


def priority_fee_sol(cu_price_micro_lamports: float, compute_units: float) -> float:
    """Priority fee in SOL from a compute-unit price (micro-lamports) and a compute-unit limit.

    Solana charges price x units; e.g. 100,000 micro-lamports x 200,000 CU = 0.00002 SOL.
    """
    return cu_price_micro_lamports * compute_units * 1e-6 / 1e9


MAX_SLOTS = 64  # hard cap on simultaneous positions (open or in flight)

_CFG_FIELDS = (
    "initial_equity latency_ns latency_jitter_ns seed priority_fee tip slippage_tol exit_slippage_tol max_sell_attempts "
    "fallback_depth rug_drop stop_loss tp1 tp2 tp3 tp1_size_fast tp1_size_mid tp1_size_slow "
    "tp1_fast_ns tp1_mid_ns tp2_size tp3_size trail_fast_gain trail_fast_window_ns "
    "trail_fast_ratio trail_big_gain trail_big_ratio be_arm be_window_ns be_trail_ratio "
    "max_hold_ns kelly position_fraction kelly_fraction kelly_min_trades kelly_target_vol "
    "max_position_sol max_open daily_dd_limit weekly_dd_limit portfolio_stop cooldown_losses_1 "
    "cooldown_1_ns cooldown_losses_2 cooldown_2_ns tier_pnl_1 tier_pnl_2 tier_pnl_3 "
    "tier_cap_0 tier_cap_1 tier_cap_2 tier_cap_3 tier_spacing_ns_0 tier_spacing_ns_1 "
    "tier_spacing_ns_2 tier_spacing_ns_3 tier_min_score_0 tier_min_score_1 tier_min_score_2 "
    "tier_min_score_3 equity_every_ns external_fills"
).split()
CFG_DTYPE = np.dtype([(name, np.float64) for name in _CFG_FIELDS])
