"""Backfill against a loopback JSON-RPC server serving real transactions: resumable, idempotent."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.compute as pc
import pytest
from memelab.datasets.lake import Lake
from memelab.datasets.solana.backfill import BackfillError, backfill, checkpoint_path
from solana_rpc import FixtureRpc, ServerThread
from typer.testing import CliRunner

FIXTURES = Path(__file__).parent / "fixtures" / "solana"
RPC_FILES = [
    "pumpfun_buy_rpc.json",
    "pumpfun_create_rpc.json",
    "pumpfun_sell_rpc.json",
    "raydium_amm_v4_rpc.json",
    "tee-py_parsed-buy-txn.json",
    "tee-py_parsed-sell-txn.json",
]


def _results() -> list[dict]:
    out = []
    for name in RPC_FILES:
        doc = json.loads((FIXTURES / name).read_text())
        out.append(doc.get("result", doc))
    return out


def _keys(lake: Lake) -> list[tuple[str, int]]:
    t = lake.read("swaps", columns=["signature", "ix_index"])
    sigs, idx = t.column("signature").to_pylist(), t.column("ix_index").to_pylist()
    return sorted(zip(sigs, idx, strict=True))


@pytest.fixture(scope="module")
def clean_keys(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, int]]:
    lake = Lake(tmp_path_factory.mktemp("clean") / "lake")
    with ServerThread(FixtureRpc(_results())) as srv:
        report = backfill(lake, srv.url, "pumpfun", page_size=2, rps=1000)
    assert report.complete and report.fetched == 6 and report.quarantined == 0
    return _keys(lake)


def test_backfill_ingests_every_served_transaction_once(clean_keys: list[tuple[str, int]]) -> None:
    sigs = {r["transaction"]["signatures"][0] for r in _results()}
    assert {s for s, _ in clean_keys} == sigs
    assert len(clean_keys) == len(set(clean_keys)) == 6


def test_backfill_killed_midway_resumes_without_duplicates_or_gaps(
    tmp_path: Path, clean_keys: list[tuple[str, int]]
) -> None:
    lake = Lake(tmp_path / "lake")
    # 1 signatures page + 2 transactions + the 2nd page's signatures + 1 tx, then the node dies
    with ServerThread(FixtureRpc(_results(), fail_after=5)) as srv:
        with pytest.raises(BackfillError, match="run the same command again to resume"):
            backfill(lake, srv.url, "pumpfun", page_size=2, rps=1000)
    partial = _keys(lake)
    assert 0 < len(partial) < len(clean_keys)
    state = json.loads(checkpoint_path(lake, "pumpfun").read_text())
    assert state["walk"]["before"] is not None
    with ServerThread(FixtureRpc(_results())) as srv:
        report = backfill(lake, srv.url, "pumpfun", page_size=2, rps=1000)
    assert report.complete
    assert _keys(lake) == clean_keys  # nothing missing, nothing twice


def test_backfill_after_a_finished_walk_fetches_only_newer_transactions(tmp_path: Path) -> None:
    lake = Lake(tmp_path / "lake")
    results = _results()
    newest = max(results, key=lambda r: r["slot"])
    older = [r for r in results if r is not newest]
    with ServerThread(FixtureRpc(older)) as srv:
        backfill(lake, srv.url, "pumpfun", page_size=2, rps=1000)
    rpc = FixtureRpc(results)
    with ServerThread(rpc) as srv:
        report = backfill(lake, srv.url, "pumpfun", page_size=2, rps=1000)
    assert report.fetched == 1 and report.swaps_added == 1
    assert rpc.methods.count("getTransaction") == 1
    assert len(_keys(lake)) == 6


def test_backfill_stops_at_from_slot_and_limit(tmp_path: Path) -> None:
    results = _results()
    cut = sorted(r["slot"] for r in results)[-3]  # the three newest
    lake = Lake(tmp_path / "a")
    with ServerThread(FixtureRpc(results)) as srv:
        report = backfill(lake, srv.url, "pumpfun", from_slot=cut, page_size=2, rps=1000)
    slots = lake.read("swaps", columns=["slot"]).column("slot")
    assert report.complete and report.fetched == 3 and pc.min(slots).as_py() >= cut
    lake_b = Lake(tmp_path / "b")
    with ServerThread(FixtureRpc(results)) as srv:
        report = backfill(lake_b, srv.url, "pumpfun", limit=4, page_size=3, rps=1000)
    assert report.fetched == 4 and not report.complete


def test_backfill_cli_reports_json(tmp_path: Path) -> None:
    from memelab.cli.main import app

    with ServerThread(FixtureRpc(_results())) as srv:
        res = CliRunner().invoke(
            app,
            [
                "data",
                "backfill",
                "--rpc",
                srv.url,
                "--program",
                "pumpfun",
                "--lake",
                str(tmp_path / "lake"),
                "--rps",
                "1000",
                "--json",
            ],
        )
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["fetched"] == 6 and out["swaps_added"] == 6 and out["complete"]


def test_backfill_since_keeps_only_transactions_at_or_after_that_time(tmp_path: Path) -> None:
    results = _results()
    since = sorted(r["blockTime"] for r in results)[-2]  # the two newest
    lake = Lake(tmp_path / "lake")
    with ServerThread(FixtureRpc(results)) as srv:
        report = backfill(lake, srv.url, "pumpfun", since=since, page_size=4, rps=1000)
    assert report.complete and report.fetched == 2
    ts = lake.read("swaps", columns=["ts"]).column("ts").to_pylist()
    assert sorted(ts) == sorted(r["blockTime"] * 10**9 for r in results if r["blockTime"] >= since)


def test_backfill_refuses_an_unknown_program_name(tmp_path: Path) -> None:
    with pytest.raises(BackfillError, match="--program 'pumpfn'"):
        backfill(Lake(tmp_path / "lake"), "http://127.0.0.1:9", "pumpfn")


def test_backfill_retries_rate_limited_requests(tmp_path: Path, clean_keys: list) -> None:
    lake = Lake(tmp_path / "lake")
    rpc = FixtureRpc(_results(), throttle={1, 3, 4})
    with ServerThread(rpc) as srv:
        report = backfill(lake, srv.url, "pumpfun", page_size=2, rps=1000, backoff_s=0.01)
    assert report.complete and _keys(lake) == clean_keys


def test_backfill_quarantines_a_transaction_the_node_refuses(tmp_path: Path) -> None:
    results = _results()
    refused = results[2]["transaction"]["signatures"][0]
    lake = Lake(tmp_path / "lake")
    with ServerThread(FixtureRpc(results, refuse={refused})) as srv:
        report = backfill(lake, srv.url, "pumpfun", page_size=2, rps=1000)
    assert report.complete and report.quarantined == 1 and report.swaps_added == 5
    (qfile,) = (lake.root / "_quarantine").glob("*.jsonl")
    (entry,) = [json.loads(x) for x in qfile.read_text().splitlines()]
    assert entry["row"] == refused and "not supported" in entry["reason"]


class _GarbledPages(FixtureRpc):
    """Adds an unreadable entry to every signatures page, or answers a page that is no list."""

    page: object = None

    async def handle(self, request):  # noqa: ANN001, ANN201
        from aiohttp import web

        body = await request.json()
        if body["method"] != "getSignaturesForAddress":
            return await super().handle(request)
        self.requests += 1
        params = body.get("params", [])
        page = self.page if self.page is not None else self._signatures(params[1])
        if self.page is None and page:
            page = [*page, {"signature": "not-base58!", "slot": "x"}]
        return web.json_response({"jsonrpc": "2.0", "id": body["id"], "result": page})


def test_backfill_quarantines_unreadable_signature_entries_and_stops_cleanly_on_a_bad_page(
    tmp_path: Path, clean_keys: list
) -> None:
    lake = Lake(tmp_path / "lake")
    with ServerThread(_GarbledPages(_results())) as srv:
        report = backfill(lake, srv.url, "pumpfun", page_size=10, rps=1000)
    assert _keys(lake) == clean_keys and report.quarantined == 1
    (qfile,) = (lake.root / "_quarantine").glob("*.jsonl")
    assert "signature entry: signature: not a base58 signature" in qfile.read_text()
    rpc = _GarbledPages(_results())
    rpc.page = 5
    with ServerThread(rpc) as srv:
        with pytest.raises(BackfillError, match="answered int, not a list.*run the same command"):
            backfill(Lake(tmp_path / "b"), srv.url, "pumpfun", page_size=10, rps=1000)
