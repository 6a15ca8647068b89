"""Live feeds: a websocket subscription (PumpPortal-style, or Solana ``logsSubscribe``) as an
async stream of ``(received_ts, text)``, and the normalisation of one message into rows.

Normalising reuses ``datasets.solana.feeds.message_rows`` (the same adapters the importers
use); whatever it refuses -- bad JSON, a missing field, a truncated event, anything -- comes
back as a quarantine reason, never as an exception, so one bad message cannot stop a runner.
A captured stream (JSON lines with ``received_ts``) replays through the same path on event
time: no wall clock, same result every time.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from memelab.datasets.solana.feeds import message_rows
from memelab.datasets.solana.parse import TxParse
from memelab.datasets.solana.programs import PUMPFUN
from memelab.live.logs import log_event

PUMPPORTAL_URL = "wss://pumpportal.fun/api/data"
TS_MIN = 1_420_070_400 * 10**9  # 2015-01-01, before Solana existed
TS_MAX = 4_102_444_800 * 10**9  # 2100-01-01


def pumpportal_subscriptions(token_keys: list[str] = (), accounts: list[str] = ()) -> list[dict]:
    subs: list[dict] = [{"method": "subscribeNewToken"}]
    if token_keys:
        subs.append({"method": "subscribeTokenTrade", "keys": list(token_keys)})
    if accounts:
        subs.append({"method": "subscribeAccountTrade", "keys": list(accounts)})
    return subs


def logs_subscription(program: str = PUMPFUN, commitment: str = "confirmed") -> list[dict]:
    return [{"jsonrpc": "2.0", "id": 1, "method": "logsSubscribe",
             "params": [{"mentions": [program]}, {"commitment": commitment}]}]  # fmt: skip


@dataclass(frozen=True)
class Normalised:
    parsed: TxParse | None  # None when quarantined
    reason: str | None  # why it was quarantined
    ack: bool = False  # a subscription acknowledgement (no rows, nothing wrong)


def normalise(kind: str, text: str | bytes, received_ts: int) -> Normalised:
    """One raw message -> rows, or a quarantine reason. Never raises."""
    try:
        doc = json.loads(text)
    except (ValueError, TypeError) as exc:
        return Normalised(None, f"not JSON: {exc}"[:200])
    if isinstance(doc, dict) and kind == "logs" and "result" in doc and "params" not in doc:
        return Normalised(TxParse(), None, ack=True)  # {"jsonrpc", "result": sub_id, "id"}
    try:
        parsed = message_rows(kind, doc, received_ts)
    except ValueError as exc:  # MalformedMessage / MalformedTransaction
        return Normalised(None, str(exc)[:500] or type(exc).__name__)
    except Exception as exc:  # a parser bug must not stop the runner either; keep the evidence
        return Normalised(None, f"parser error {type(exc).__name__}: {exc}"[:500])
    for row in parsed.swaps:  # what the adapters let through, the ledger and lake must hold
        if not (TS_MIN <= int(row["ts"]) <= TS_MAX):
            return Normalised(None, f"ts {row['ts']} outside 2015..2100 (field timestamp)")
    if kind == "pumpportal" and not parsed.swaps and not parsed.launches:
        return Normalised(parsed, None, ack=True)
    return Normalised(parsed, None)


class WebsocketFeed:
    """Subscribe and yield ``(received_ts_ns, text)``; reconnects (and re-subscribes) with a
    doubling back-off when the connection drops, until :meth:`stop`."""

    def __init__(self, url: str, subscriptions: list[dict], reconnect_s: float = 0.5,
                 max_backoff_s: float = 30.0):  # fmt: skip
        self.url = url
        self.subscriptions = subscriptions
        self.reconnect_s = reconnect_s
        self.max_backoff_s = max_backoff_s
        self.connects = 0
        self._stop = asyncio.Event()

    def stop(self) -> None:
        self._stop.set()

    async def messages(self) -> AsyncIterator[tuple[int, str]]:
        import websockets

        backoff = self.reconnect_s
        while not self._stop.is_set():
            try:
                async with websockets.connect(self.url, max_size=2**22) as ws:
                    self.connects += 1
                    backoff = self.reconnect_s
                    for sub in self.subscriptions:
                        await ws.send(json.dumps(sub))
                    while not self._stop.is_set():
                        try:
                            text = await asyncio.wait_for(ws.recv(), timeout=0.25)
                        except TimeoutError:
                            continue
                        yield (
                            time.time_ns(),
                            text if isinstance(text, str) else text.decode(errors="replace"),
                        )
            except (OSError, websockets.exceptions.WebSocketException) as exc:
                log_event("feed.disconnected", url=self.url, error=type(exc).__name__)
            if not self._stop.is_set():
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.max_backoff_s)


async def replay_capture(path: str | Path) -> AsyncIterator[tuple[int, str]]:
    """A capture written by :class:`~memelab.live.recorder.Recorder`, on its recorded clock."""
    with open(path) as fh:
        for line in fh:
            try:
                doc: Any = json.loads(line)
                yield int(doc["received_ts"]), doc["raw"]
            except (ValueError, KeyError, TypeError):
                yield 0, line  # quarantined downstream with its reason
