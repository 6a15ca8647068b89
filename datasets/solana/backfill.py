"""RPC backfill: page ``getSignaturesForAddress`` + ``getTransaction`` into a lake, resumably.

A *walk* goes from the newest signature of a program back in time until the lower bound
(``from_slot``, ``since``) or the previous walk's head. After every page of transactions is
written to the lake (and its bad transactions quarantined) the cursor is saved in
``<lake>/_checkpoints/backfill-<program>.json``; a run that dies midway resumes from the last saved
page, and the lake's (signature, ix_index) dedupe makes the re-fetched page add nothing. A run
after a finished walk fetches only what is newer than that walk's head. Requests go through the
JSON-RPC over ``httpx`` (answers read as plain JSON and checked by the parser), rate-limited to ``rps`` requests per second.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from memelab.datasets.lake import Lake, LakeError
from memelab.datasets.solana import validate as v
from memelab.datasets.solana.convert import launches_table, merge_graduations, swaps_table
from memelab.datasets.solana.documents import loads
from memelab.datasets.solana.parse import TxParse, parse_transaction
from memelab.datasets.solana.programs import PROGRAM_OF_NAME


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
    ``Retry-After`` or ``backoff_s * 2**attempt``; other transport failures and unreadable
    signature pages stop the run (resume later); a transaction the node refuses or answers with
    something unreadable is quarantined with the reason, and the walk goes on.
    """
    import httpx

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
    fetched_total = 0
    sem = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(timeout=30) as http:
        rpc = _Rpc(http, rpc_url, rps, retries, backoff_s)

        async def fetch(sig: str) -> Any:
            async with sem:
                try:
                    return await rpc.call(
                        "getTransaction",
                        [sig, {"encoding": "json", "maxSupportedTransactionVersion": 0}],
                    )
                except _Refused as exc:  # the node refused or garbled this one transaction
                    return exc

        try:
            while True:
                page_limit = page_size if limit is None else min(page_size, limit - fetched_total)
                if page_limit <= 0:
                    break
                opts: dict[str, Any] = {"limit": page_limit}
                if walk["before"]:
                    opts["before"] = walk["before"]
                if until:
                    opts["until"] = until
                try:
                    page = await rpc.call("getSignaturesForAddress", [program_id, opts])
                except _Refused as exc:
                    raise _BadAnswer(f"getSignaturesForAddress: {exc}") from None
                infos, bad_infos = _signature_infos(page)
                report.pages += 1
                if not infos and not bad_infos:
                    report.complete = True
                    break
                if walk["head"] is None and infos:
                    walk["head"] = infos[0].signature
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
                _write_page(lake, source, todo, docs, report, skipped, bad_infos)
                if not infos:  # a page of nothing but unreadable entries: no cursor to go on
                    raise _BadAnswer("getSignaturesForAddress answered no readable signature")
                walk["before"] = infos[-1].signature
                _save_state(path, {"program_id": program_id, "walk": walk, "complete_head": until})
                if on_page is not None:
                    on_page(report)
                if reached_bound or len(infos) + len(bad_infos) < page_limit:
                    report.complete = True
                    break
        except _Transport as exc:
            if report.pages == 0 and not path.exists():
                if isinstance(exc, _BadAnswer):  # the node is there: its answer was unreadable
                    raise BackfillError(
                        f"RPC {rpc_url} answered before any page was fetched, unreadably: {exc}; "
                        "nothing was written: run the same command again to retry (or use "
                        "another node)"
                    ) from None
                raise BackfillError(
                    f"RPC {rpc_url} failed before any page was fetched: {exc}; nothing was "
                    "written: check the URL and that the node answers getSignaturesForAddress"
                ) from None
            raise BackfillError(
                f"RPC {rpc_url} failed (after {report.pages} signature page(s)): {exc}; progress "
                f"is saved in {path}, run the same command again to resume"
            ) from None
    if report.complete:
        head = walk["head"] or until
        _save_state(path, {"program_id": program_id, "walk": None, "complete_head": head})
    report.skipped = dict(sorted(skipped.items()))
    return report


class _Refused(Exception):
    """The node refused one request (a JSON-RPC error) or answered something unreadable."""


class _Transport(Exception):
    """The node cannot be talked to (connection, HTTP status, rate limit past the retries)."""


class _BadAnswer(_Transport):
    """The node is reachable but answered a signatures page the walk cannot go on from (not a
    list, no readable entry, a JSON-RPC error): it stops the walk like a transport failure, but
    the URL is not the suspect."""


@dataclass(frozen=True)
class SignatureInfo:
    """One checked entry of a ``getSignaturesForAddress`` page."""

    signature: str
    slot: int
    err: Any
    block_time: int | None


