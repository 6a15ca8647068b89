"""Reading balances straight from raw transaction JSON (independently of the parser under test)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures" / "solana"


def load(path: Path | str) -> dict[str, Any]:
    return json.loads(Path(path).read_text())


def result(doc: dict[str, Any]) -> dict[str, Any]:
    if "filters" in doc:
        return doc["transaction"]["transaction"]
    return doc.get("result", doc)


def account_keys(doc: dict[str, Any]) -> list[str]:
    r = result(doc)
    keys = r["transaction"]["message"]["accountKeys"]
    keys = [k["pubkey"] if isinstance(k, dict) else k for k in keys]
    loaded = r["meta"].get("loadedAddresses") or {}
    if keys and not isinstance(r["transaction"]["message"]["accountKeys"][0], dict):
        keys += loaded.get("writable", []) + loaded.get("readonly", [])
    return keys


def lamport_delta(doc: dict[str, Any], account: str) -> int:
    r = result(doc)
    i = account_keys(doc).index(account)
    return r["meta"]["postBalances"][i] - r["meta"]["preBalances"][i]


def token_deltas(doc: dict[str, Any], mint: str) -> dict[str, int]:
    """owner -> change of its ``mint`` balance in base units."""
    meta = result(doc)["meta"]
    out: dict[str, int] = {}
    for sign, key in ((-1, "preTokenBalances"), (1, "postTokenBalances")):
        for tb in meta[key]:
            if tb["mint"] == mint:
                owner = tb["owner"]
                out[owner] = out.get(owner, 0) + sign * int(tb["uiTokenAmount"]["amount"])
    return out
