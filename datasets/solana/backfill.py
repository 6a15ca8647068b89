"""RPC backfill: page ``getSignaturesForAddress`` + ``getTransaction`` into a lake, resumably.

A *walk* goes from the newest signature of a program back in time until the lower bound
(``from_slot``, ``since``) or the previous walk's head. After every page of transactions is
written to the lake (and its bad transactions quarantined) the cursor is saved in
``<lake>/_checkpoints/backfill-<program>.json``; a run that dies midway resumes from the last saved
page, and the lake's (signature, ix_index) dedupe makes the re-fetched page add nothing. A run
after a finished walk fetches only what is newer than that walk's head. Requests go through the
async ``solana`` client (``AsyncClient``), rate-limited to ``rps`` requests per second.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from memelab.datasets.lake import Lake, LakeError
from memelab.datasets.solana.convert import launches_table, merge_graduations, swaps_table
from memelab.datasets.solana.parse import TxParse, parse_transaction
from memelab.datasets.solana.programs import PROGRAM_OF_NAME
from memelab.datasets.solana.tx import MalformedTransaction

T = TypeVar("T")


class BackfillError(LakeError):
    """The RPC failed or refused; progress up to the last saved page is kept."""


@dataclass
class BackfillReport:
    program: str
    pages: int = 0
    signatures: int = 0
    fetched: int = 0
    swaps_added: int = 0
    duplicates: int = 0
    launches_added: int = 0
    quarantined: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    complete: bool = False  # the walk reached its lower bound
    checkpoint: str = ""

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def checkpoint_path(lake: Lake, program: str) -> Path:
    return lake.root / "_checkpoints" / f"backfill-{program}.json"


def _load_state(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise BackfillError(
            f"{path}: checkpoint is not JSON ({exc}); delete it to start over"
        ) from exc


def _save_state(path: Path, state: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=2, sort_keys=True))
    tmp.replace(path)


def resolve_program(program: str) -> tuple[str, str]:
    """(name, program id) for a name (pumpfun, pumpswap, raydium, ...) or a raw program id."""
    if program in PROGRAM_OF_NAME:
        return program, PROGRAM_OF_NAME[program]
    if len(program) >= 32:
        return program, program
    raise BackfillError(
        f"--program {program!r}: use one of {sorted(PROGRAM_OF_NAME)} or a program id"
    )


def check_rpc_url(url: str) -> str:
    """An http(s) URL with a host, else a ``BackfillError`` naming it (nothing to resume then)."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(str(url))
    except ValueError as exc:
        raise BackfillError(f"--rpc {url!r}: not a URL ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BackfillError(
            f"--rpc {url!r}: not an http(s) URL with a host, e.g. https://api.mainnet-beta.solana.com"
        )
    return str(url)


