"""Jupiter Swap API v1 over ``httpx``: ``/quote`` then ``/swap-instructions`` (never ``/swap``).

The quote fixes the route and its minimum output (``otherAmountThreshold``: ``outAmount`` less
``slippageBps``) at the moment we decide; ``/swap-instructions`` returns the route as plain
instructions plus lookup-table addresses, which :mod:`memelab.live.txbuild` assembles with our
own compute budget. Jupiter's ``computeBudgetInstructions`` are deliberately dropped.
Responses are checked against the OpenAPI shapes (``../shared/data/api_examples/jupiter``);
anything else raises ``JupiterError`` naming the field.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import httpx
from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey

DEFAULT_URL = "https://api.jup.ag/swap/v1"


class JupiterError(RuntimeError):
    """An HTTP failure or a response that does not follow the API; names the field."""


def _ix(obj: Any, where: str) -> Instruction:
    try:
        accounts = [
            AccountMeta(Pubkey.from_string(a["pubkey"]), bool(a["isSigner"]), bool(a["isWritable"]))
            for a in obj["accounts"]
        ]
        return Instruction(
            Pubkey.from_string(obj["programId"]), base64.b64decode(obj["data"]), accounts
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise JupiterError(f"{where}: not an instruction ({exc!r})") from None


@dataclass(frozen=True)
class SwapInstructions:
    setup: list[Instruction]
    swap: Instruction
    cleanup: list[Instruction]
    other: list[Instruction]
    lookup_tables: list[Pubkey]
    dropped_compute_budget: int  # how many of Jupiter's compute-budget instructions we dropped

    def body(self) -> list[Instruction]:
        return [*self.setup, self.swap, *self.cleanup, *self.other]


class JupiterClient:
    def __init__(
        self, base_url: str = DEFAULT_URL, api_key: str | None = None, timeout: float = 5.0
    ):
        headers = {"x-api-key": api_key} if api_key else {}
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"), headers=headers, timeout=timeout
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _call(self, method: str, path: str, **kw: Any) -> dict[str, Any]:
        try:
            resp = await self._http.request(method, path, **kw)
        except httpx.HTTPError as exc:
            raise JupiterError(f"{path}: {type(exc).__name__}: {exc}") from None
        if resp.status_code != 200:
            raise JupiterError(f"{path}: HTTP {resp.status_code}: {resp.text[:200]}")
        try:
            doc = resp.json()
        except ValueError:
            raise JupiterError(f"{path}: response is not JSON") from None
        if not isinstance(doc, dict):
            raise JupiterError(f"{path}: response is not an object")
        return doc

    async def quote(
        self, input_mint: str, output_mint: str, amount: int, slippage_bps: int
    ) -> dict[str, Any]:
        """An ExactIn quote; checked for the fields the swap needs."""
        q = await self._call(
            "GET",
            "/quote",
            params={
                "inputMint": input_mint,
                "outputMint": output_mint,
                "amount": str(int(amount)),
                "slippageBps": int(slippage_bps),
                "swapMode": "ExactIn",
            },
        )
        for key in ("inputMint", "outputMint", "inAmount", "outAmount", "otherAmountThreshold",
                    "slippageBps", "routePlan"):  # fmt: skip
            if key not in q:
                raise JupiterError(f"/quote: {key} missing")
        if q["inputMint"] != input_mint or q["outputMint"] != output_mint:
            raise JupiterError("/quote: answered for other mints")
        try:
            out, floor = int(q["outAmount"]), int(q["otherAmountThreshold"])
        except ValueError:
            raise JupiterError("/quote: outAmount/otherAmountThreshold not integers") from None
        if floor > out or floor < out - out * int(slippage_bps) // 10_000 - 1:
            raise JupiterError(
                f"/quote: otherAmountThreshold {floor} is not outAmount {out} less {slippage_bps} bps"
            )
        return q

    async def swap_instructions(self, quote: dict[str, Any], user: Pubkey) -> SwapInstructions:
        doc = await self._call(
            "POST",
            "/swap-instructions",
            json={
                "quoteResponse": quote,
                "userPublicKey": str(user),
                "wrapAndUnwrapSol": True,
                "dynamicComputeUnitLimit": False,
            },
        )
        for key in ("setupInstructions", "swapInstruction", "addressLookupTableAddresses"):
            if key not in doc:
                raise JupiterError(f"/swap-instructions: {key} missing")
        cleanup = doc.get("cleanupInstruction")
        try:
            tables = [Pubkey.from_string(a) for a in doc["addressLookupTableAddresses"]]
        except (TypeError, ValueError):
            raise JupiterError(
                "/swap-instructions: addressLookupTableAddresses malformed"
            ) from None
        return SwapInstructions(
            setup=[
                _ix(x, f"setupInstructions[{i}]") for i, x in enumerate(doc["setupInstructions"])
            ],
            swap=_ix(doc["swapInstruction"], "swapInstruction"),
            cleanup=[] if cleanup is None else [_ix(cleanup, "cleanupInstruction")],
            other=[
                _ix(x, f"otherInstructions[{i}]")
                for i, x in enumerate(doc.get("otherInstructions") or [])
            ],
            lookup_tables=tables,
            dropped_compute_budget=len(doc.get("computeBudgetInstructions") or []),
        )
