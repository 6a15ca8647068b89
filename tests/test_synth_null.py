"""The ``null`` scenario has no exploitable structure: the mark price is a martingale and
shipped strategies lose after costs there (a winner on ``null`` has found a leak).

Add every new strategy to ``NULL_STRATEGIES`` (with the params it needs to trade at all).
``venue_gap`` is not here: ``null`` keeps one pool per mint, so there is no gap to trade.
"""

from __future__ import annotations

import numpy as np
import pytest
from memelab.datasets.synth import pathstats, synthesize

SEEDS = (1, 2, 3, 4, 5)
SIZE = {"tokens": 250, "wallets": 600, "days": 1}
# strategy -> params overriding its DEFAULTS (none: the shipped defaults)
# momentum: looser entry bars than its defaults, which a coin-flip flow (buy ratio ~50%) seldom meets
NULL_STRATEGIES: dict[str, dict] = {
    "momentum": {"min_return": 0.05, "min_buy_ratio": 0.55, "min_buy_sol": 1.0, "min_trades": 3},
    "copytrade": {},
    "sniper": {},
    # pairs: no two null mints are correlated, so at its 0.7 bar it never trades; with the bar
    # lowered it trades spurious correlation, and must lose doing so
    "pairs": {"lookback_s": 900.0, "bar_s": 30.0, "min_corr": 0.2, "entry_z": 2.0},
}
MIN_TRADES_PER_SEED = 2  # the verdict pools every trade of the five seeds
MIN_TRADES_TOTAL = 50
# the risk manager's cooldowns, caps, spacing and drawdown stops off: the test measures the
# strategy's entries and exits, and on a coin-flip market losing streaks would stop it trading
NO_RISK = {
    "cooldown_1_s": 0.0,
    "cooldown_2_s": 0.0,
    "tier_daily_cap": (1000, 1000, 1000, 1000),
    "tier_spacing_s": (1.0, 1.0, 1.0, 1.0),
    "daily_dd_limit": 1.0,
    "weekly_dd_limit": 1.0,
    "portfolio_stop": 1.0,
}


def launch_paths(lake) -> pathstats.PathSample:
    """Every token's path after its launch's seed buys (null has no creator dump to condition
    on); the first second (the seed holders' buys) is the path's starting point."""
    tr = lake.sql(
        """
        select s.mint_id, (s.ts - l.created_ts) / 1e9 - 1.0 as t,
               ln(s.virtual_sol_reserves / s.virtual_token_reserves) as lp
        from swaps s join launches l using (mint_id)
        where s.side != 0 and s.venue = 'pumpfun' order by s.mint_id, s.ts, s.signature
        """
    )
    mints = np.unique(tr["mint_id"].to_numpy())
    code = np.searchsorted(mints, tr["mint_id"].to_numpy())
    offsets = np.concatenate([[0], np.cumsum(np.bincount(code, minlength=len(mints)))])
    t, lp = tr["t"].to_numpy(), tr["lp"].to_numpy()
    lp0 = np.empty(len(mints))
    keep = np.ones(len(t), bool)
    for i in range(len(mints)):
        a, b = offsets[i], offsets[i + 1]
        j = a + int(np.searchsorted(t[a:b], 0.0, side="right"))  # trades in the first second
        lp0[i] = lp[j - 1] if j > a else np.log(30.0 / 1_073_000_000.0)
        keep[a:j] = False
    code = code[keep]
    offsets = np.concatenate([[0], np.cumsum(np.bincount(code, minlength=len(mints)))])
    return pathstats.measure(offsets, t[keep], lp[keep], lp0, np.zeros(0))


@pytest.fixture(scope="module")
def null_lakes(tmp_path_factory):
    root = tmp_path_factory.mktemp("null")
    return [synthesize(root / f"s{s}", seed=s, scenario="null", **SIZE) for s in SEEDS]


def _mean_and_se(log_ret: np.ndarray) -> tuple[float, float]:
    """Mean and standard error of simple returns (the mark price itself is the martingale)."""
    x = np.expm1(log_ret[np.isfinite(log_ret)])
    return float(x.mean()), float(x.std(ddof=1) / np.sqrt(len(x)))


def test_null_mark_price_has_zero_mean_forward_returns_after_rises_falls_and_anywhere(null_lakes):
    samples = [launch_paths(lake) for lake in null_lakes]
    fwd = np.concatenate([s.fwd for s in samples])  # [tokens, moves, horizons]
    unc = np.concatenate([s.uncond for s in samples])
    for h in range(fwd.shape[2]):
        for m in (0, 2):  # after a 10% rise, after a 10% fall (25% moves are rare on null)
            x = fwd[:, m, h]
            assert np.isfinite(x).sum() >= 100
            mean, se = _mean_and_se(x)
            assert abs(mean) <= 3.5 * se + 1e-3, (m, h, mean, se)
        mean, se = _mean_and_se(unc[:, h])
        assert abs(mean) <= 3.5 * se + 1e-3, (h, mean, se)


def test_planted_market_fails_the_same_martingale_check(tmp_path):
    # the check can fail: on planted quality persistence, rises are followed by rises
    lake = synthesize(tmp_path / "p", seed=1, scenario="planted", **SIZE)
    x = launch_paths(lake).fwd[:, 0, 2]  # 2 min after a 10% rise
    mean, se = _mean_and_se(x)
    assert mean > 3.5 * se + 1e-3


@pytest.mark.parametrize("strategy", sorted(NULL_STRATEGIES))
def test_strategy_loses_per_trade_on_null_over_five_seeds(null_lakes, strategy):
    from memelab.engine import backtest
    from memelab.strategies import get_strategy

    module = get_strategy(strategy)
    trades, rets = [], []
    for seed, lake in zip(SEEDS, null_lakes, strict=True):
        r = backtest(lake, module, params=NULL_STRATEGIES[strategy], config=NO_RISK, seed=seed)
        trades.append(int(r.metrics["trades"]))
        rets.append(r.trades["return_pct"].to_numpy(float) / 100.0)
    x = np.concatenate(rets)
    mean, half = float(x.mean()), float(1.96 * x.std(ddof=1) / np.sqrt(len(x)))
    print(f"null {strategy}: trades per seed {trades}, mean trade return {mean:+.4f} +- {half:.4f}")
    assert min(trades) >= MIN_TRADES_PER_SEED and sum(trades) >= MIN_TRADES_TOTAL, trades
    assert mean < 0.0, (trades, mean, half)
