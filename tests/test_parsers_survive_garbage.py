"""Property tests: every entry point that reads outside material survives damaged real input.

Real fixtures (RPC transactions, geyser updates, PumpPortal messages, a Substreams block, vendor
trade samples) are damaged by ``mutations`` (nulls, wrong types, truncation, flipped base58
characters, huge numbers, wrong discriminators, short event data, deleted keys, nested junk,
broken bytes). Each entry point must then either parse an input or refuse it with a reason,
never raise anything else, and account for every input: in = parsed + quarantined. The readers'
last-line catch-all (``unexpected ...`` reasons) must never be what refused an input.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from memelab.datasets.importers.solana import document_rows
from memelab.datasets.ingest import IngestError, ingest
from memelab.datasets.lake import Lake
from memelab.datasets.solana.convert import launches_table, swaps_table
from memelab.datasets.solana.feeds import message_rows, substreams_rows
from memelab.datasets.solana.parse import parse_transaction
from memelab.datasets.solana.validate import Malformed, check_launch, check_swap
from mutations import mutated, mutated_text
from solana_rpc import FixtureRpc, ServerThread

FIXTURES = Path(__file__).parent / "fixtures" / "solana"
TX_FILES = sorted(FIXTURES.glob("*.json"))
TRANSACTIONS = [json.loads(p.read_text()) for p in TX_FILES]
PUMPPORTAL = "api_examples/pumpportal/pumpportal_ws_messages_from_readme.jsonl"
SUBSTREAMS = "trades/substreams_block/trades_block_355327313.json"
FLIPSIDE = "wallet_stats/johnnynftbank-flipside/solana.defi.fact_swaps_sample.csv"
BITQUERY = "schema_samples/bitquery/pumpfun_trades.json"
NOT_DUE_TO_DATA = [HealthCheck.too_slow, HealthCheck.data_too_large]
# CI runs the derandomized budget below; HYPOTHESIS_PROFILE=fuzz hunts with 20x more examples.
SCALE = 20 if os.environ.get("HYPOTHESIS_PROFILE") == "fuzz" else 1


def _rows_fit_the_lake(swaps: list[dict[str, Any]], launches: list[dict[str, Any]]) -> None:
    for row in swaps:
        check_swap(row)
    for row in launches:
        check_launch(row)
    swaps_table(swaps)  # the Arrow conversion the readers do must not fail either
    launches_table(launches)


def _logs_notification(tx: dict[str, Any]) -> dict[str, Any]:
    """The ``logsSubscribe`` notification a node would send for a real transaction."""
    r = tx.get("result", tx)
    logs = (r.get("meta") or {}).get("logMessages") if isinstance(r, dict) else None
    sig = ((r.get("transaction") or {}).get("signatures") or [None])[0] if "meta" in r else None
    value = {"signature": sig, "err": None, "logs": logs}
    return {"jsonrpc": "2.0", "method": "logsNotification", "params": {"result": {"context": {"slot": 1}, "value": value}}}  # fmt: skip


def _ingest_outcome(lake_root: Path, path: Path, fmt: str | None) -> dict[str, Any]:
    """The ingest report of one file, or None when the file as a whole was refused."""
    try:
        report = ingest(Lake(lake_root), [path], format=fmt).files[0]
    except IngestError as exc:
        assert str(path) in str(exc)  # a file-level refusal names the file
        return {}
    return report.to_dict()


def _quarantine_reasons(lake_root: Path) -> list[str]:
    qdir = lake_root / "_quarantine"
    if not qdir.is_dir():
        return []
    return [json.loads(line)["reason"] for f in qdir.glob("*.jsonl") for line in f.open()]


# ------------------------------------------------------------------ parsers, one input at a time
@settings(max_examples=150 * SCALE, suppress_health_check=NOT_DUE_TO_DATA)
@given(st.data())
def test_a_damaged_real_transaction_parses_to_lake_ready_rows_or_is_refused_with_a_reason(data):
    tx = data.draw(mutated(data.draw(st.sampled_from(TRANSACTIONS))))
    try:
        parsed = parse_transaction(tx, block_time=1_735_623_500)
    except Malformed as exc:
        assert str(exc)
        return
    _rows_fit_the_lake(parsed.swaps, parsed.launches)


@settings(max_examples=120 * SCALE, suppress_health_check=NOT_DUE_TO_DATA)
@given(st.data())
def test_every_live_feed_kind_turns_a_damaged_message_into_rows_or_a_reason(shared_data, data):
    messages = [json.loads(x) for x in (shared_data / PUMPPORTAL).read_text().splitlines()]
    block = json.loads((shared_data / SUBSTREAMS).read_text())
    block["@data"]["data"] = block["@data"]["data"][:6]  # a small block keeps examples fast
    kind, doc = data.draw(
        st.sampled_from(
            [("pumpportal", m) for m in messages]
            + [("logs", _logs_notification(t)) for t in TRANSACTIONS[:4]]
            + [("geyser", t) for t in TRANSACTIONS if "filters" in t]
            + [("rpc", t) for t in TRANSACTIONS[:3]]
            + [("substreams", block)]
        )
    )
    msg = data.draw(mutated(doc))
    try:
        parsed = message_rows(kind, msg, received_ts=1_735_623_500 * 10**9)
    except Malformed as exc:
        assert str(exc)
        return
    _rows_fit_the_lake(parsed.swaps, parsed.launches)


@settings(max_examples=40 * SCALE, suppress_health_check=NOT_DUE_TO_DATA)
@given(st.data())
def test_a_damaged_substreams_block_keeps_its_good_trades_and_refuses_each_bad_one(
    shared_data, data
):
    block = data.draw(mutated(json.loads((shared_data / SUBSTREAMS).read_text())))
    try:
        rows, bad, skipped = substreams_rows(block)
    except Malformed:
        return
    trades = block["@data"]["data"] if "@data" in block else block["data"]
    assert len(rows) + len(bad) + sum(skipped.values()) == len(trades)
    _rows_fit_the_lake(rows, [])


# -------------------------------------------------------------------- file ingest, every format
def _docs_file(dir_: Path, docs: list[Any], as_array: bool) -> Path:
    path = dir_ / ("docs.json" if as_array else "docs.jsonl")
    text = json.dumps(docs) if as_array else "\n".join(json.dumps(d) for d in docs) + "\n"
    path.write_text(text)
    return path


@settings(max_examples=12 * SCALE, suppress_health_check=NOT_DUE_TO_DATA)
@given(st.data())
def test_ingest_of_damaged_solana_files_quarantines_exactly_the_bad_documents(shared_data, data):
    fmt = data.draw(st.sampled_from(["rpc-json", "geyser", "pumpportal"]))
    if fmt == "pumpportal":
        pool = [json.loads(x) for x in (shared_data / PUMPPORTAL).read_text().splitlines()]
    else:
        pool = [t for t in TRANSACTIONS if ("filters" in t) == (fmt == "geyser")]
    docs = [data.draw(mutated(d)) if data.draw(st.booleans()) else d for d in pool]
    as_array = data.draw(st.booleans())
    with tempfile.TemporaryDirectory() as tmp:
        path = _docs_file(Path(tmp), docs, as_array)
        report = _ingest_outcome(Path(tmp) / "lake", path, fmt)
        reasons = _quarantine_reasons(Path(tmp) / "lake")
    refused = 0  # independent count: the documents the parser itself refuses
    for d in docs:
        try:
            if fmt == "pumpportal":
                message_rows("pumpportal", d)
            else:
                document_rows(d)
        except Malformed:
            refused += 1
    assert report["rows_read"] == len(docs)  # every document is accounted for
    assert report["quarantined"] == refused == len(reasons)
    assert not [r for r in reasons if r.startswith("unexpected")]


def _csv_text(rows: list[dict[str, Any]], names: list[str]) -> bytes:
    """Rows as CSV under the export's own header (a deleted key is an empty cell)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=names, extrasaction="ignore")
    writer.writeheader()
    for r in rows:
        writer.writerow({k: _cell(v) for k, v in r.items()})
    return out.getvalue().encode()


