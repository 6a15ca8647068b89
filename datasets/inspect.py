"""What is in a lake (``lake_info``) and whether it is sound (``validate_lake``)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow.parquet as pq
from memelab.datasets import schemas
from memelab.datasets.lake import Lake, _sha256_file

_DISTINCT = {"swaps": ("mint_id", "trader_id"), "launches": ("mint_id", None)}


def _iso(ns: int | None) -> str | None:
    if ns is None:
        return None
    return str(np.datetime64(int(ns), "ns").astype("datetime64[ms]")) + "Z"


def lake_info(lake: Lake) -> dict[str, Any]:
    """Per table: rows, time range, distinct mints/wallets, partitions, bytes, content hash.

    The shape ``{"tables": {name: {"rows": N, ...}}, "root": ..., ...}`` is a public contract
    (``memelab data info --json``).
    """
    lake.require()
    con = lake.connect()
    tables: dict[str, Any] = {}
    try:
        for name in lake.tables():
            m = lake.manifest(name)
            entry: dict[str, Any] = {
                "rows": m["rows"],
                "bytes": m["bytes"],
                "files": len(m["files"]),
                "partitions": len(lake.partitions(name)) if name in schemas.PARTITION_COLUMN else 0,
                "schema_version": m["schema_version"],
                "sources": m["sources"],
                "content_hash": m["content_hash"],
            }
            tr = m.get("time_range")
            if tr:
                entry["time_range"] = {
                    "start_ns": tr[0],
                    "end_ns": tr[1],
                    "start": _iso(tr[0]),
                    "end": _iso(tr[1]),
                }
            mint_col, wallet_col = _DISTINCT.get(name, (None, None))
            if m["rows"] and mint_col:
                entry["distinct_mints"] = int(
                    con.sql(f"SELECT count(DISTINCT {mint_col}) FROM {name}").fetchall()[0][0]
                )
            if m["rows"] and wallet_col:
                entry["distinct_wallets"] = int(
                    con.sql(f"SELECT count(DISTINCT {wallet_col}) FROM {name}").fetchall()[0][0]
                )
            tables[name] = entry
    finally:
        con.close()
    quarantined = sorted((lake.root / "_quarantine").glob("*.jsonl"))
    return {
        "root": str(lake.root.resolve()),
        "tables": tables,
        "dictionary": {k: len(lake.dictionary(k)) for k in ("mints", "wallets")},
        "quarantine_files": len(quarantined),
        "bytes": int(sum(t["bytes"] for t in tables.values())),
    }


def validate_lake(lake: Lake) -> list[str]:
    """Problems found (empty when sound): schema, ordering, duplicate keys, manifest hashes."""
    lake.require()
    problems: list[str] = []
    for name in lake.tables():
        before = len(problems)
        m = lake.manifest(name)
        declared = schemas.TABLE_SCHEMAS.get(name)
        on_disk = {str(p.relative_to(lake.root)) for p in lake.files(name)}
        listed = set(m["files"])
        for rel in sorted(on_disk - listed):
            problems.append(f"{name}: file {rel} is not in the manifest")
        for rel in sorted(listed - on_disk):
            problems.append(f"{name}: manifest lists {rel} but it is missing")
        pcol = schemas.PARTITION_COLUMN.get(name)
        for rel in sorted(listed & on_disk):
            path = lake.root / rel
            if _sha256_file(path) != m["files"][rel]["sha256"]:
                problems.append(f"{name}: {rel} content hash differs from the manifest")
                continue
            schema = pq.read_schema(path)
            if declared is not None:
                want = [(f.name, f.type) for f in declared]
                have = [(f.name, f.type) for f in schema]
                if want != have:
                    problems.append(f"{name}: {rel} schema {have} differs from declared {want}")
                    continue
            if pcol is not None:
                ts = pq.read_table(path, columns=[pcol]).column(pcol).to_numpy()
                if len(ts) > 1 and np.any(np.diff(ts) < 0):
                    problems.append(f"{name}: {rel} is not sorted by {pcol}")
        if declared is None or not listed or len(problems) > before:
            continue  # key check needs every file readable
        keys = ", ".join(schemas.DEDUPE_KEYS[name])
        con = lake.connect()
        try:
            dups = con.sql(
                f"SELECT count(*) FROM (SELECT {keys} FROM {name} GROUP BY {keys} HAVING count(*) > 1)"
            ).fetchall()[0][0]
        finally:
            con.close()
        if dups:
            problems.append(f"{name}: {dups} duplicate keys ({keys})")
    return problems
