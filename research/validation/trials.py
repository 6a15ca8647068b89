"""The trials ledger: how many configurations were ever tried on a lake, per strategy.

The deflated Sharpe ratio asks "how good would the best of N unskilled trials look?". N must be
every configuration the researcher has looked at on this data, not only the current sweep's: a
researcher who ran twenty sweeps of 50 combinations and reports the best of the last one has
tried 1,000. So every ``memelab sweep`` and ``memelab validate`` adds its combination count to
``<lake>/_trials.json`` (keyed by strategy, with one line per run), and its DSR uses the total
so far, this run included. Delete the file only when the data is truly new to you. Python
callers of ``run_sweep`` record their own runs with :func:`record_trials`.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
from pathlib import Path
from typing import Any

from memelab.datasets.jsonio import write_json

LEDGER = "_trials.json"


def ledger_path(lake_root: str | os.PathLike[str]) -> Path:
    return Path(lake_root) / LEDGER


def _read(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        doc = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: unreadable trials ledger ({exc}); fix or delete it") from None
    return doc if isinstance(doc, dict) else {}


def trials_so_far(lake_root: str | os.PathLike[str], strategy: str) -> int:
    """Configurations tried on this lake and strategy by earlier runs."""
    entry = _read(ledger_path(lake_root)).get(strategy) or {}
    return int(entry.get("trials", 0))


def record_trials(
    lake_root: str | os.PathLike[str], strategy: str, n: int, kind: str, **detail: Any
) -> int:
    """Add ``n`` configurations tried by one ``kind`` run (sweep, validate); returns the new
    total for this lake and strategy. A lock file serialises concurrent runs."""
    if n < 0:
        raise ValueError(f"trials: n must be >= 0, got {n}")
    path = ledger_path(lake_root)
    try:
        return _append(path, strategy, n, kind, detail)
    except OSError as exc:
        raise ValueError(
            f"{path}: cannot record this run's {n} trials ({exc}); the DSR must count every trial, "
            "so make the lake writable (or copy it) and run again"
        ) from None


def _append(path: Path, strategy: str, n: int, kind: str, detail: dict[str, Any]) -> int:
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        doc = _read(path)
        entry = doc.setdefault(strategy, {"trials": 0, "runs": []})
        entry["trials"] = int(entry.get("trials", 0)) + int(n)
        entry.setdefault("runs", []).append(
            {
                "kind": kind,
                "configurations": int(n),
                "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                **detail,
            }
        )
        write_json(path, doc, sort_keys=True)
        return entry["trials"]