async def backfill_async(
    lake: Lake,
    rpc_url: str,
    program: str,
    from_slot: int | None = None,
    since: int | None = None,
    limit: int | None = None,
    rps: float = 10.0,
    page_size: int = 1000,
    concurrency: int = 8,
    retries: int = 4,
    backoff_s: float = 1.0,
    on_page: Callable[[BackfillReport], None] | None = None,
) -> BackfillReport:
    """Backfill ``program``'s transactions into ``lake``; see the module docstring.

    ``since`` is a unix time in seconds; ``limit`` caps the transactions fetched in this run.
    A node that answers HTTP 429 (rate limited) is retried ``retries`` times, waiting
    ``Retry-After`` or ``backoff_s * 2**attempt``; other transport failures stop the run (resume
    later); a JSON-RPC error for one transaction quarantines that transaction.
    """
    from solana.exceptions import SolanaRpcException
    from solana.rpc.async_api import AsyncClient
    from solana.rpc.core import RPCException
    from solders.pubkey import Pubkey
    from solders.signature import Signature

    name, program_id = resolve_program(program)
    check_rpc_url(rpc_url)
    if rps <= 0:
        raise BackfillError(f"--rps must be > 0, got {rps}")
    if not 1 <= page_size <= 1000:
        raise BackfillError(f"page size must be in 1..1000, got {page_size}")
    path = checkpoint_path(lake, name)
    state = _load_state(path)
    if state.get("program_id", program_id) != program_id:
        raise BackfillError(f"{path} belongs to program {state['program_id']}, not {program_id}")
    walk = state.get("walk") or {"head": None, "before": None}
    until = state.get("complete_head")
    report = BackfillReport(program=name, checkpoint=str(path))
    skipped: Counter = Counter()
    source = f"backfill:{name}"
    address = Pubkey.from_string(program_id)
    fetched_total = 0
    sem = asyncio.Semaphore(concurrency)
    async with AsyncClient(rpc_url, rate_limit=rps, timeout=30, http2=False) as client:

        async def fetch(sig: Any) -> Any:
            async with sem:
                try:
                    r = await _retrying(
                        partial(
                            client.get_transaction,
                            sig,
                            encoding="json",
                            max_supported_transaction_version=0,
                        ),
                        retries,
                        backoff_s,
                    )
                except RPCException as exc:  # the node refused this one transaction
                    return _Refused(str(exc))
                return None if r.value is None else json.loads(r.value.to_json())

        try:
            while True:
                page_limit = page_size if limit is None else min(page_size, limit - fetched_total)
                if page_limit <= 0:
                    break
                resp = await _retrying(
                    partial(
                        client.get_signatures_for_address,
                        address,
                        before=Signature.from_string(walk["before"]) if walk["before"] else None,
                        until=Signature.from_string(until) if until else None,
                        limit=page_limit,
                    ),
                    retries,
                    backoff_s,
                )
                infos = list(resp.value)
                report.pages += 1
                if not infos:
                    report.complete = True
                    break
                if walk["head"] is None:
                    walk["head"] = str(infos[0].signature)
                in_range = [
                    i
                    for i in infos
                    if (from_slot is None or i.slot >= from_slot)
                    and (since is None or i.block_time is None or i.block_time >= since)
                ]
                reached_bound = len(in_range) < len(infos)
                report.signatures += len(in_range)
                todo = [i for i in in_range if i.err is None]
                skipped["failed_transaction"] += len(in_range) - len(todo)
                docs = await asyncio.gather(*(fetch(i.signature) for i in todo))
                fetched_total += len(in_range)
                report.fetched += len(todo)
                _write_page(lake, source, todo, docs, report, skipped)
                walk["before"] = str(infos[-1].signature)
                _save_state(path, {"program_id": program_id, "walk": walk, "complete_head": until})
                if on_page is not None:
                    on_page(report)
                if reached_bound or len(infos) < page_limit:
                    report.complete = True
                    break
        except (SolanaRpcException, RPCException) as exc:
            if report.pages == 0 and not path.exists():
                raise BackfillError(
                    f"RPC {rpc_url} failed before any page was fetched: {exc}; nothing was "
                    "written: check the URL and that the node answers getSignaturesForAddress"
                ) from exc
            raise BackfillError(
                f"RPC {rpc_url} failed (after {report.pages} signature page(s)): {exc}; progress "
                f"is saved in {path}, run the same command again to resume"
            ) from exc
    if report.complete:
        head = walk["head"] or until
        _save_state(path, {"program_id": program_id, "walk": None, "complete_head": head})
    report.skipped = dict(sorted(skipped.items()))
    return report


@dataclass(frozen=True)
class _Refused:
    reason: str


async def _retrying(call: Callable[[], Awaitable[T]], retries: int, backoff_s: float) -> T:
    """``await call()``, retrying when the node says 429 Too Many Requests."""
    from solana.exceptions import SolanaRpcException

    for attempt in range(retries + 1):
        try:
            return await call()
        except SolanaRpcException as exc:
            response = getattr(exc.__cause__, "response", None)
            if response is None or response.status_code != 429 or attempt == retries:
                raise
            wait = response.headers.get("retry-after")
            try:
                delay = float(wait) if wait is not None else backoff_s * 2**attempt
            except ValueError:
                delay = backoff_s * 2**attempt
            await asyncio.sleep(min(delay, 60.0))
    raise AssertionError("unreachable")


def _write_page(
    lake: Lake,
    source: str,
    infos: list[Any],
    docs: list[Any],
    report: BackfillReport,
    skipped: Counter,
) -> None:
    parsed = TxParse()
    bad: list[dict[str, Any]] = []
    for info, doc in zip(infos, docs, strict=True):
        sig = str(info.signature)
        if doc is None:
            bad.append(
                {"row": sig, "reason": "transaction: getTransaction returned null", "raw": sig}
            )
            continue
        if isinstance(doc, _Refused):
            reason = f"transaction: RPC error: {doc.reason}"
            bad.append({"row": sig, "reason": reason, "raw": sig})
            continue
        try:
            parsed.extend(parse_transaction(doc, block_time=info.block_time))
        except MalformedTransaction as exc:
            bad.append({"row": sig, "reason": f"transaction: {exc}", "raw": doc})
    skipped.update(parsed.skipped)
    launches = merge_graduations(parsed.launches, parsed.graduations, skipped)
    if parsed.swaps:
        written = lake.write("swaps", swaps_table(parsed.swaps), source=source)
        report.swaps_added += written.rows_added
        report.duplicates += written.duplicates
    if launches:
        written = lake.write("launches", launches_table(launches), source=source)
        report.launches_added += written.rows_added
    if bad:
        lake.quarantine(f"{source}-{str(infos[0].signature)[:16]}", bad)
        report.quarantined += len(bad)


def backfill(lake: Lake | str | Path, rpc_url: str, program: str, **kwargs: Any) -> BackfillReport:
    """Synchronous wrapper of ``backfill_async`` (the CLI's entry point)."""
    lake = lake if isinstance(lake, Lake) else Lake(lake)
    return asyncio.run(backfill_async(lake, rpc_url, program, **kwargs))
