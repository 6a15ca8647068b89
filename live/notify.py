"""Telegram and Discord notifications over their HTTP APIs, and Telegram control commands.

Messages: daily summary, risk triggers (breakers, kill switch), big wins and stop-losses,
wallet tier changes, health. Control: ``/status``, ``/pause``, ``/resume`` -- accepted only from
the configured chat. Tokens and webhook URLs come from environment variables and are never
logged: an HTTP error is reported without the URL.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from memelab.live.logs import log_event


class Channel:
    name = "channel"

    async def send(self, text: str) -> bool: ...


class TelegramChannel(Channel):
    """Bot API: ``POST {base}/bot{token}/sendMessage``, ``GET .../getUpdates``."""

    name = "telegram"

    def __init__(self, token: str, chat_id: str, base_url: str = "https://api.telegram.org",
                 client: httpx.AsyncClient | None = None):  # fmt: skip
        self._base = f"{base_url.rstrip('/')}/bot{token}"
        self.chat_id = str(chat_id)
        self._http = client or httpx.AsyncClient(timeout=5.0)
        self._offset = 0

    async def send(self, text: str) -> bool:
        try:
            r = await self._http.post(f"{self._base}/sendMessage",
                                      json={"chat_id": self.chat_id, "text": text})  # fmt: skip
            return r.status_code == 200 and bool(r.json().get("ok"))
        except (httpx.HTTPError, ValueError) as exc:
            log_event("notify.error", channel=self.name, error=type(exc).__name__)
            return False

    async def commands(self) -> list[str]:
        """New command texts from the configured chat (others are ignored)."""
        try:
            r = await self._http.get(f"{self._base}/getUpdates",
                                     params={"offset": self._offset, "timeout": 0})  # fmt: skip
            doc = r.json()
        except (httpx.HTTPError, ValueError) as exc:
            log_event("notify.error", channel=self.name, error=type(exc).__name__)
            return []
        out = []
        for upd in doc.get("result") or []:
            if not isinstance(upd, dict) or not isinstance(upd.get("update_id"), int):
                continue
            self._offset = max(self._offset, upd["update_id"] + 1)
            msg = upd.get("message") or {}
            if str((msg.get("chat") or {}).get("id")) != self.chat_id:
                log_event("control.refused", channel=self.name, reason="unknown chat")
                continue
            text = msg.get("text")
            if isinstance(text, str) and text.startswith("/"):
                out.append(text.split()[0].split("@")[0])
        return out

    async def aclose(self) -> None:
        await self._http.aclose()


class DiscordChannel(Channel):
    """A channel webhook: ``POST {webhook}`` with ``{"content": text}`` (204 on success)."""

    name = "discord"

    def __init__(self, webhook_url: str, client: httpx.AsyncClient | None = None):
        self._url = webhook_url
        self._http = client or httpx.AsyncClient(timeout=5.0)

    async def send(self, text: str) -> bool:
        try:
            r = await self._http.post(self._url, json={"content": text[:2000]})
            return r.status_code in (200, 204)
        except httpx.HTTPError as exc:
            log_event("notify.error", channel=self.name, error=type(exc).__name__)
            return False

    async def aclose(self) -> None:
        await self._http.aclose()


@dataclass(frozen=True)
class NotifyPolicy:
    big_win_pct: float = 50.0  # a closed trade returning at least this (%) is announced


class Notifier:
    def __init__(self, channels: list[Channel], policy: NotifyPolicy | None = None):
        self.channels = channels
        self.policy = policy or NotifyPolicy()
        self.sent: list[str] = []

    async def send(self, text: str) -> None:
        self.sent.append(text)
        for ch in self.channels:
            await ch.send(text)

    async def risk_trigger(self, name: str, reason: str) -> None:
        await self.send(f"RISK {name}: {reason}. New entries stopped.")

    async def trade_closed(self, trade: dict[str, Any]) -> None:
        entry = trade["entry_sol"]
        ret = (trade["exit_sol"] / entry - 1.0) * 100 if entry else math.nan
        if trade["exit_reason"] == "stop_loss":
            await self.send(
                f"STOP-LOSS {trade['mint']}: {ret:+.1f}% ({trade['exit_sol'] - entry:+.4f} SOL)"
            )
        elif ret >= self.policy.big_win_pct:
            await self.send(
                f"BIG WIN {trade['mint']}: {ret:+.1f}% ({trade['exit_sol'] - entry:+.4f} SOL)"
            )

    async def tier_change(self, wallet: str, old: str, new: str) -> None:
        await self.send(f"TIER {wallet}: {old} -> {new}")

    async def health(self, status: dict[str, Any]) -> None:
        await self.send("HEALTH " + ", ".join(f"{k}={v}" for k, v in sorted(status.items())))

    async def daily_summary(self, day: str, trades: list[dict[str, Any]], equity: float,
                            sprt: dict[str, Any] | None = None) -> None:  # fmt: skip
        pnl = sum(t["exit_sol"] - t["entry_sol"] for t in trades)
        wins = sum(1 for t in trades if t["exit_sol"] > t["entry_sol"])
        text = (f"DAILY {day}: {len(trades)} trades, {wins} wins, P&L {pnl:+.4f} SOL, "
                f"equity {equity:.4f} SOL")  # fmt: skip
        if sprt is not None:
            text += f"; live SPRT vs backtest: {sprt.get('decision')} (n={sprt.get('n')})"
        await self.send(text)


class ControlLoop:
    """Map control commands to actions; unknown commands get the list of known ones."""

    def __init__(self, channel: TelegramChannel, status: Callable[[], str],
                 pause: Callable[[], None], resume: Callable[[], None]):  # fmt: skip
        self.channel = channel
        self.handlers = {"/status": status, "/pause": pause, "/resume": resume}

    async def poll_once(self) -> list[str]:
        done = []
        for cmd in await self.channel.commands():
            fn = self.handlers.get(cmd)
            if fn is None:
                await self.channel.send(f"unknown {cmd}; known: {', '.join(self.handlers)}")
                continue
            out = fn()
            reply = out if isinstance(out, str) else f"{cmd[1:]}d" if cmd != "/status" else ""
            await self.channel.send(reply or "ok")
            log_event("control.command", command=cmd)
            done.append(cmd)
        return done
