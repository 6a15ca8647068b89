"""Return-based metrics, by the field's convention: daily returns, a 365-day crypto year.

- Returns are taken from the equity curve at the end of each UTC day (the last equity sample of
  the day, carried over quiet days); the first day's return is against the initial equity.
- ``sharpe`` = mean / sample std (ddof=1) of daily returns x sqrt(365); ``sortino`` = mean /
  downside deviation x sqrt(365), the downside deviation being sqrt(mean(min(r, 0)^2)) over all
  days; ``var_95_daily`` = the loss not exceeded on 95% of days (historical, a positive
  fraction). These are empyrical's definitions with ``annualization=365`` (cross-checked in
  ``tests/test_metrics.py`` against an independent pandas computation).
- Fewer than ``MIN_DAYS`` daily returns make no daily figure: a Sharpe from a handful of days is
  noise, and annualising a finer grid of mostly flat bars gives absurd numbers (a 60 s grid gave
  Sharpe ~100). Then ``sharpe``, ``sortino`` and ``var_95_daily`` are ``None`` and the run is
  described on an hourly grid instead: ``sharpe_hourly`` (per hour, *not* annualised) and the
  probabilistic Sharpe ratio ``psr`` (P(true Sharpe > 0), Bailey & Lopez de Prado 2012, with the
  returns' skew and kurtosis), whose grid ``psr_grid`` says which.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

DAY_NS = 86_400 * 1_000_000_000
HOUR_NS = 3_600 * 1_000_000_000
DAYS_PER_YEAR = 365
MIN_DAYS = 30
CONVENTION = (
    f"daily returns (UTC days), annualised with {DAYS_PER_YEAR} days; runs under {MIN_DAYS} "
    "days: hourly Sharpe (not annualised) and its probabilistic Sharpe ratio"
)


def period_returns(
    ts: np.ndarray, equity: np.ndarray, initial: float, period_ns: int
) -> np.ndarray:
    """Returns over consecutive UTC-aligned periods from the first sample's to the last's: the
    equity at a period's end is its last sample (carried over periods without one)."""
    ts = np.asarray(ts, dtype=np.int64)
    equity = np.asarray(equity, dtype=np.float64)
    if len(ts) == 0:
        return np.zeros(0)
    bins = ts // period_ns
    grid = np.arange(bins[0], bins[-1] + 1)
    last = np.searchsorted(bins, grid, side="right") - 1
    series = np.concatenate([[initial], equity[last]])
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.diff(series) / series[:-1]
    return np.where(np.isfinite(r), r, -1.0)  # a zero equity stays ruined


def sharpe(r: np.ndarray, periods_per_year: float = 1.0) -> float:
    """mean / std (ddof=1) x sqrt(periods_per_year); 0 when there is no variation."""
    if len(r) < 2:
        return 0.0
    sd = float(np.std(r, ddof=1))
    return float(np.mean(r)) / sd * math.sqrt(periods_per_year) if sd > 0 else 0.0


def sortino(r: np.ndarray, periods_per_year: float = 1.0) -> float:
    """mean / sqrt(mean(min(r, 0)^2)) x sqrt(periods_per_year); 0 without a losing period."""
    if len(r) == 0:
        return 0.0
    dd = math.sqrt(float(np.mean(np.minimum(r, 0.0) ** 2)))
    return float(np.mean(r)) / dd * math.sqrt(periods_per_year) if dd > 0 else 0.0


def probabilistic_sharpe(r: np.ndarray, benchmark: float = 0.0) -> float | None:
    """P(true per-period Sharpe > ``benchmark``) from ``len(r)`` observations, widened by
    negative skew and fat tails; ``None`` with fewer than 3 observations or no variation."""
    n = len(r)
    if n < 3 or float(np.std(r)) == 0.0:
        return None
    from scipy.stats import kurtosis, norm, skew

    sr = sharpe(r)
    g3 = float(skew(r))
    g4 = float(kurtosis(r, fisher=False))
    denom = 1.0 - g3 * sr + (g4 - 1.0) / 4.0 * sr * sr
    if not denom > 0:
        return None
    return float(norm.cdf((sr - benchmark) * math.sqrt(n - 1) / math.sqrt(denom)))


def return_metrics(ts: np.ndarray, equity: np.ndarray, initial: float) -> dict[str, Any]:
    """The return-based figures of an equity curve (see the module docstring)."""
    daily = period_returns(ts, equity, initial, DAY_NS)
    hourly = period_returns(ts, equity, initial, HOUR_NS)
    enough = len(daily) >= MIN_DAYS
    return {
        "returns_convention": CONVENTION,
        "days": int(len(daily)),
        "sharpe": sharpe(daily, DAYS_PER_YEAR) if enough else None,
        "sortino": sortino(daily, DAYS_PER_YEAR) if enough else None,
        "var_95_daily": float(-np.quantile(daily, 0.05)) + 0.0 if enough else None,
        "sharpe_hourly": sharpe(hourly),
        "psr": probabilistic_sharpe(daily if enough else hourly),
        "psr_grid": "1d" if enough else "1h",
    }


# Fractions shown as percent wherever a person reads them (metrics.json keeps fractions; keys
# ending in _pct are already percent).
PERCENT_KEYS = frozenset(
    {"win_rate", "total_return", "max_drawdown", "exposure", "var_95_daily", "var_95_trade", "psr"}
)
LABELS = {
    "sharpe": "sharpe (daily, ann.)",
    "sortino": "sortino (daily, ann.)",
    "sharpe_hourly": "sharpe (hourly, not ann.)",
    "var_95_daily": "VaR 95% (1 day)",
    "var_95_trade": "VaR 95% (per trade)",
}


def label(key: str, metrics: dict[str, Any] | None = None) -> str:
    """How a metric is named for a reader (the grid and annualisation stated)."""
    if key == "psr" and metrics is not None:
        return f"PSR (P(SR>0), {'daily' if metrics.get('psr_grid') == '1d' else 'hourly'})"
    return LABELS.get(key, key)


def format_metric(key: str, value: Any, metrics: dict[str, Any] | None = None) -> str:
    """A metric as text: percent for fractions, 4 significant decimals otherwise, and the reason
    when a daily figure is missing."""
    if value is None:
        if key in ("sharpe", "sortino", "var_95_daily") and metrics is not None:
            return f"n/a ({metrics.get('days', 0)} day(s) < {MIN_DAYS}: see the hourly figures)"
        return "n/a"
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        if isinstance(value, dict):
            return ", ".join(f"{k}: {n}" for k, n in value.items()) or "-"
        return str(value)
    if key in PERCENT_KEYS:
        return f"{float(value) * 100:,.2f}%"
    if key.endswith("_pct"):
        return f"{float(value):,.2f}%"
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    return f"{float(value):,.4f}"
