"""A loopback Jupiter Swap API v1 (``/quote``, ``/swap-instructions``), shaped like the OpenAPI
spec and example in ``../shared/data/api_examples/jupiter``. It quotes a fixed rate and returns
a swap whose accounts partly live in an address lookup table the Solana node also serves."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from memelab.live.pumpfun import TOKEN_PROGRAM, create_ata_idempotent
from solders.compute_budget import set_compute_unit_limit
from solders.pubkey import Pubkey

JUPITER_PROGRAM = "JUP6LkbZbjS1jKKwapdHNy74zcZ3tLUZoi5QNyVTaV4"


def _ix_json(ix) -> dict[str, Any]:
    return {
        "programId": str(ix.program_id),
        "accounts": [
            {"pubkey": str(a.pubkey), "isSigner": a.is_signer, "isWritable": a.is_writable}
            for a in ix.accounts
        ],  # fmt: skip
        "data": base64.b64encode(bytes(ix.data)).decode(),
    }


@dataclass
class JupiterServer:
    lookup_table: Pubkey
    table_addresses: list[Pubkey]
    rate: float = 2_000_000.0  # output base units per input lamport... any fixed rate
    requests: list[tuple[str, Any]] = field(default_factory=list)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/quote", self.quote)
        app.router.add_post("/swap-instructions", self.swap_instructions)
        app.router.add_post("/swap", self.swap)
        return app

    async def quote(self, request: web.Request) -> web.Response:
        q = dict(request.query)
        self.requests.append(("quote", q))
        amount, slip = int(q["amount"]), int(q.get("slippageBps", 50))
        out = (
            int(amount * self.rate)
            if q["inputMint"].startswith("So111")
            else int(amount / self.rate)
        )
        return web.json_response({
            "inputMint": q["inputMint"], "inAmount": str(amount), "outputMint": q["outputMint"],
            "outAmount": str(out), "otherAmountThreshold": str(out - out * slip // 10_000),
            "swapMode": "ExactIn", "slippageBps": slip, "platformFee": None, "priceImpactPct": "0",
            "routePlan": [{"swapInfo": {"ammKey": str(self.table_addresses[0]), "label": "Pump.fun Amm",
                           "inputMint": q["inputMint"], "outputMint": q["outputMint"],
                           "inAmount": str(amount), "outAmount": str(out)}, "percent": 100}],
            "contextSlot": 299283763, "timeTaken": 0.015,
        })  # fmt: skip

    async def swap_instructions(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append(("swap-instructions", body))
        user = body["userPublicKey"]
        out_mint = Pubkey.from_string(body["quoteResponse"]["outputMint"])
        setup = _ix_json(create_ata_idempotent(Pubkey.from_string(user), Pubkey.from_string(user),
                                               out_mint, TOKEN_PROGRAM))  # fmt: skip
        swap_accounts = [{"pubkey": user, "isSigner": True, "isWritable": True}] + [
            {"pubkey": str(a), "isSigner": False, "isWritable": i % 2 == 0}
            for i, a in enumerate(self.table_addresses)
        ]
        return web.json_response({
            "computeBudgetInstructions": [_ix_json(set_compute_unit_limit(1_400_000))],
            "setupInstructions": [setup],
            "swapInstruction": {"programId": JUPITER_PROGRAM, "accounts": swap_accounts,
                                "data": base64.b64encode(b"\xe5\x17\xcb\x97" + b"\x00" * 20).decode()},
            "cleanupInstruction": None,
            "otherInstructions": [],
            "addressLookupTableAddresses": [str(self.lookup_table)],
        })  # fmt: skip

    async def swap(self, request: web.Request) -> web.Response:
        self.requests.append(("swap", await request.json()))
        return web.json_response({"error": "this test server refuses /swap"}, status=400)
