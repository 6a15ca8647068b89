"""AMM swaps without an event: the pre/post token-balance deltas of the pool's two vaults.

Used for Raydium (AMM v4, CPMM, CLMM, LaunchLab) and Meteora. The vaults are the instruction's
token accounts not owned by a signer whose balance changed; opposite signs are a swap (side from
the SOL vault: the pool gained SOL, the trader bought), the same sign a liquidity change (side 0).
Two swaps through the same pool in one transaction net out into one row.
"""

from __future__ import annotations

from collections import Counter

from memelab.datasets.solana.programs import BALANCE_DELTA_VENUES, LAMPORTS_PER_SOL, WSOL
from memelab.datasets.solana.rows import TxParse, swap_row, ts_ns
from memelab.datasets.solana.tx import TxView


def balance_delta_swaps(tv: TxView, out: TxParse, per_outer: Counter) -> None:
    signers = set(tv.keys[: max(tv.num_signers, 1)])
    seen_pairs: set[tuple[int, int]] = set()
    for ins in tv.instructions:
        spec = BALANCE_DELTA_VENUES.get(ins.program)
        if spec is None:
            continue
        venue, reserves_are_price = spec
        vaults = []
        for a in dict.fromkeys(ins.accounts):
            pre, post = tv.pre_tokens.get(a), tv.post_tokens.get(a)
            tb = post or pre
            if tb is None or tb.owner in signers:
                continue
            delta = (post.amount if post else 0) - (pre.amount if pre else 0)
            if delta:
                vaults.append((a, tb, delta, post.amount if post else 0))
        sol_vaults = [v for v in vaults if v[1].mint == WSOL]
        token_vaults = [v for v in vaults if v[1].mint != WSOL]
        if not vaults:
            continue
        if len(sol_vaults) != 1 or len({v[1].mint for v in token_vaults}) != 1:
            out.skipped["non_sol_pair" if not sol_vaults else "ambiguous_vaults"] += 1
            continue
        sv = sol_vaults[0]
        tvault = max(token_vaults, key=lambda v: abs(v[2]))
        pair = (sv[0], tvault[0])
        if pair in seen_pairs:
            continue
        seen_pairs.add(pair)
        sol_delta, tok_delta = sv[2], tvault[2]
        if (sol_delta > 0) != (tok_delta > 0):
            side = 1 if sol_delta > 0 else -1
        else:
            side = 0  # both vaults grew (add liquidity) or shrank (remove liquidity)
        dec = tvault[1].decimals
        row = swap_row(
            tv,
            ts_ns(tv),
            ins.outer,
            per_outer,
            mint=tvault[1].mint,
            venue=venue,
            trader=tv.fee_payer,
            side=side,
            sol_amount=abs(sol_delta) / LAMPORTS_PER_SOL,
            token_amount=abs(tok_delta) / 10**dec,
        )
        if reserves_are_price:
            row["virtual_sol_reserves"] = sv[3] / LAMPORTS_PER_SOL
            row["virtual_token_reserves"] = tvault[3] / 10**dec
        out.swaps.append(row)
