"""One normalised view of a Solana transaction, whatever form it arrived in.

Accepted forms: a ``getTransaction`` JSON-RPC envelope or its bare ``result`` (encodings ``json``,
``jsonParsed``, ``base64``/``base58`` where the message is decoded with ``solders``), a transaction
embedded in a ``getBlock`` result (``{meta, transaction, version}``, no slot or block time), and a
Yellowstone-geyser ``SubscribeUpdateTransaction`` message in JSON (``{filters, transaction:
{transaction: {signature, transaction, meta, index}, slot}}``; keys in base58 or base64).

Everything that does not fit raises ``MalformedTransaction`` naming the field, so the caller can
quarantine the transaction with its reason.
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from memelab.datasets.solana import validate as v
from memelab.datasets.solana.programs import b58decode
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import VersionedTransaction


class MalformedTransaction(v.Malformed):
    """The transaction cannot be read; the message names the field at fault."""


class Instruction:
    """One instruction; its data is decoded from base58/base64 only when asked for (most
    instructions of a transaction are never looked at, and decoding is the costly part)."""

    __slots__ = ("_data", "_raw", "accounts", "inner", "outer", "program")

    def __init__(
        self, program: str, accounts: tuple[int, ...], raw: Any, outer: int, inner: int
    ) -> None:
        self.program = program
        self.accounts = accounts  # indices into TxView.keys
        self._raw = raw  # bytes, an encoded string, or None (pre-parsed by the node)
        self._data: bytes | None = raw if isinstance(raw, bytes) or raw is None else None
        self.outer = outer  # index of the top-level instruction this one belongs to
        self.inner = inner  # -1 for the top-level instruction, else its inner position

    @property
    def data(self) -> bytes | None:
        if self._data is None and self._raw is not None:
            where = f"instruction {self.outer}" + (f".{self.inner}" if self.inner >= 0 else "")
            self._data = _data(self._raw, where)
        return self._data


@dataclass(slots=True)
class TokenBalance:
    mint: str
    owner: str | None
    amount: int  # base units
    decimals: int


@dataclass(slots=True)
class TxView:
    signature: str
    slot: int | None
    block_time: int | None  # unix seconds
    keys: list[str]
    num_signers: int
    instructions: list[Instruction]  # top-level and inner, in execution order
    logs: list[str] | None
    pre_lamports: list[int]
    post_lamports: list[int]
    pre_tokens: dict[int, TokenBalance] = field(default_factory=dict)
    post_tokens: dict[int, TokenBalance] = field(default_factory=dict)
    err: Any = None
    fee: int = 0

    @property
    def fee_payer(self) -> str:
        return self.keys[0]

    @property
    def failed(self) -> bool:
        return self.err is not None


def _key(value: Any, where: str) -> str:
    """A base58 address; geyser's protobuf JSON writes raw bytes as base64."""
    if isinstance(value, dict):
        value = value.get("pubkey")
    if isinstance(value, str) and len(value) == 44 and value.endswith("="):
        try:
            return str(Pubkey.from_bytes(base64.b64decode(value)))
        except ValueError as exc:
            raise MalformedTransaction(f"{where}: bad base64 address {value!r}") from exc
    try:
        return v.account_key(value, where)
    except v.Malformed as exc:
        raise MalformedTransaction(str(exc)) from None


def _data(value: Any, where: str) -> bytes:
    if isinstance(value, list) and len(value) == 2:  # [data, "base64"]
        value, enc = value
        if enc == "base64" and isinstance(value, str):
            try:
                return base64.b64decode(value, validate=True)
            except ValueError as exc:
                raise MalformedTransaction(f"{where}: instruction data is not base64") from exc
    if not isinstance(value, str):
        raise MalformedTransaction(f"{where}: instruction data is {type(value).__name__}")
    try:
        return b58decode(value)
    except ValueError:
        try:
            return base64.b64decode(value, validate=True)
        except ValueError as exc:
            raise MalformedTransaction(
                f"{where}: instruction data is neither base58 nor base64"
            ) from exc


