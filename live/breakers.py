"""Circuit breakers: stop new entries when the day's loss, the error rate, feed silence or RPC
failures pass their limits. Time is passed in (ns), so replays and tests are deterministic.

A tripped breaker stays tripped until :meth:`CircuitBreakers.reset` (an operator's decision),
except the daily loss breaker, which re-arms at midnight UTC with the new day.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

NS = 1_000_000_000
DAY_NS = 86_400 * NS


@dataclass(frozen=True)
class BreakerLimits:
    daily_loss_sol: float = 5.0  # realised loss since midnight UTC
    error_rate: float = 0.5  # failed/expired share of the last `error_window` orders
    error_window: int = 10
    error_min_orders: int = 4  # no verdict on fewer orders
    feed_silence_s: float = 60.0  # no feed message for this long
    rpc_failures: int = 5  # RPC failures within rpc_window_s
    rpc_window_s: float = 60.0


class CircuitBreakers:
    def __init__(self, limits: BreakerLimits | None = None):
        self.limits = limits or BreakerLimits()
        self.tripped: dict[str, str] = {}  # breaker -> reason
        self._day = -1
        self.daily_pnl = 0.0
        self._orders: deque[bool] = deque(maxlen=self.limits.error_window)
        self._rpc: deque[int] = deque()
        self._last_feed: int | None = None

    # ----------------------------------------------------------- inputs
    def _roll_day(self, ts: int) -> None:
        day = ts // DAY_NS
        if day != self._day:
            self._day, self.daily_pnl = day, 0.0
            self.tripped.pop("daily_loss", None)

    def record_pnl(self, ts: int, pnl_sol: float) -> None:
        self._roll_day(ts)
        self.daily_pnl += pnl_sol

    def record_order(self, ok: bool) -> None:
        self._orders.append(ok)

    def record_feed(self, ts: int) -> None:
        self._last_feed = ts
        self.tripped.pop("feed_silence", None)  # the feed is back

    def record_rpc_failure(self, ts: int) -> None:
        self._rpc.append(ts)

    # ----------------------------------------------------------- verdict
    def check(self, now: int) -> dict[str, str]:
        """Trip what is over its limit; returns the breakers newly tripped now."""
        self._roll_day(now)
        lim = self.limits
        new: dict[str, str] = {}
        if self.daily_pnl <= -lim.daily_loss_sol:
            new["daily_loss"] = f"daily P&L {self.daily_pnl:.4f} SOL <= -{lim.daily_loss_sol}"
        n = len(self._orders)
        if n >= lim.error_min_orders:
            rate = self._orders.count(False) / n
            if rate >= lim.error_rate:
                new["error_rate"] = (
                    f"{rate:.0%} of the last {n} orders failed (limit {lim.error_rate:.0%})"
                )
        if self._last_feed is not None and now - self._last_feed > lim.feed_silence_s * NS:
            new["feed_silence"] = f"no feed message for {(now - self._last_feed) / NS:.0f} s"
        while self._rpc and now - self._rpc[0] > lim.rpc_window_s * NS:
            self._rpc.popleft()
        if len(self._rpc) >= lim.rpc_failures:
            new["rpc_failures"] = f"{len(self._rpc)} RPC failures in {lim.rpc_window_s:.0f} s"
        fresh = {k: v for k, v in new.items() if k not in self.tripped}
        self.tripped.update(new)
        return fresh

    def allows_entries(self) -> bool:
        return not self.tripped

    def entry_block_reason(self) -> str | None:
        return None if not self.tripped else "breaker:" + ",".join(sorted(self.tripped))

    def reset(self, name: str | None = None) -> None:
        if name is None:
            self.tripped.clear()
            self._orders.clear()
            self._rpc.clear()
        else:
            self.tripped.pop(name, None)
