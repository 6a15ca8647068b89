"""A JSON-RPC server on 127.0.0.1 serving real transactions, for the backfill tests.

It answers ``getSignaturesForAddress`` (newest first, ``before``/``until``/``limit``) and
``getTransaction`` from the given ``getTransaction`` results, and can be told to fail every
request after the first ``fail_after`` (HTTP 500), like a node that goes away midway, to answer
some requests 429 (rate limited), or to refuse some transactions with a JSON-RPC error.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from aiohttp import web


class FixtureRpc:
    def __init__(
        self,
        results: list[dict[str, Any]],
        fail_after: int | None = None,
        throttle: set[int] = frozenset(),
        refuse: set[str] = frozenset(),
    ):
        # newest first, as the real endpoint answers
        self.results = sorted(results, key=lambda r: r["slot"], reverse=True)
        self.by_sig = {r["transaction"]["signatures"][0]: r for r in self.results}
        self.fail_after = fail_after
        self.throttle = throttle  # request numbers answered 429 Too Many Requests
        self.refuse = refuse  # signatures answered with a JSON-RPC error
        self.requests = 0
        self.methods: list[str] = []

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests += 1
        if self.fail_after is not None and self.requests > self.fail_after:
            return web.Response(status=500, text="node went away")
        if self.requests in self.throttle:
            return web.Response(status=429, headers={"Retry-After": "0"}, text="slow down")
        self.methods.append(body["method"])
        params = body.get("params", [])
        if body["method"] == "getTransaction" and params[0] in self.refuse:
            error = {"code": -32009, "message": "Transaction version (1) is not supported"}
            return web.json_response({"jsonrpc": "2.0", "id": body["id"], "error": error})
        if body["method"] == "getSignaturesForAddress":
            result: Any = self._signatures(params[1] if len(params) > 1 else {})
        elif body["method"] == "getTransaction":
            result = self.by_sig.get(params[0])
        else:
            return web.json_response(
                {"jsonrpc": "2.0", "id": body["id"], "error": {"code": -32601, "message": "no"}}
            )
        return web.json_response({"jsonrpc": "2.0", "id": body["id"], "result": result})

    def _signatures(self, opts: dict[str, Any]) -> list[dict[str, Any]]:
        sigs = list(self.results)
        if opts.get("before"):
            idx = [r["transaction"]["signatures"][0] for r in sigs].index(opts["before"])
            sigs = sigs[idx + 1 :]
        if opts.get("until"):
            names = [r["transaction"]["signatures"][0] for r in sigs]
            if opts["until"] in names:
                sigs = sigs[: names.index(opts["until"])]
        sigs = sigs[: opts.get("limit", 1000)]
        return [
            {
                "signature": r["transaction"]["signatures"][0],
                "slot": r["slot"],
                "err": r["meta"]["err"],
                "memo": None,
                "blockTime": r["blockTime"],
                "confirmationStatus": "finalized",
            }
            for r in sigs
        ]


class ServerThread:
    """Run a ``FixtureRpc`` in a background thread; ``url`` is its address."""

    def __init__(self, rpc: FixtureRpc):
        self.rpc = rpc
        self.loop = asyncio.new_event_loop()
        self.url = ""
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        app = web.Application()
        app.router.add_post("/", self.rpc.handle)
        self.runner = web.AppRunner(app)
        self.loop.run_until_complete(self.runner.setup())
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        self.loop.run_until_complete(site.start())
        port = site._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        self._ready.set()
        self.loop.run_forever()

    def __enter__(self) -> ServerThread:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