def _cell(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return json.dumps(value) if isinstance(value, dict | list) else value


def _generic_rows(shared_data: Path) -> list[dict[str, Any]]:
    """Real swaps (the Substreams block's), as a generic-preset export would carry them."""
    rows, _, _ = substreams_rows(json.loads((shared_data / SUBSTREAMS).read_text()))
    return [
        {**{k: r[k] for k in ("ts", "slot", "signature", "mint", "trader", "venue")},
         "side": "buy" if r["side"] > 0 else "sell", "sol_amount": r["sol_amount"],
         "token_amount": r["token_amount"], "ix_index": r["ix_index"]}
        for r in rows[:30]
    ]  # fmt: skip


def _tabular_sources(shared_data: Path) -> list[tuple[str, list[dict[str, Any]]]]:
    flipside = list(csv.DictReader((shared_data / FLIPSIDE).open()))
    bitquery = [_flat(r) for r in json.loads((shared_data / BITQUERY).read_text())["rows"]]
    return [
        ("generic", _generic_rows(shared_data)),
        ("flipside", flipside),
        ("bitquery", bitquery),
    ]


def _flat(obj: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in obj.items():
        out.update(_flat(v, f"{prefix}{k}_") if isinstance(v, dict) else {f"{prefix}{k}": v})
    return out


def _accounted(report: dict[str, Any]) -> bool:
    kept = report["ingested"] + report["duplicates"] + report["quarantined"]
    return report["rows_read"] == kept + sum(report["skipped"].values())


@settings(max_examples=15 * SCALE, suppress_health_check=NOT_DUE_TO_DATA)
@given(st.data())
def test_ingest_of_damaged_trade_exports_accounts_for_every_row(shared_data, data):
    preset, rows = data.draw(st.sampled_from(_tabular_sources(shared_data)))
    header = list(dict.fromkeys(k for r in rows for k in r))
    rows = [data.draw(mutated(r)) if data.draw(st.integers(0, 3)) == 0 else r for r in rows]
    rows = [r for r in rows if isinstance(r, dict)]
    form = data.draw(st.sampled_from(["csv", "jsonl", "csv-bytes", "parquet-bytes"]))
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if form == "jsonl":
            path = tmp / "trades.jsonl"
            path.write_text("\n".join(json.dumps(r, default=str) for r in rows) + "\n")
        elif form.startswith("csv"):
            path = tmp / "trades.csv"
            text = _csv_text(rows, header)
            if form == "csv-bytes":  # damage below the header: every data row must be accounted
                head, _, body = text.partition(b"\n")
                text = head + b"\n" + data.draw(mutated_text(body))
            path.write_bytes(text)
        else:
            path = tmp / "trades.parquet"
            pq.write_table(
                pa.Table.from_pylist([{k: str(v) for k, v in r.items()} for r in rows]), path
            )
            path.write_bytes(data.draw(mutated_text(path.read_bytes())))
        report = _ingest_outcome(tmp / "lake", path, None)
        reasons = _quarantine_reasons(tmp / "lake")
    if form.startswith("csv"):  # the header is intact: the file cannot be refused as a whole
        assert report, "only the header can make a CSV file unreadable as a whole"
    if report:
        assert _accounted(report)
        assert report["quarantined"] == len(reasons)
    assert not [r for r in reasons if r.startswith("unexpected")]


# ------------------------------------------------------------------------------- RPC backfill
class _DamagingRpc(FixtureRpc):
    """Serves real transactions, each answer damaged by the example's mutation (or not)."""

    answers: dict[str, Any] = {}

    async def handle(self, request: Any) -> Any:
        from aiohttp import web

        body = await request.json()
        if body["method"] == "getTransaction" and body["params"][0] in self.answers:
            answer = self.answers[body["params"][0]]
            return web.json_response({"jsonrpc": "2.0", "id": body["id"], "result": answer})
        return await super().handle(request)


@pytest.fixture(scope="module")
def damaging_rpc():
    results = [t.get("result", t) for t in TRANSACTIONS if "filters" not in t]
    with ServerThread(_DamagingRpc(results)) as srv:
        yield srv


@settings(
    max_examples=10 * SCALE,
    suppress_health_check=[*NOT_DUE_TO_DATA, HealthCheck.function_scoped_fixture],
)
@given(st.data())
def test_backfill_quarantines_each_damaged_answer_and_keeps_the_rest(damaging_rpc, data):
    from memelab.datasets.solana.backfill import backfill

    rpc = damaging_rpc.rpc
    rpc.answers = {
        sig: data.draw(mutated(r)) for sig, r in rpc.by_sig.items() if data.draw(st.booleans())
    }
    refused = 0
    for sig, r in rpc.by_sig.items():
        try:
            parse_transaction(rpc.answers.get(sig, r), block_time=r["blockTime"])
        except Malformed:
            refused += 1
    with tempfile.TemporaryDirectory() as tmp:
        report = backfill(Lake(tmp), damaging_rpc.url, "pumpfun", page_size=3, rps=10_000)
        reasons = _quarantine_reasons(Path(tmp))
    assert report.complete and report.fetched == len(rpc.by_sig)
    assert report.quarantined == refused == len(reasons)
    assert not [r for r in reasons if r.startswith("unexpected")]


# -------------------------------------------------------------------------------------- CLI
def test_cli_ingest_of_garbage_prints_reasons_not_a_traceback(tmp_path):
    from memelab.cli.main import app
    from typer.testing import CliRunner

    junk = tmp_path / "junk.jsonl"
    junk.write_bytes(b'{"result": {"meta": 5}}\n[[[[[[[[[[\n\xff\xfe\n' + b"[" * 100_000 + b"\n")
    bad_csv = tmp_path / "bad.csv"
    bad_csv.write_bytes(b"\xff\xfe,\x00\n1,2\n")
    runner = CliRunner()
    for args in (
        [str(junk), "--format", "rpc-json"],
        [str(junk), "--format", "pumpportal"],
        [str(junk)],
        [str(bad_csv)],
        [str(tmp_path / "missing.csv")],
    ):
        res = runner.invoke(app, ["data", "ingest", *args, "--lake", str(tmp_path / "lake")])
        assert "Traceback" not in res.output
        assert res.exit_code in (0, 2), res.output
        assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    res = runner.invoke(app, ["data", "ingest", str(junk), "--format", "rpc-json", "--json",
                              "--lake", str(tmp_path / "lake")])  # fmt: skip
    assert json.loads(res.output)["total"]["quarantined"] == 4