def _signature_infos(page: Any) -> tuple[list[SignatureInfo], list[dict[str, Any]]]:
    """(readable entries, quarantine records of unreadable ones) of a signatures page."""
    if not isinstance(page, list):
        raise _BadAnswer(f"getSignaturesForAddress answered {type(page).__name__}, not a list")
    infos, bad = [], []
    for i, entry in enumerate(page):
        try:
            e = v.mapping(entry, f"signatures[{i}]")
            infos.append(
                SignatureInfo(
                    signature=v.signature(e.get("signature"), "signature"),
                    slot=v.integer(e.get("slot"), "slot", 0, v.I64_MAX),
                    err=e.get("err"),
                    block_time=(
                        None
                        if e.get("blockTime") is None
                        else v.unix_seconds(e["blockTime"], "blockTime")
                    ),
                )
            )
        except v.Malformed as exc:
            bad.append(
                {"row": f"signatures[{i}]", "reason": f"signature entry: {exc}", "raw": entry}
            )
    return infos, bad


class _Rpc:
    """JSON-RPC over HTTP with a request-rate limit and 429 retries. Answers are read as plain
    JSON (not the ``solana`` client's typed models), so whatever a node sends reaches the
    parser's checks, which quarantine it with a reason, instead of failing a typed decode."""

    def __init__(self, http: Any, url: str, rps: float, retries: int, backoff_s: float):
        self.http, self.url = http, url
        self.interval = 1.0 / rps
        self.retries, self.backoff_s = retries, backoff_s
        self._next = 0.0
        self._lock = asyncio.Lock()
        self._id = 0

    async def _slot(self) -> None:
        loop = asyncio.get_running_loop()
        async with self._lock:
            now = loop.time()
            wait = self._next - now
            self._next = max(now, self._next) + self.interval
        if wait > 0:
            await asyncio.sleep(wait)

    async def call(self, method: str, params: list[Any]) -> Any:
        import httpx

        self._id += 1
        body = {"jsonrpc": "2.0", "id": self._id, "method": method, "params": params}
        for attempt in range(self.retries + 1):
            await self._slot()
            try:
                resp = await self.http.post(self.url, json=body)
            except httpx.HTTPError as exc:
                raise _Transport(f"{method}: {type(exc).__name__}: {exc}") from None
            if resp.status_code == 429 and attempt < self.retries:
                wait = resp.headers.get("retry-after")
                try:
                    delay = float(wait) if wait is not None else self.backoff_s * 2**attempt
                except ValueError:
                    delay = self.backoff_s * 2**attempt
                await asyncio.sleep(min(max(delay, 0.0), 60.0))
                continue
            if resp.status_code != 200:
                raise _Transport(f"{method}: HTTP {resp.status_code} {resp.text[:200]!r}")
            break
        answer, error = loads(resp.text)
        if error is not None:
            raise _Refused(f"answer is not JSON ({error})")
        if not isinstance(answer, dict):
            raise _Refused(f"answer is {type(answer).__name__}, not a JSON-RPC object")
        if answer.get("error") is not None:
            raise _Refused(f"RPC error: {str(answer['error'])[:300]}")
        if "result" not in answer:
            raise _Refused("answer has neither result nor error")
        return answer["result"]


def _write_page(
    lake: Lake,
    source: str,
    infos: list[SignatureInfo],
    docs: list[Any],
    report: BackfillReport,
    skipped: Counter,
    bad: list[dict[str, Any]],
) -> None:
    parsed = TxParse()
    bad = list(bad)
    for info, doc in zip(infos, docs, strict=True):
        sig = info.signature
        if doc is None:
            bad.append(
                {"row": sig, "reason": "transaction: getTransaction returned null", "raw": sig}
            )
            continue
        if isinstance(doc, _Refused):
            bad.append({"row": sig, "reason": f"transaction: {doc}", "raw": sig})
            continue
        try:
            parsed.extend(parse_transaction(doc, block_time=info.block_time))
        except v.Malformed as exc:
            bad.append({"row": sig, "reason": f"transaction: {exc}", "raw": doc})
        except Exception as exc:  # noqa: BLE001 (last line: one answer never stops the walk)
            reason = f"unexpected {type(exc).__name__}: {str(exc)[:300]}"
            bad.append({"row": sig, "reason": reason, "raw": doc})
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
        first = infos[0].signature if infos else "page"
        lake.quarantine(f"{source}-{first[:16]}", bad)
        report.quarantined += len(bad)


def backfill(lake: Lake | str | Path, rpc_url: str, program: str, **kwargs: Any) -> BackfillReport:
    """Synchronous wrapper of ``backfill_async`` (the CLI's entry point)."""
    lake = lake if isinstance(lake, Lake) else Lake(lake)
    return asyncio.run(backfill_async(lake, rpc_url, program, **kwargs))
