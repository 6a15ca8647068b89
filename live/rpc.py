"""The Solana RPC calls the executor makes, through the async ``solana`` client.

Returns plain values and raises ``RpcError`` (with the method name) for anything that is not
an answer: transport failures, HTTP errors, JSON-RPC errors, malformed results. The executor
counts those for the RPC-failure circuit breaker; it never guesses an outcome from an error.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solana.rpc.models import TxOpts
from solders.hash import Hash
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import VersionedTransaction


class RpcError(RuntimeError):
    """An RPC call that returned no usable answer."""


@dataclass(frozen=True)
class SignatureStatus:
    slot: int
    err: Any  # None when the transaction succeeded
    confirmation: str | None  # processed / confirmed / finalized

    @property
    def confirmed(self) -> bool:
        return self.confirmation in ("confirmed", "finalized")


class SolanaRpc:
    def __init__(self, url: str, timeout: float = 10.0):
        self.url = url
        self.client = AsyncClient(url, commitment=Confirmed, timeout=timeout)

    async def aclose(self) -> None:
        await self.client.close()

    async def _call(self, name: str, coro) -> Any:
        try:
            resp = await coro
        except (KeyboardInterrupt, SystemExit, asyncio.CancelledError):
            raise
        except BaseException as exc:  # httpx, RPCException, parse errors -- and solders'
            # PanicException (a BaseException) on an error object it cannot deserialise
            raise RpcError(f"{name}: {type(exc).__name__}: {exc}"[:300]) from None
        if hasattr(resp, "message") and not hasattr(resp, "value"):  # an RPC error object
            raise RpcError(f"{name}: {resp.message}")
        return resp

    async def latest_blockhash(self) -> tuple[Hash, int]:
        resp = await self._call("getLatestBlockhash", self.client.get_latest_blockhash(Confirmed))
        return resp.value.blockhash, int(resp.value.last_valid_block_height)

    async def block_height(self) -> int:
        resp = await self._call("getBlockHeight", self.client.get_block_height(Confirmed))
        return int(resp.value)

    async def account(self, address: Pubkey) -> tuple[Pubkey, bytes] | None:
        """(owner, data) of an account, None when it does not exist."""
        resp = await self._call("getAccountInfo", self.client.get_account_info(address))
        if resp.value is None:
            return None
        return resp.value.owner, bytes(resp.value.data)

    async def simulate(self, tx: VersionedTransaction) -> tuple[Any, int]:
        """(err, units consumed) of a simulation without signature checks."""
        resp = await self._call(
            "simulateTransaction", self.client.simulate_transaction(tx, sig_verify=False)
        )
        return resp.value.err, int(resp.value.units_consumed or 0)

    async def send_raw(self, raw: bytes) -> str:
        """Broadcast signed bytes; no preflight (we simulated), no node-side retries (ours only
        re-send the very same bytes)."""
        opts = TxOpts(skip_preflight=True, max_retries=0, preflight_commitment=Confirmed)
        resp = await self._call("sendTransaction", self.client.send_raw_transaction(raw, opts))
        return str(resp.value)

    async def signature_status(self, signature: str) -> SignatureStatus | None:
        """The status with ``searchTransactionHistory``: None means the cluster does not know it."""
        resp = await self._call(
            "getSignatureStatuses",
            self.client.get_signature_statuses(
                [Signature.from_string(signature)], search_transaction_history=True
            ),
        )
        st = resp.value[0] if resp.value else None
        if st is None:
            return None
        conf = st.confirmation_status
        return SignatureStatus(
            int(st.slot), st.err, None if conf is None else str(conf).split(".")[-1].lower()
        )

    async def transaction_json(self, signature: str) -> dict[str, Any] | None:
        """The confirmed transaction as the RPC's ``json`` encoding (for our parser)."""
        resp = await self._call(
            "getTransaction",
            self.client.get_transaction(
                Signature.from_string(signature),
                encoding="json",
                commitment=Confirmed,
                max_supported_transaction_version=0,
            ),
        )
        doc = json.loads(resp.to_json())
        return doc.get("result")

    async def token_balance(self, token_account: Pubkey) -> int | None:
        try:
            resp = await self._call(
                "getTokenAccountBalance", self.client.get_token_account_balance(token_account)
            )
        except RpcError as exc:
            if "could not find account" in str(exc):
                return None
            raise
        return int(resp.value.amount)
