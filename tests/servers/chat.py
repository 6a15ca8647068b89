"""Telegram Bot API and Discord webhook look-alikes: record what was sent, serve updates."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class ChatServer:
    token: str
    chat_id: int
    telegram: list[dict[str, Any]] = field(default_factory=list)
    discord: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    offsets: list[int] = field(default_factory=list)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/bot{token}/sendMessage", self.send_message)
        app.router.add_get("/bot{token}/getUpdates", self.get_updates)
        app.router.add_post("/api/webhooks/{id}/{secret}", self.webhook)
        return app

    def command(self, text: str, chat_id: int | None = None) -> None:
        uid = 1000 + len(self.updates)
        self.updates.append({"update_id": uid, "message": {
            "message_id": uid, "date": 1_750_000_000, "text": text,
            "chat": {"id": self.chat_id if chat_id is None else chat_id, "type": "private"}}})  # fmt: skip

    async def send_message(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        body = await request.json()
        self.telegram.append(body)
        return web.json_response({"ok": True, "result": {"message_id": len(self.telegram),
                                  "chat": {"id": body["chat_id"]}, "text": body["text"]}})  # fmt: skip

    async def get_updates(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        offset = int(request.query.get("offset", 0))
        self.offsets.append(offset)
        return web.json_response(
            {"ok": True, "result": [u for u in self.updates if u["update_id"] >= offset]}
        )

    async def webhook(self, request: web.Request) -> web.Response:
        self.discord.append(await request.json())
        return web.Response(status=204)
