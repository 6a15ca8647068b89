"""Tiny hand-made event streams for the wallet-research tests (one helper, no fixtures)."""

from __future__ import annotations

import numpy as np
from memelab.datasets.schemas import EVENT_DTYPE

S = 1_000_000_000  # ns per second


def make_events(rows: list[tuple]) -> np.ndarray:
    """Rows of (t_seconds, mint, trader, side, price[, sol]); tokens = sol / price (sol default 1)."""
    ev = np.zeros(len(rows), dtype=EVENT_DTYPE)
    for i, row in enumerate(rows):
        t, mint, trader, side, price = row[:5]
        sol = row[5] if len(row) > 5 else 1.0
        ev[i]["ts"] = int(round(t * S))
        ev[i]["slot"] = i
        ev[i]["mint"] = mint
        ev[i]["pool"] = mint  # one pool per mint
        ev[i]["trader"] = trader
        ev[i]["side"] = side
        ev[i]["sol"] = sol
        ev[i]["price"] = price
        ev[i]["tokens"] = sol / price if price > 0 else np.nan
        ev[i]["vsol"] = np.nan
        ev[i]["vtok"] = np.nan
        ev[i]["fee"] = np.nan
    return ev


def alpha_market(
    seed: int = 0, n_mints: int = 12, n_wallets: int = 60, n_alpha: int = 5
) -> np.ndarray:
    """A small curve market where wallets 0..n_alpha-1 buy early on mints that then run +60%.

    Every mint lives 300 s on a constant-product curve (k of pump.fun). Good mints (even ids) rise
    after the alpha buys, then dump; the others drift down. Retail wallets trade both ways all along, so
    every mint has non-creator sells. Returns time-sorted ``EVENT_DTYPE`` events.
    """
    rng = np.random.default_rng(seed)
    k = 30.0 * 1_073_000_000.0
    rows = []
    for m in range(n_mints):
        t0 = 200.0 * m
        good = m % 2 == 0
        p0 = 30.0 / 1_073_000_000.0
        for j in range(120):
            t = t0 + 2.5 * j + rng.uniform(0, 1)
            drift = (1.6 if good else 0.75) ** (min(max(j - 12, 0), 60) / 60)
            if good and j > 72:  # the run ends in a dump: late retail buyers lose
                drift *= 0.4 ** ((j - 72) / 47)
            price = p0 * drift * np.exp(rng.normal(0, 0.01))
            if 8 <= j < 8 + n_alpha and (good or rng.random() < 0.1):
                trader, side = j - 8, 1
            else:
                trader = int(rng.integers(n_alpha, n_wallets))
                side = 1 if rng.random() < 0.6 else -1
            rows.append((t, m, trader, side, price, float(rng.uniform(0.1, 1.0))))
    rows.sort(key=lambda r: r[0])
    ev = make_events(rows)
    ev["vsol"] = np.sqrt(k * ev["price"])
    ev["vtok"] = np.sqrt(k / ev["price"])
    ev["venue"] = 0
    return ev


def base58_name(prefix: str, i: int) -> str:
    """A 44-character base58-looking address, unique per (prefix, i)."""
    body = (
        f"{prefix}{i:06d}".replace("0", "z").replace("l", "L").replace("I", "J").replace("O", "Q")
    )
    return (body + "1" * 44)[:44]


def write_lake(events: np.ndarray, root) -> object:
    """A lake holding ``events`` as swaps, with mint / wallet ids equal to the event ids."""
    import pyarrow as pa
    from memelab.datasets.lake import Lake

    lake = Lake(root)
    n_w = int(events["trader"].max()) + 1
    n_m = int(events["mint"].max()) + 1
    lake.ids_for("wallets", pa.array([base58_name("Wa", i) for i in range(n_w)]))
    lake.ids_for("mints", pa.array([base58_name("Mi", i) for i in range(n_m)]))
    t0 = 1_735_689_600 * S
    table = pa.table(
        {
            "ts": events["ts"] + t0,
            "slot": events["slot"],
            "signature": [f"sig{i}" for i in range(len(events))],
            "ix_index": np.zeros(len(events), np.int32),
            "mint": [base58_name("Mi", int(m)) for m in events["mint"]],
            "venue": ["pumpfun"] * len(events),
            "trader": [base58_name("Wa", int(w)) for w in events["trader"]],
            "side": events["side"],
            "sol_amount": events["sol"],
            "token_amount": events["tokens"],
            "price": events["price"],
            "virtual_sol_reserves": events["vsol"],
            "virtual_token_reserves": events["vtok"],
        }
    )
    lake.write("swaps", table, source="test")
    return lake