def unwrap(obj: Any) -> tuple[dict[str, Any], int | None, int | None]:
    """(transaction-with-meta dict, slot, block_time) from any accepted envelope."""
    if not isinstance(obj, dict):
        raise MalformedTransaction(f"expected a JSON object, got {type(obj).__name__}")
    if "jsonrpc" in obj or ("result" in obj and "meta" not in obj):
        if obj.get("error"):
            raise MalformedTransaction(f"RPC error: {obj['error']}")
        obj = obj.get("result")
        if obj is None:
            raise MalformedTransaction("result is null (transaction not found)")
        if not isinstance(obj, dict):
            raise MalformedTransaction("result is not an object")
    inner = obj.get("transaction")
    if "filters" in obj or (isinstance(inner, dict) and isinstance(inner.get("transaction"), dict)):
        update = obj.get("transaction")
        if not isinstance(update, dict) or not isinstance(update.get("transaction"), dict):
            raise MalformedTransaction("geyser message without transaction.transaction")
        slot = update.get("slot")
        return update["transaction"], _int_or_none(slot, "slot"), _created_at(obj)
    block_time = obj.get("blockTime")
    return (
        obj,
        _int_or_none(obj.get("slot"), "slot"),
        None if block_time is None else _checked(v.unix_seconds, block_time, "blockTime"),
    )


def _created_at(update: dict[str, Any]) -> int | None:
    """Yellowstone's ``created_at`` (RFC 3339) in unix seconds: the best clock a geyser update
    has, since it carries no block time."""
    value = update.get("createdAt") or update.get("created_at")
    if value is None:
        return None
    try:
        seconds = int(dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp())
    except (ValueError, OverflowError) as exc:
        raise MalformedTransaction(f"createdAt {value!r} is not an RFC 3339 time") from exc
    return _checked(v.unix_seconds, seconds, "createdAt")


def _checked(read: Any, value: Any, where: str, *args: Any) -> Any:
    """``read(value, where, *args)`` from ``validate``, its failure as a ``MalformedTransaction``."""
    try:
        return read(value, where, *args)
    except v.Malformed as exc:
        raise MalformedTransaction(str(exc)) from None


def _int_or_none(value: Any, name: str) -> int | None:
    return _checked(v.optional_integer, value, name, 0, v.I64_MAX)


def tx_view(obj: Any) -> TxView:
    """Normalise any accepted form (see module docstring) into a ``TxView``.

    Every field is type- and range-checked here (``validate``), so what comes out is safe to
    compute with: addresses decode, indices are in range, amounts fit u64, logs are strings.
    """
    body, slot, block_time = unwrap(obj)
    meta = body.get("meta")
    if not isinstance(meta, dict):
        raise MalformedTransaction("meta is missing (the RPC node returned no status meta)")
    raw_tx = body.get("transaction")
    proto_bytes = False
    parsed_keys = False  # jsonParsed lists the lookup-table keys itself
    if isinstance(raw_tx, list) and len(raw_tx) == 2 and isinstance(raw_tx[0], str):
        keys, num_signers, top, signatures = _from_binary(raw_tx)
    elif isinstance(raw_tx, dict):
        msg = raw_tx.get("message")
        if not isinstance(msg, dict):
            raise MalformedTransaction("transaction.message is missing")
        signatures = raw_tx.get("signatures")
        if signatures is None and "signature" in body:
            signatures = [body["signature"]]
        signatures = _checked(v.sequence, signatures, "transaction.signatures", True)
        keys, num_signers, top = _from_json_message(msg)
        raw_keys = msg["accountKeys"]
        parsed_keys = isinstance(raw_keys[0], dict)
        # Protobuf JSON (geyser) writes every bytes field in base64, instruction data included.
        proto_bytes = isinstance(raw_keys[0], str) and raw_keys[0].endswith("=")
    else:
        raise MalformedTransaction("transaction is neither an object nor [data, encoding]")
    if not parsed_keys:
        keys = keys + _loaded_addresses(meta)
    if not signatures:
        raise MalformedTransaction("transaction.signatures is empty")
    signature = _signature(signatures[0])
    index = {k: i for i, k in enumerate(keys)}
    instructions: list[Instruction] = []
    inner_by_outer = _inner_instructions(meta.get("innerInstructions"), len(top))
    for i, ix in enumerate(top):
        instructions.append(_instruction(ix, keys, index, i, -1, proto_bytes))
        for j, inner in enumerate(inner_by_outer.get(i, ())):
            instructions.append(_instruction(inner, keys, index, i, j, proto_bytes))
    logs = meta.get("logMessages")
    if logs is not None:
        logs = _checked(v.sequence, logs, "meta.logMessages")
        if not all(isinstance(line, str) for line in logs):
            raise MalformedTransaction("meta.logMessages: a log line is not a string")
    return TxView(
        signature=signature,
        slot=slot,
        block_time=block_time,
        keys=keys,
        num_signers=num_signers,
        instructions=instructions,
        logs=logs,
        pre_lamports=_lamports(meta.get("preBalances"), "meta.preBalances"),
        post_lamports=_lamports(meta.get("postBalances"), "meta.postBalances"),
        pre_tokens=_token_balances(meta.get("preTokenBalances"), keys, "preTokenBalances"),
        post_tokens=_token_balances(meta.get("postTokenBalances"), keys, "postTokenBalances"),
        err=meta.get("err"),
        fee=_checked(v.integer, meta.get("fee") or 0, "meta.fee"),
    )


