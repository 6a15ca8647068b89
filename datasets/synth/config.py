"""Every knob of the synthetic market, with the defaults that were calibrated against real data.

The defaults are the calibrated generator (see ``docs/synthetic_market.md`` for the KS figures):
change them only together with a new calibration run (``memelab data calibrate``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import numpy as np

# pump.fun bonding curve constants live beside the kernel that compiles them in (numba's cache
# only notices changes to the kernel's own file); re-exported here for everyone else.
from memelab.datasets.synth.market_nb import (  # noqa: E402
    CURVE_K,
    CURVE_REAL_TOK0,
    CURVE_VSOL0,
    CURVE_VTOK0,
    CURVE_VTOK_END,
    KERNEL_KNOBS,
    TOKEN_SUPPLY,
)


@dataclass(frozen=True)
class SynthConfig:
    """Knobs of the agent-based market. Rates are per second, times in seconds, sizes in SOL."""

    scenario: str = "calibrated"  # the preset these knobs started from (see SCENARIOS)
    start: str = "2025-01-01"  # first simulated day (UTC)
    # --- venues
    curve_fee: float = 0.01  # pump.fun: 1% of the SOL side
    amm_fee: float = 0.0025  # PumpSwap: 0.25%
    # extra pools: a graduate gets a Raydium-CPMM or Meteora style constant-product pool with
    # this chance, seeded by its creator ~log-normal(delay median, sigma) after graduation with
    # ~log-normal(SOL median, sigma) at the PumpSwap spot. Fees as the engine's default venues.
    # No real data we have gives the share of graduates with a second pool: an assumption.
    p_extra_pool: float = 0.3
    extra_pool_delay_median_s: float = 300.0
    extra_pool_delay_sigma: float = 1.0
    extra_pool_sol_median: float = 15.0
    extra_pool_sol_sigma: float = 0.7
    meteora_share: float = 0.4  # of the extra pools; the rest are Raydium CPMM
    raydium_fee: float = 0.0025
    meteora_fee: float = 0.0025
    # arbitrage: a gap |log(spot_a / spot_b)| > fee_a + fee_b + arb_margin is traded ~log-normal
    # (arb_lag_median_s, arb_lag_sigma) seconds later, closing arb_close of it (never below fees)
    arb_margin: float = 0.002
    arb_lag_median_s: float = 2.0
    arb_lag_sigma: float = 1.0
    arb_close: float = 0.8
    # --- wallet population (fractions of --wallets; the rest are retail)
    frac_alpha: float = 0.01
    frac_insider: float = 0.02
    frac_sniper: float = 0.03
    frac_sybil: float = 0.10
    sybil_cluster_min: int = 3
    sybil_cluster_max: int = 7
    retail_activity_pareto: float = 1.2  # heavy tail of retail activity (smaller: heavier)
    retail_activity_cap: float = 1000.0  # the busiest retail wallet trades <= this x the least
    frac_fomo: float = 0.3138  # share of retail wallets that chase pumps (buy only pumped tokens)
    fomo_trigger: float = 1.3  # a token is "pumped" above this x its launch price
    fomo_share: float = 0.35  # share of a pumped token's retail buys made by pump chasers
    # --- tokens
    quality_a: float = 1.0  # latent quality ~ Beta(a, b)
    quality_b: float = 4.0
    p_honeypot: float = 0.03
    p_rug: float = 0.12
    rug_mean_age_s: float = 900.0
    max_life_s: float = 6 * 3600.0  # no token trades longer than this (bounds day spill-over)
    # --- retail flow on a token: buy rate = buy_rate0 * exp(quality_gain * q + noise)
    #     * (1 - exp(-age / ramp_s)) * exp(-age / tau) * momentum
    buy_rate0: float = 0.0368
    quality_gain: float = 6.0
    tau0_s: float = 45.0
    tau_quality_gain: float = 8.0  # tau = tau0 * (1 + tau_quality_gain * q)
    interest_sigma: float = 0.5  # log-normal token-to-token noise on the buy rate
    tau_sigma: float = 1.6  # log-normal token-to-token noise on the attention decay time
    ramp_s: float = 20.0  # attention builds up as 1 - exp(-age / ramp_s) before it decays
    # a second wave of attention on some tokens, ~Exp(revival_mean_s) after launch, at
    # revival_gain x the token's launch rate (log-normal spread interest_sigma), decaying
    p_revival: float = 0.06
    revival_mean_s: float = 3600.0
    revival_gain: float = 1.0
    revival_tau_s: float = 1200.0
    buy_size_median: float = 0.03
    buy_size_sigma: float = 1.6
    buy_size_max: float = 40.0
    hold_mean_s: float = 900.0  # retail/sybil positions are sold after ~Exp(hold_mean x patience)
    hold_sigma: float = 0.6  # per-wallet patience ~ log-normal(0, hold_sigma)
    bag_a: float = 0.6  # per-wallet chance that a buy is held as a bag ~ Beta(bag_a, bag_b)
    bag_b: float = 0.4
    bag_hold_mult: float = 6.0  # bag holders sell this many times slower than hold_mean_s
    bag_lost_p: float = 0.0303  # chance that a bag is never sold at all (median over tokens)
    bag_lost_sigma: float = 1.4  # log-normal token-to-token spread of that chance
    # moonbag holders: a share of wallets keep a part ~ U(moonbag_min, moonbag_max) of every
    # position and sell it only if the token graduates (moons); real wallets that realise about
    # -75% on token after token (a fifth of the Flipside sample) look like this
    frac_moonbag: float = 0.13
    moonbag_min: float = 0.6757
    moonbag_max: float = 0.9
    sell_full_p: float = 0.6  # mean chance that a sell closes the whole position (per wallet:
    sell_full_conc: float = 2.0  # ~ Beta with this concentration; low = more varied styles)
    momentum_gain: float = 1.0  # buy rate x (price / launch price) ** momentum_gain, capped
    momentum_cap: float = 2.0
    # --- after graduation (AMM): buy rate continues from its graduation level, decaying
    amm_tau_s: float = 1260.0
    amm_buy_scale: float = 0.46
    # --- creators / insiders
    p_dev_buy: float = 0.35
    dev_buy_median: float = 0.1331
    dev_buy_sigma: float = 1.5
    creator_dump_mean_s: float = 412.2691  # exponential dump time (when creator_dump_sigma = 0)
    # log-normal dump time: the PumpPortal logs put the dump at a median of 19-20 s after launch
    # (p90 411-491 s); nothing in the data calibrates the seconds before it
    creator_dump_median_s: float = 21.0
    creator_dump_sigma: float = 2.0
    # --- what follows a move (mechanisms of reversal; 0 switches each off)
    # holders sell into strength: rate = profit_take_rate x open positions x log(spot / ref),
    # ref an EMA of the log price over profit_ref_s
    profit_take_rate: float = 0.005
    profit_ref_s: float = 60.0
    sniper_take_profit: float = 0.1  # bots sell as soon as spot >= their entry x (1 + this)
    attention_crowd: float = 0.0  # buy rate x exp(-retail buys so far / this): a finite crowd
    post_dump_attention: float = 0.005  # buy rate x this once the creator has dumped on the curve
    dump_panic_p: float = 0.7  # share of open positions sold soon after the creator's dump
    dump_panic_s: float = 3.0  # ... ~Exp(this) seconds after it
    flip_p: float = 0.25  # share of retail buys that are flips, sold after ~Exp(flip_hold_s)
    flip_hold_s: float = 15.0
    # dip bots: after a creator's dump on the curve, ~Poisson(this) bots buy the dip (size
    # log-normal, median dip_bot_size_median, sigma 1), ~Exp(dip_bot_delay_s) after it, and sell
    # at their take-profit target (sniper_take_profit) or after ~Exp(dip_bot_hold_s)
    dip_bots_per_dump: float = 1.0
    dip_bot_delay_s: float = 30.0
    dip_bot_size_median: float = 0.3
    dip_bot_hold_s: float = 40.0
    null_flow: float = 0.0
    null_seed_sol: float = 30.0  # null: SOL that 20 seed holders buy at launch  # 1: the null scenario's flow (buy or sell by a coin flip)
    rug_bundle_wallets: int = 3  # insider wallets that buy at launch with a rugging creator
    # bundled launches: insiders buy out the whole curve, the first in the launch block, the
    # others within a per-token window ~ Exp(bundle_spread_s), then dump on the AMM
    p_bundled: float = 0.0064
    bundle_wallets: int = 8
    bundle_sol: float = 110.0
    bundle_spread_s: float = 35.0
    bundle_hold_mean_s: float = 300.0
    bundle_keep: float = 0.08  # the bundle keeps a share ~ U(0, bundle_keep) of its tokens unsold
    # --- snipers / bots: buy in the first seconds, flip fast
    snipers_per_token: float = 0.125
    sniper_delay_max_s: float = 3.0
    sniper_size_median: float = 0.2
    sniper_hold_mean_s: float = 45.0
    # --- alpha wallets: buy high-quality tokens early, take profit after the move
    alpha_quality_min: float = 0.35
    # expected number of alpha wallets buying a qualifying token (each ~ its skill), and a
    # non-qualifying one: per token, so a lake's tokens look alike whatever --wallets is
    alpha_per_token: float = 8.0
    alpha_noise_per_token: float = 0.08
    alpha_delay_min_s: float = 2.0
    alpha_delay_max_s: float = 10.0  # skilled wallets are in within the first minute
    alpha_size_median: float = 0.2
    alpha_hold_mean_s: float = 420.0
    # --- sybil clusters: co-buy the same mints within seconds
    clusters_per_token: float = 1.0
    sybil_member_p: float = 0.85
    sybil_spread_s: float = 5.0
    sybil_start_mean_s: float = 300.0
    max_events_per_token: int = 200_000

    def replace(self, **changes: object) -> SynthConfig:
        """A copy with some knobs changed; unknown names raise ``ValueError``."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ValueError(f"unknown SynthConfig knob(s) {unknown}; known: {sorted(known)}")
        return SynthConfig(**{**asdict(self), **changes})

    def validate(self) -> None:
        """Raise ``ValueError`` naming the first knob outside its valid range."""
        for name in ("frac_alpha", "frac_insider", "frac_sniper", "frac_sybil"):
            v = getattr(self, name)
            if not 0.0 <= v < 1.0:
                raise ValueError(f"SynthConfig.{name}={v} must be in [0, 1)")
        if self.frac_alpha + self.frac_insider + self.frac_sniper + self.frac_sybil >= 1.0:
            raise ValueError("SynthConfig: wallet kind fractions leave no retail wallets")
        for name in (
            "p_honeypot",
            "p_rug",
            "p_dev_buy",
            "sybil_member_p",
            "p_bundled",
            "sell_full_p",
            "frac_fomo",
            "fomo_share",
            "p_revival",
            "bundle_keep",
            "bag_lost_p",
            "frac_moonbag",
            "p_extra_pool",
            "meteora_share",
            "arb_close",
        ):
            v = getattr(self, name)
            if not 0.0 <= v <= 1.0:
                raise ValueError(f"SynthConfig.{name}={v} must be a probability")
        for name in (
            "tau0_s",
            "hold_mean_s",
            "max_life_s",
            "buy_size_median",
            "amm_tau_s",
            "revival_mean_s",
            "revival_tau_s",
            "extra_pool_delay_median_s",
            "extra_pool_sol_median",
            "arb_lag_median_s",
        ):
            if getattr(self, name) <= 0:
                raise ValueError(f"SynthConfig.{name} must be > 0")
        if not 0.0 <= self.moonbag_min <= self.moonbag_max < 1.0:
            raise ValueError("SynthConfig: need 0 <= moonbag_min <= moonbag_max < 1")
        if self.retail_activity_cap < 1.0:
            raise ValueError(
                "SynthConfig.retail_activity_cap must be >= 1 (a multiple of the least)"
            )
        if not 2 <= self.sybil_cluster_min <= self.sybil_cluster_max:
            raise ValueError("SynthConfig: need 2 <= sybil_cluster_min <= sybil_cluster_max")
        if self.scenario not in SCENARIOS:
            raise ValueError(f"SynthConfig.scenario={self.scenario!r}: one of {SCENARIOS}")
        if self.max_life_s > 20 * 3600:
            raise ValueError("SynthConfig.max_life_s must be <= 20 h (day-by-day streaming)")


