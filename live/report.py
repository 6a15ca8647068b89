"""The daily report: the day's trades and a running SPRT of live results against the backtest.

The SPRT asks, trade by trade in exit order, whether live wins as often as the promoted
backtest did (H1: p = backtest win rate) or ``degradation`` less (H0) -- the earliest sound
signal that the live edge is not the backtested one. Wins are trades whose exit SOL (net of
every fee) exceeds their entry SOL, as in the backtest's ``win`` column.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from memelab.live.ledger import Ledger
from memelab.research.sprt.wald import BernoulliSPRT, SPRTError

DAY_NS = 86_400 * 10**9


def live_sprt(ledger: Ledger, manifest: dict[str, Any], degradation: float = 0.1,
              alpha: float = 0.05, beta: float = 0.2) -> dict[str, Any]:  # fmt: skip
    """Running SPRT of every closed live trade; ``decision`` accept_h1 means "as backtested"."""
    p1 = float(
        ((manifest.get("backtest") or {}).get("metrics") or {}).get("win_rate", float("nan"))
    )
    p0 = p1 - degradation
    if not 0.0 < p0 < p1 < 1.0:
        return {"decision": "unavailable", "reason": f"backtest win rate {p1} unusable", "n": 0}
    trades = sorted(ledger.trades(), key=lambda t: (t["exit_ts"], t["position"]))
    wins = [int(t["exit_sol"] > t["entry_sol"]) for t in trades]
    try:
        test = BernoulliSPRT(p0=p0, p1=p1, alpha=alpha, beta=beta)
        state = test.update(wins)
    except SPRTError as exc:
        return {"decision": "unavailable", "reason": str(exc), "n": len(wins)}
    return {"decision": state.decision, "n": state.n, "llr": state.llr, "wins": state.wins,
            "n_seen": state.n_seen, "p0": p0, "p1": p1}  # fmt: skip


def daily_report(ledger: Ledger, day: dt.date, manifest: dict[str, Any] | None = None) -> dict:
    start = int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp()) * 10**9
    trades = [t for t in ledger.trades() if start <= t["exit_ts"] < start + DAY_NS]
    pnl = sum(t["exit_sol"] - t["entry_sol"] for t in trades)
    skipped = ledger.db.execute(
        "SELECT reason, COUNT(*) FROM signals WHERE decision = 'skip' AND ts >= ? AND ts < ? "
        "GROUP BY reason ORDER BY reason",
        (start, start + DAY_NS),
    ).fetchall()
    return {
        "day": day.isoformat(),
        "trades": trades,
        "n_trades": len(trades),
        "wins": sum(1 for t in trades if t["exit_sol"] > t["entry_sol"]),
        "pnl_sol": pnl,
        "skipped": {r[0]: r[1] for r in skipped},
        "open_positions": len(ledger.positions()),
        "sprt": live_sprt(ledger, manifest) if manifest else None,
    }
