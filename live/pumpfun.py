"""pump.fun bonding-curve buy/sell instructions, built from the bundled IDL with ``solders``.

Every account comes from the IDL: fixed addresses as written, PDAs derived from their seeds
(constants, other accounts, fields of a fetched account such as ``bonding_curve.creator`` for the
creator vault), and the few free accounts (mint, user, fee recipient, user token account, token
program) supplied here. When pump.fun adds an account to ``buy``/``sell`` the new IDL brings it
along; nothing about the account list is hand-coded.

Amounts follow the curve in raw units (lamports, token base units): a buy of ``sol_in`` lamports
asks for the tokens the fresh curve gives after fees, with ``max_sol_cost`` = ``sol_in`` plus the
slippage tolerance; a sell asks ``min_sol_output`` = what the fresh curve pays after fees, less
the tolerance. Token vs Token-2022 is the mint account's owner; the user's token account is
created idempotently before a buy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from memelab.datasets.solana import idl as idl_mod
from memelab.datasets.solana.idl import Idl
from memelab.live.borsh import instruction_data
from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey

TOKEN_PROGRAM = Pubkey.from_string("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA")
TOKEN_2022_PROGRAM = Pubkey.from_string("TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb")
ATA_PROGRAM = Pubkey.from_string("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL")
SYSTEM_PROGRAM = Pubkey.from_string("11111111111111111111111111111111")
TOKEN_PROGRAMS = (TOKEN_PROGRAM, TOKEN_2022_PROGRAM)


class PumpError(ValueError):
    """The curve or an account cannot support the order; the message names what."""


def pump_idl() -> Idl:
    return idl_mod.bundled("pump")


def program_id(idl: Idl | None = None) -> Pubkey:
    return Pubkey.from_string((idl or pump_idl()).address)


def decode_account(idl: Idl, name: str, data: bytes) -> dict[str, Any]:
    """An Anchor account's fields (discriminator checked). Older, shorter accounts decode to the
    fields their bytes hold (a 2024 bonding curve has no ``creator``)."""
    spec = next((a for a in idl.doc.get("accounts", []) if a["name"] == name), None)
    if spec is None:
        raise PumpError(f"account type {name!r} not in IDL {idl.name}")
    if bytes(data[:8]) != bytes(spec["discriminator"]):
        raise PumpError(f"account data is not a {name} (discriminator {bytes(data[:8]).hex()})")
    out: dict[str, Any] = {}
    fields = idl.types[name]["type"]["fields"]
    # the decoder's own field walk: truncation-tolerant, identical to event decoding
    idl_mod._decode_fields(idl, fields, memoryview(bytes(data)), 8, out)
    return out


@dataclass(frozen=True)
class Curve:
    """A bonding curve as read from chain (raw units)."""

    virtual_token_reserves: int
    virtual_sol_reserves: int
    real_token_reserves: int
    complete: bool
    creator: Pubkey | None
    creator_fee_bps: int = 0
    is_mayhem_mode: bool = False

    @classmethod
    def from_account(cls, data: bytes, idl: Idl | None = None) -> Curve:
        f = decode_account(idl or pump_idl(), "BondingCurve", data)
        if "complete" not in f:
            raise PumpError("bonding curve account truncated before 'complete'")
        creator = f.get("creator")
        return cls(
            virtual_token_reserves=int(f["virtual_token_reserves"]),
            virtual_sol_reserves=int(
                f.get("virtual_quote_reserves", f.get("virtual_sol_reserves"))
            ),
            real_token_reserves=int(f["real_token_reserves"]),
            complete=bool(f["complete"]),
            creator=Pubkey.from_string(creator) if creator else None,
            creator_fee_bps=int(f.get("creator_fee_bps") or 0),
            is_mayhem_mode=bool(f.get("is_mayhem_mode") or False),
        )


@dataclass(frozen=True)
class GlobalConfig:
    fee_recipient: Pubkey
    reserved_fee_recipient: Pubkey | None
    fee_basis_points: int
    creator_fee_basis_points: int

    @classmethod
    def from_account(cls, data: bytes, idl: Idl | None = None) -> GlobalConfig:
        f = decode_account(idl or pump_idl(), "Global", data)
        reserved = f.get("reserved_fee_recipient")
        return cls(
            fee_recipient=Pubkey.from_string(f["fee_recipient"]),
            reserved_fee_recipient=Pubkey.from_string(reserved) if reserved else None,
            fee_basis_points=int(f["fee_basis_points"]),
            creator_fee_basis_points=int(f.get("creator_fee_basis_points") or 0),
        )

    def recipient_for(self, curve: Curve) -> Pubkey:
        """Mayhem-mode curves pay the reserved recipient; the rest the global one."""
        if curve.is_mayhem_mode and self.reserved_fee_recipient is not None:
            return self.reserved_fee_recipient
        return self.fee_recipient

    def fee_bps(self, curve: Curve) -> tuple[int, ...]:
        """(protocol, creator) fee rates in bps; each is charged separately, rounded up."""
        creator = curve.creator_fee_bps or self.creator_fee_basis_points
        return (self.fee_basis_points, creator if curve.creator is not None else 0)


def associated_token_address(owner: Pubkey, mint: Pubkey, token_program: Pubkey) -> Pubkey:
    return Pubkey.find_program_address(
        [bytes(owner), bytes(token_program), bytes(mint)], ATA_PROGRAM
    )[0]


def create_ata_idempotent(
    payer: Pubkey, owner: Pubkey, mint: Pubkey, token_program: Pubkey
) -> Instruction:
    """Associated Token Account ``CreateIdempotent`` (data ``[1]``): a no-op when it exists."""
    ata = associated_token_address(owner, mint, token_program)
    return Instruction(
        ATA_PROGRAM,
        bytes([1]),
        [
            AccountMeta(payer, True, True),
            AccountMeta(ata, False, True),
            AccountMeta(owner, False, False),
            AccountMeta(mint, False, False),
            AccountMeta(SYSTEM_PROGRAM, False, False),
            AccountMeta(token_program, False, False),
        ],
    )


def bonding_curve_address(mint: Pubkey, idl: Idl | None = None) -> Pubkey:
    return Pubkey.find_program_address([b"bonding-curve", bytes(mint)], program_id(idl))[0]


def global_address(idl: Idl | None = None) -> Pubkey:
    return Pubkey.find_program_address([b"global"], program_id(idl))[0]


def resolve_accounts(
    idl: Idl,
    instruction: str,
    given: dict[str, Pubkey],
    fetched: dict[str, dict[str, Any]] | None = None,
) -> list[AccountMeta]:
    """The instruction's accounts in IDL order with the IDL's signer/writable flags.

    ``given`` names the free accounts; PDAs and fixed addresses are resolved from the IDL,
    ``fetched`` holds decoded account data for seeds like ``bonding_curve.creator``."""
    ix = next((i for i in idl.doc["instructions"] if i["name"] == instruction), None)
    if ix is None:
        raise PumpError(f"instruction {instruction!r} not in IDL {idl.name}")
    fetched = fetched or {}
    resolved: dict[str, Pubkey] = dict(given)
    metas: list[AccountMeta] = []
    for acc in ix["accounts"]:
        name = acc["name"]
        if name not in resolved:
            if "address" in acc:
                resolved[name] = Pubkey.from_string(acc["address"])
            elif "pda" in acc:
                resolved[name] = _pda(idl, acc["pda"], resolved, fetched, name)
            else:
                raise PumpError(f"{instruction}: account {name!r} must be given")
        metas.append(
            AccountMeta(resolved[name], bool(acc.get("signer")), bool(acc.get("writable")))
        )
    return metas


def _pda(
    idl: Idl, pda: dict[str, Any], resolved: dict[str, Pubkey], fetched: dict[str, Any], name: str
) -> Pubkey:
    seeds = [_seed(s, resolved, fetched, name) for s in pda["seeds"]]
    prog = pda.get("program")
    if prog is None:
        owner = program_id(idl)
    elif prog["kind"] == "const":
        owner = Pubkey.from_bytes(bytes(prog["value"]))
    else:
        owner = _seed_key(prog["path"], resolved, fetched, name, idl)
    return Pubkey.find_program_address(seeds, owner)[0]


def _seed(seed: dict[str, Any], resolved: dict[str, Pubkey], fetched: dict[str, Any], name: str):
    if seed["kind"] == "const":
        return bytes(seed["value"])
    if seed["kind"] == "account":
        return bytes(_seed_key(seed["path"], resolved, fetched, name))
    raise PumpError(f"account {name!r}: seed kind {seed['kind']!r} not supported")


def _seed_key(
    path: str,
    resolved: dict[str, Pubkey],
    fetched: dict[str, Any],
    name: str,
    idl: Idl | None = None,
) -> Pubkey:
    if "." in path:  # a field of a fetched account, e.g. bonding_curve.creator
        account, field = path.split(".", 1)
        value = (fetched.get(account) or {}).get(field)
        if value is None:
            raise PumpError(f"account {name!r} needs {path}: fetch {account} first")
        return value if isinstance(value, Pubkey) else Pubkey.from_string(str(value))
    if path in resolved:
        return resolved[path]
    if idl is not None:  # an account defined later with a fixed address (e.g. fee_program)
        for ix in idl.doc["instructions"]:
            for acc in ix["accounts"]:
                if acc["name"] == path and "address" in acc:
                    return Pubkey.from_string(acc["address"])
    raise PumpError(f"account {name!r} needs account {path!r} resolved first")


@dataclass(frozen=True)
class PumpOrder:
    """What a built order asks of the program (raw units) and the quote behind it."""

    side: int
    instructions: list[Instruction]
    token_amount: int  # buy: tokens asked for; sell: tokens sold
    sol_limit: int  # buy: max_sol_cost; sell: min_sol_output (lamports)
    expected_sol: int  # buy: SOL the fresh curve charges incl. fees; sell: pays after fees
    fee_bps: int  # total of the components


def fee_lamports(sol: int, fee_bps: tuple[int, ...]) -> int:
    """The program's fees on ``sol`` lamports: each component ceil(sol * bps / 10_000)."""
    return sum(-(-sol * b // 10_000) for b in fee_bps)


def quote_buy_tokens(curve: Curve, sol_in: int, fee_bps: tuple[int, ...]) -> int:
    """Tokens for ``sol_in`` lamports including fees: net = sol_in / (1 + fee), vT*net/(vS+net)."""
    net = sol_in * 10_000 // (10_000 + sum(fee_bps))
    out = curve.virtual_token_reserves * net // (curve.virtual_sol_reserves + net)
    return min(out, curve.real_token_reserves)


def buy_cost(curve: Curve, tokens: int, fee_bps: tuple[int, ...]) -> int:
    """Lamports a buy of ``tokens`` costs, fees included: the program's vS*t // (vT - t) + 1."""
    if tokens >= curve.virtual_token_reserves:
        raise PumpError("buy larger than the curve's virtual token reserves")
    vs, vt = curve.virtual_sol_reserves, curve.virtual_token_reserves
    sol = vs * tokens // (vt - tokens) + 1
    return sol + fee_lamports(sol, fee_bps)


def sell_proceeds(curve: Curve, tokens: int, fee_bps: tuple[int, ...]) -> int:
    """Lamports a sell of ``tokens`` pays after fees: vS*t // (vT + t) less the fees."""
    vs, vt = curve.virtual_sol_reserves, curve.virtual_token_reserves
    sol = vs * tokens // (vt + tokens)
    return sol - fee_lamports(sol, fee_bps)


def _given(user: Pubkey, mint: Pubkey, token_program: Pubkey, fee_recipient: Pubkey, idl: Idl):
    if token_program not in TOKEN_PROGRAMS:
        raise PumpError(f"mint {mint} is owned by {token_program}, not a token program")
    curve = bonding_curve_address(mint, idl)
    return {
        "user": user,
        "mint": mint,
        "token_program": token_program,
        "fee_recipient": fee_recipient,
        "bonding_curve": curve,
        "associated_user": associated_token_address(user, mint, token_program),
    }


def build_buy(
    user: Pubkey,
    mint: Pubkey,
    token_program: Pubkey,
    curve: Curve,
    config: GlobalConfig,
    sol_in: int,
    slippage_bps: int,
    track_volume: bool = True,
    idl: Idl | None = None,
) -> PumpOrder:
    """Create-ATA-idempotent + ``buy`` for ``sol_in`` lamports at the fresh ``curve``."""
    idl = idl or pump_idl()
    if curve.complete:
        raise PumpError(f"bonding curve of {mint} is complete: route to PumpSwap or Jupiter")
    if sol_in <= 0:
        raise PumpError(f"buy size {sol_in} lamports must be > 0")
    fee_bps = config.fee_bps(curve)
    tokens = quote_buy_tokens(curve, sol_in, fee_bps)
    if tokens <= 0:
        raise PumpError(f"curve of {mint} has no tokens left to buy")
    expected = buy_cost(curve, tokens, fee_bps)
    max_cost = expected + expected * slippage_bps // 10_000
    given = _given(user, mint, token_program, config.recipient_for(curve), idl)
    fetched = {"bonding_curve": {"creator": curve.creator}}
    metas = resolve_accounts(idl, "buy", given, fetched)
    data = instruction_data(
        idl, "buy", {"amount": tokens, "max_sol_cost": max_cost, "track_volume": track_volume}
    )
    ixs = [
        create_ata_idempotent(user, user, mint, token_program),
        Instruction(program_id(idl), data, metas),
    ]
    return PumpOrder(1, ixs, tokens, max_cost, expected, sum(fee_bps))


def build_sell(
    user: Pubkey,
    mint: Pubkey,
    token_program: Pubkey,
    curve: Curve,
    config: GlobalConfig,
    tokens: int,
    slippage_bps: int,
    idl: Idl | None = None,
) -> PumpOrder:
    """``sell`` of ``tokens`` base units with ``min_sol_output`` from the fresh ``curve``."""
    idl = idl or pump_idl()
    if curve.complete:
        raise PumpError(f"bonding curve of {mint} is complete: route to PumpSwap or Jupiter")
    if tokens <= 0:
        raise PumpError(f"sell size {tokens} must be > 0")
    fee_bps = config.fee_bps(curve)
    expected = sell_proceeds(curve, tokens, fee_bps)
    min_out = expected - expected * slippage_bps // 10_000
    given = _given(user, mint, token_program, config.recipient_for(curve), idl)
    fetched = {"bonding_curve": {"creator": curve.creator}}
    metas = resolve_accounts(idl, "sell", given, fetched)
    data = instruction_data(idl, "sell", {"amount": tokens, "min_sol_output": min_out})
    return PumpOrder(
        -1, [Instruction(program_id(idl), data, metas)], tokens, min_out, expected, sum(fee_bps)
    )
