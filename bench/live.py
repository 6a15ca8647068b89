"""Paper runner: per-event decision latency (message received -> order built) and throughput.

Synthetic PumpPortal messages (bonding-curve trades of many mints, one second apart) go
through the whole runner path: JSON -> normalise (the datasets adapter) -> engine step ->
kill switch / breakers -> ledger (SQLite WAL, fsync'd) -> paper executor (the backtest fill
model) -> booking. The engine step is a small Python rule: the compiled engine step plugs in
after the engine-core merge, so these figures are the runner's own overhead around it.

    python bench/live.py [--messages 20000 --mints 200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import tempfile
import time
from pathlib import Path

import numpy as np


def messages(n: int, mints: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    k = 30.0 * 1_073_000_000.0
    vs = np.full(mints, 30.0)
    out = []
    for i in range(n):
        m = int(rng.integers(mints))
        sol = float(rng.exponential(0.5))
        buy = rng.random() < 0.55
        before = vs[m]
        vs[m] = max(1.0, before + (sol if buy else -min(sol, before - 1.0)))
        tokens = abs(k / before - k / vs[m])
        out.append(json.dumps({
            "signature": f"sig{i}", "mint": f"Mint{m:04d}pump", "traderPublicKey": f"W{i % 997}",
            "txType": "buy" if buy else "sell", "tokenAmount": tokens, "solAmount": abs(vs[m] - before),
            "vSolInBondingCurve": vs[m], "vTokensInBondingCurve": k / vs[m], "pool": "pump",
            "timestamp": 1_750_000_000_000 + i * 1000,
        }))  # fmt: skip
    return out


class Rule:
    """Enter after 3 consecutive buys of a mint; exit after 5 more events of it."""

    def __init__(self):
        self.streak: dict[str, int] = {}
        self.held: dict[str, int] = {}

    def __call__(self, row, index):
        from memelab.live.runner import Decision

        m = row["mint"]
        if m in self.held:
            self.held[m] += 1
            if self.held[m] >= 5:
                del self.held[m]
                return [Decision("exit", m, -1.0, index)]
            return []
        self.streak[m] = self.streak.get(m, 0) + 1 if row["side"] == 1 else 0
        if self.streak[m] >= 3:
            self.held[m] = 0
            return [Decision("entry", m, 1.0, index, sol=0.1)]
        return []


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=20_000)
    ap.add_argument("--mints", type=int, default=200)
    args = ap.parse_args()
    from memelab.live.ledger import Ledger
    from memelab.live.paper import MarketView, PaperExecutor
    from memelab.live.runner import Runner

    msgs = messages(args.messages, args.mints)
    with tempfile.TemporaryDirectory() as tmp:
        ledger = Ledger(Path(tmp) / "ledger.sqlite")
        market = MarketView()
        ex = PaperExecutor(ledger, market)
        runner = Runner("pumpportal", ledger, ex, Rule(), market=market)
        latencies: list[float] = []
        started = [0.0]
        submit = ex.submit

        async def timed_submit(order):
            latencies.append(time.perf_counter() - started[0])
            return await submit(order)

        ex.submit = timed_submit

        async def go():
            await runner.start()
            t0 = time.perf_counter()
            for i, text in enumerate(msgs):
                started[0] = time.perf_counter()
                await runner.handle(1_750_000_000 * 10**9 + i * 10**9, text)
            await runner.drain()
            return time.perf_counter() - t0

        seconds = asyncio.run(go())
        lat = np.array(latencies) * 1e6
        print(json.dumps({
            "bench": "live_paper_runner", "messages": len(msgs), "events": runner.events,
            "orders": len(latencies), "fills": ledger.count("fills"), "seconds": round(seconds, 3),
            "messages_per_s": round(len(msgs) / seconds, 1),
            "decision_latency_us_p50": round(float(np.percentile(lat, 50)), 1) if len(lat) else None,
            "decision_latency_us_p99": round(float(np.percentile(lat, 99)), 1) if len(lat) else None,
            "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
            "python": platform.python_version(),
        }))  # fmt: skip


if __name__ == "__main__":
    main()