def _inner_instructions(raw: Any, n_top: int) -> dict[int, list[Any]]:
    """``meta.innerInstructions`` by the index of their top-level instruction."""
    out: dict[int, list[Any]] = {}
    for k, group in enumerate(_checked(v.sequence, raw, "meta.innerInstructions", True)):
        where = f"meta.innerInstructions[{k}]"
        group = _checked(v.mapping, group, where)
        index = _checked(v.integer, group.get("index"), f"{where}.index", 0, max(n_top - 1, 0))
        out[index] = _checked(v.sequence, group.get("instructions"), f"{where}.instructions")
    return out


def _lamports(raw: Any, where: str) -> list[int]:
    values = _checked(v.sequence, raw, where, True)
    if all(type(x) is int and 0 <= x <= v.U64_MAX for x in values):  # the usual case, one pass
        return values
    return [_checked(v.integer, x, f"{where}[{i}]") for i, x in enumerate(values)]


def _signature(value: Any) -> str:
    if isinstance(value, str) and value.endswith("=") and len(value) == 88:
        try:
            value = str(Signature.from_bytes(base64.b64decode(value)))
        except ValueError as exc:
            raise MalformedTransaction(f"signature {value!r} is not a base64 signature") from exc
    try:
        return v.signature(value, "signature")
    except v.Malformed as exc:
        raise MalformedTransaction(f"signature {value!r} is not a base58 signature") from exc


def _from_binary(raw: list[str]) -> tuple[list[str], int, list[Any], list[str]]:
    data, encoding = raw
    try:
        blob = base64.b64decode(data) if encoding == "base64" else b58decode(data)
        vtx = VersionedTransaction.from_bytes(blob)
    except Exception as exc:  # solders raises its own error types
        raise MalformedTransaction(f"transaction ({encoding}) does not decode: {exc}") from exc
    msg = vtx.message
    keys = [str(k) for k in msg.account_keys]
    top = [
        {"programIdIndex": ix.program_id_index, "accounts": list(ix.accounts), "raw": ix.data}
        for ix in msg.instructions
    ]
    return keys, msg.header.num_required_signatures, top, [str(s) for s in vtx.signatures]


def _from_json_message(msg: dict[str, Any]) -> tuple[list[str], int, list[Any]]:
    raw_keys = msg.get("accountKeys")
    if not isinstance(raw_keys, list) or not raw_keys:
        raise MalformedTransaction("transaction.message.accountKeys is missing or empty")
    keys = [_key(k, f"accountKeys[{i}]") for i, k in enumerate(raw_keys)]
    if isinstance(raw_keys[0], dict):  # jsonParsed
        num_signers = sum(1 for k in raw_keys if isinstance(k, dict) and k.get("signer") is True)
    else:
        header = _checked(v.mapping, msg.get("header"), "transaction.message.header", True)
        num_signers = _checked(
            v.integer, header.get("numRequiredSignatures", 1), "numRequiredSignatures", 0, 255
        )
    instructions = msg.get("instructions")
    if not isinstance(instructions, list):
        raise MalformedTransaction("transaction.message.instructions is missing")
    return keys, num_signers, instructions