SCENARIOS = ("calibrated", "null", "planted")
# Each scenario is the calibrated defaults with these knobs changed.
_SCENARIO_KNOBS: dict[str, dict[str, float]] = {
    "calibrated": {},
    # the first calibration's market (the seven marginals only): quality persists, no reversal
    # mechanisms; strong, labelled edges for checking that research tools find one
    "planted": {
        "creator_dump_sigma": 0.0,
        "buy_size_median": 0.02,
        "buy_size_sigma": 1.375,
        "alpha_per_token": 15.3,
        "alpha_delay_max_s": 60.0,
        "profit_take_rate": 0.0,
        "sniper_take_profit": 0.0,
        "attention_crowd": 0.0,
        "post_dump_attention": 1.0,
        "dump_panic_p": 0.0,
        "flip_p": 0.0,
        "dip_bots_per_dump": 0.0,
        "p_extra_pool": 0.0,
    },
    # no exploitable structure: flow independent of past price, quality and wallet identity;
    # each arrival is a buy or a sell by a coin flip, sized symmetrically in log price (the log
    # mark price is a martingale); no creators' dumps, rugs, honeypots, alpha, sybils, snipers
    "null": {
        "null_flow": 1.0,
        "buy_rate0": 2.0,  # busy enough that moves happen and strategies trade
        "tau0_s": 300.0,
        "buy_size_median": 0.1,
        "buy_size_sigma": 1.0,
        "buy_size_max": 2.0,  # a sell this large always finds a holder (seeds hold 1.5 SOL each)
        "null_seed_sol": 30.0,
        "quality_gain": 0.0,
        "tau_quality_gain": 0.0,
        "momentum_gain": 0.0,
        "fomo_share": 0.0,
        "p_revival": 0.0,
        "p_honeypot": 0.0,
        "p_rug": 0.0,
        "p_bundled": 0.0,
        "p_dev_buy": 0.0,
        "snipers_per_token": 0.0,
        "alpha_per_token": 0.0,
        "alpha_noise_per_token": 0.0,
        "clusters_per_token": 0.0,
        "profit_take_rate": 0.0,
        "sniper_take_profit": 0.0,
        "attention_crowd": 0.0,
        "post_dump_attention": 1.0,
        "dump_panic_p": 0.0,
        "flip_p": 0.0,
        "dip_bots_per_dump": 0.0,
        "p_extra_pool": 0.0,  # one pool per mint: no gap to exploit
    },
}


def scenario_config(name: str = "calibrated", **knobs: object) -> SynthConfig:
    """The knobs of a named scenario (``calibrated``, ``null``, ``planted``), then ``knobs``."""
    if name not in SCENARIOS:
        raise ValueError(f"unknown scenario {name!r}: one of {SCENARIOS}")
    return SynthConfig().replace(scenario=name, **{**_SCENARIO_KNOBS[name], **knobs})


def kernel_params(cfg: SynthConfig) -> np.ndarray:
    """The float64 knob vector the kernel reads (order: ``KERNEL_KNOBS``)."""
    return np.array([float(getattr(cfg, name)) for name in KERNEL_KNOBS], dtype=np.float64)


__all__ = [
    "CURVE_K",
    "CURVE_REAL_TOK0",
    "CURVE_VSOL0",
    "CURVE_VTOK0",
    "CURVE_VTOK_END",
    "TOKEN_SUPPLY",
    "SCENARIOS",
    "SynthConfig",
    "kernel_params",
    "scenario_config",
]
