"""A PumpPortal-style websocket: acknowledges subscriptions like the real one, then plays a
scripted list of raw messages (real ones from ../shared/data/api_examples/pumpportal, and
whatever mutations a test adds), then closes."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from aiohttp import WSMsgType, web


@dataclass
class PumpPortalServer:
    script: list[str]
    received: list[dict] = field(default_factory=list)
    connections: int = 0
    close_after: int | None = None  # drop the connection after this many messages (once)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/api/data", self.handle)
        return app

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.connections += 1
        first = await ws.receive()
        if first.type == WSMsgType.TEXT:
            self.received.append(json.loads(first.data))
            await ws.send_str(
                json.dumps({"message": "Successfully subscribed to token creation events."})
            )
        sent = getattr(self, "_sent", 0)
        for i, text in enumerate(self.script[sent:], start=sent):
            await ws.send_str(text)
            self._sent = i + 1
            if self.close_after is not None and self._sent == self.close_after:
                self.close_after = None
                await ws.close()
                return ws
        await ws.close()
        return ws