def _loaded_addresses(meta: dict[str, Any]) -> list[str]:
    loaded = _checked(v.mapping, meta.get("loadedAddresses"), "meta.loadedAddresses", True)
    out = []
    for name, legacy in (
        ("writable", "loadedWritableAddresses"),
        ("readonly", "loadedReadonlyAddresses"),
    ):
        where = f"meta.loadedAddresses.{name}"
        keys = _checked(v.sequence, loaded.get(name) or meta.get(legacy), where, True)
        out.extend(_key(k, where) for k in keys)
    return out


def _instruction(
    ix: Any, keys: list[str], index: dict[str, int], outer: int, inner: int, b64: bool = False
) -> Instruction:
    where = f"instruction {outer}" + (f".{inner}" if inner >= 0 else "")
    if not isinstance(ix, dict):
        raise MalformedTransaction(f"{where}: not an object")
    if "programIdIndex" in ix:
        pidx = ix["programIdIndex"]
        if not isinstance(pidx, int) or not 0 <= pidx < len(keys):
            raise MalformedTransaction(f"{where}: programIdIndex {pidx!r} out of range")
        program = keys[pidx]
        accounts = ix.get("accounts") or []
        if isinstance(accounts, str):  # geyser protobuf JSON: account indices as base64 bytes
            try:
                accounts = list(base64.b64decode(accounts, validate=True))
            except ValueError as exc:
                raise MalformedTransaction(f"{where}: accounts are not base64") from exc
        if not isinstance(accounts, list) or any(
            not isinstance(a, int) or isinstance(a, bool) or not 0 <= a < len(keys)
            for a in accounts
        ):
            raise MalformedTransaction(f"{where}: account index out of range")
    elif "programId" in ix:  # jsonParsed
        program = _key(ix["programId"], f"{where}.programId")
        names = _checked(v.sequence, ix.get("accounts"), f"{where}.accounts", True)
        if not all(isinstance(a, str) and a in index for a in names):
            raise MalformedTransaction(f"{where}: an account is not in accountKeys")
        accounts = [index[a] for a in names]
        if "parsed" in ix:
            return Instruction(program, tuple(accounts), None, outer, inner)
    else:
        raise MalformedTransaction(f"{where}: neither programIdIndex nor programId")
    if "raw" in ix:
        raw: Any = bytes(ix["raw"])
    else:
        raw = ix.get("data", "")
        if b64 and isinstance(raw, str):
            raw = [raw, "base64"]
    return Instruction(program, tuple(accounts), raw, outer, inner)


def _token_balances(raw: Any, keys: list[str], name: str) -> dict[int, TokenBalance]:
    out: dict[int, TokenBalance] = {}
    for i, tb in enumerate(_checked(v.sequence, raw, f"meta.{name}", True)):
        where = f"meta.{name}[{i}]"
        tb = _checked(v.mapping, tb, where)
        ui = _checked(v.mapping, tb.get("uiTokenAmount"), f"{where}.uiTokenAmount")
        index = _checked(
            v.integer, tb.get("accountIndex"), f"{where}.accountIndex", 0, len(keys) - 1
        )
        out[index] = TokenBalance(
            mint=_checked(v.account_key, tb.get("mint"), f"{where}.mint"),
            owner=_checked(v.optional_account_key, tb.get("owner"), f"{where}.owner"),
            amount=_checked(v.integer, ui.get("amount"), f"{where}.uiTokenAmount.amount"),
            decimals=_checked(
                v.integer, ui.get("decimals"), f"{where}.uiTokenAmount.decimals", 0, 255
            ),
        )
    return out
