"""Solana transaction parsing throughput: real getTransaction results -> swaps rows.

Prints one JSON line: transactions per second parsed from decoded JSON (``parse_transaction``
on a dict) and from raw text (``json.loads`` included), with the workload and the machine.
Usage: ``python bench/parse.py [--transactions N]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

from memelab.datasets.solana.parse import parse_transaction

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("MEMELAB_SHARED_DATA", REPO.parent / "shared" / "data"))


def _documents() -> list[tuple[str, int | None]]:
    """(JSON text of one transaction, block time to supply) for every real fixture we have."""
    root = SHARED / "rpc_fixtures" if SHARED.is_dir() else REPO / "tests" / "fixtures" / "solana"
    out = []
    for path in sorted(root.rglob("*.json")):
        doc = json.loads(path.read_text())
        for tx in doc if isinstance(doc, list) else [doc]:
            out.append((json.dumps(tx), 1_735_623_500))  # geyser updates carry no clock
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--transactions", type=int, default=20_000)
    args = ap.parse_args()
    docs = _documents()
    reps = max(1, args.transactions // len(docs))
    texts = [d for d in docs for _ in range(reps)]
    dicts = [(json.loads(t), bt) for t, bt in texts]
    parse_transaction(*dicts[0])  # warm caches (IDL load)
    t0 = time.perf_counter()
    rows = sum(len(parse_transaction(d, block_time=bt).swaps) for d, bt in dicts)
    t_dict = time.perf_counter() - t0
    t0 = time.perf_counter()
    for text, bt in texts:
        parse_transaction(json.loads(text), block_time=bt)
    t_text = time.perf_counter() - t0
    n = len(texts)
    print(
        json.dumps(
            {
                "bench": "solana_parse",
                "transactions": n,
                "distinct_fixtures": len(docs),
                "swap_rows": rows,
                "tx_per_s_from_dict": round(n / t_dict),
                "tx_per_s_from_json_text": round(n / t_text),
                "mean_tx_bytes": round(sum(len(t) for t, _ in docs) / len(docs)),
                "python": platform.python_version(),
                "machine": f"{platform.machine()} {os.cpu_count()} cpus",
            }
        )
    )


if __name__ == "__main__":
    main()
