"""Assemble and sign a v0 transaction: our compute budget first, then the body, then the tip.

Jupiter's ``/swap`` returns a finished transaction that already carries compute-budget
instructions; adding ours would duplicate them and the runtime rejects the transaction. So we
take ``/swap-instructions`` (the body only) and build the message here, with the returned
address lookup tables, for every venue the same way.
"""

from __future__ import annotations

from collections.abc import Sequence

from memelab.live.compute_budget import FeePolicy, budget_instructions, tip_instruction
from memelab.live.keys import Wallet
from solders.address_lookup_table_account import AddressLookupTableAccount
from solders.compute_budget import ID as COMPUTE_BUDGET_ID
from solders.hash import Hash
from solders.instruction import Instruction
from solders.message import MessageV0, to_bytes_versioned
from solders.transaction import VersionedTransaction


def compile_message(
    wallet: Wallet,
    body: Sequence[Instruction],
    blockhash: Hash,
    cu_limit: int,
    policy: FeePolicy,
    lookup_tables: Sequence[AddressLookupTableAccount] = (),
) -> MessageV0:
    """The v0 message: compute budget, body, optional tip; fee payer = the wallet."""
    if any(ix.program_id == COMPUTE_BUDGET_ID for ix in body):
        raise ValueError("body carries compute-budget instructions: use /swap-instructions")
    ixs = [*budget_instructions(cu_limit, policy.priority_fee_lamports), *body]
    tip = tip_instruction(wallet.pubkey, policy)
    if tip is not None:
        ixs.append(tip)
    return MessageV0.try_compile(wallet.pubkey, ixs, list(lookup_tables), blockhash)


def sign(wallet: Wallet, message: MessageV0) -> VersionedTransaction:
    return VersionedTransaction(message, [wallet.keypair])


def verify(tx: VersionedTransaction) -> bool:
    """Every signature verifies against its signer and the serialised message."""
    msg = to_bytes_versioned(tx.message)
    keys = tx.message.account_keys
    return all(sig.verify(keys[i], msg) for i, sig in enumerate(tx.signatures))
