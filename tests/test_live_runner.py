"""The runner's feed side: real PumpPortal messages through a loopback websocket into a paper
runner (recorded, decided, filled by the backtest's fill model, booked), bad messages
quarantined without stopping it, the kill switch, replay determinism, logsSubscribe."""

from __future__ import annotations

import asyncio
import json
import random

import numpy as np
import pytest
from memelab.datasets.lake import Lake
from memelab.datasets.solana.feeds import message_rows
from memelab.engine import EngineConfig
from memelab.engine.fills import quote_buy
from memelab.live.feed import (
    WebsocketFeed,
    logs_subscription,
    normalise,
    pumpportal_subscriptions,
    replay_capture,
)
from memelab.live.killswitch import KillSwitch
from memelab.live.ledger import Ledger
from memelab.live.paper import MarketView, PaperExecutor
from memelab.live.recorder import Recorder
from memelab.live.runner import Decision, Ops, Runner
from servers.base import ServerThread
from servers.pumpportal import PumpPortalServer
from servers.solana_node import SolanaNode

T0 = 1_750_000_000


def real_messages(shared_data, n_rounds=3):
    """The 8 real README messages, several rounds on a 1-second recorded clock."""
    lines = (
        (shared_data / "api_examples/pumpportal/pumpportal_ws_messages_from_readme.jsonl")
        .read_text()
        .splitlines()
    )
    out = []
    for r in range(n_rounds):
        for i, line in enumerate(lines):
            doc = json.loads(line)
            doc["timestamp"] = T0 + r * 100 + i  # seconds: recorded messages carry their time
            doc["signature"] = doc["signature"][:-2] + f"{r:02d}"[:2].replace("0", "A")
            out.append(json.dumps(doc))
    return out


class FirstBuyThenExit:
    """Test engine step: enter on a buy of >= 0.5 SOL in a mint not held; close 2 rows later."""

    def __init__(self):
        self.held: dict[str, int] = {}

    def __call__(self, row, index):
        mint = row["mint"]
        if mint in self.held:
            self.held[mint] += 1
            if self.held[mint] == 3:
                del self.held[mint]
                return [Decision("exit", mint, -1.0, index, reason="signal")]
            return []
        if row["side"] == 1 and row["sol_amount"] >= 0.5:
            self.held[mint] = 0
            return [Decision("entry", mint, 1.0, index, sol=0.1)]
        return [Decision("skip", mint, 0.0, index, reason="too_small")]


def make_runner(tmp, kill=None, lake=True):
    ledger = Ledger(tmp / "ledger.sqlite")
    market = MarketView()
    cfg = EngineConfig(latency_s=0.4)
    ex = PaperExecutor(ledger, market, cfg)
    rec = Recorder(tmp / "lake" if lake else None, tmp / "capture.jsonl", flush_rows=1000)
    ops = Ops(killswitch=KillSwitch(kill))
    return Runner("pumpportal", ledger, ex, FirstBuyThenExit(), ops, rec, market), ledger, cfg


def run_feed(url, runner, n):
    feed = WebsocketFeed(url, pumpportal_subscriptions(), reconnect_s=0.05)

    async def go():
        await runner.run(feed.messages(), max_messages=n)
        feed.stop()

    asyncio.run(go())
    return feed


def test_real_messages_through_the_websocket_are_recorded_decided_filled_and_booked(
    shared_data, tmp_path
):
    script = real_messages(shared_data)
    server = PumpPortalServer(script)
    runner, ledger, cfg = make_runner(tmp_path)
    with ServerThread(server.app) as s:
        run_feed(s.ws_url + "/api/data", runner, len(script) + 1)
    assert server.received == [{"method": "subscribeNewToken"}]
    assert ledger.count("quarantine") == 0
    want_rows = sum(len(message_rows("pumpportal", json.loads(t)).swaps) for t in script)
    lake = Lake(tmp_path / "lake")
    assert lake.manifest("swaps")["rows"] == want_rows > 0
    assert len((tmp_path / "capture.jsonl").read_text().splitlines()) == len(script) + 1
    fills = ledger.fills()
    assert fills and all(f["status"] == "ok" for f in fills)
    # every paper buy is the fill model's answer for the pool as left by the events before the
    # first event at or after send + 0.4 s (the engine's landing rule)
    rows = [r for t in script for r in message_rows("pumpportal", json.loads(t)).swaps]
    for f in (f for f in fills if f["side"] == 1):
        land = next(i for i, r in enumerate(rows) if r["ts"] >= f["sent_ts"] + 0.4e9)
        pool = [r for r in rows[:land] if r["mint"] == f["mint"]][-1]
        q = quote_buy(
            pool["virtual_sol_reserves"], pool["virtual_token_reserves"], 0.1, "pumpfun", cfg
        )
        assert f["tokens"] == q.tokens and f["sol"] == 0.1 and f["venue_fee"] == q.venue_fee
        assert f["tx_fee"] == cfg.priority_fee_sol + cfg.tip_sol
    reasons = {
        r["reason"] for r in ledger.db.execute("SELECT reason FROM signals WHERE decision='skip'")
    }
    assert reasons == {"too_small"}


def test_mutated_real_messages_are_quarantined_with_reasons_and_never_stop_the_runner(
    shared_data, tmp_path
):
    good = real_messages(shared_data, n_rounds=1)
    rng = random.Random(7)
    bad = []
    for i in range(120):
        doc = json.loads(rng.choice(good))
        kind = i % 6
        if kind == 0:
            text = json.dumps(doc)[: rng.randint(1, 60)]  # truncated JSON
        elif kind == 1:
            doc.pop(rng.choice(["mint", "txType", "vSolInBondingCurve", "traderPublicKey"]))
            text = json.dumps(doc)
        elif kind == 2:
            doc[rng.choice(["vSolInBondingCurve", "tokenAmount", "timestamp"])] = rng.choice(
                ["abc", None, -5, float("inf"), [1], {"x": 1}, 1e308]
            )
            text = json.dumps(doc)
        elif kind == 3:
            doc["txType"] = rng.choice(["migrate", "", 7, None])
            text = json.dumps(doc)
        elif kind == 4:
            text = rng.choice(["[]", "null", "42", '"str"', "{}", "\x00\xff", ""])
        else:
            text = bytes(rng.randrange(256) for _ in range(rng.randint(1, 80))).decode("latin-1")
        bad.append(text)
    script = bad + good  # a valid tail proves the runner is still alive
    runner, ledger, _ = make_runner(tmp_path, lake=False)

    async def go():
        async def msgs():
            for i, t in enumerate(script):
                yield (T0 + i) * 10**9, t

        await runner.run(msgs())

    asyncio.run(go())
    q = ledger.db.execute("SELECT reason, raw FROM quarantine").fetchall()
    assert len(q) >= 100 and all(r["reason"] for r in q)
    verdicts = [normalise("pumpportal", t, (T0 + i) * 10**9) for i, t in enumerate(script)]
    assert sorted(r["raw"] for r in q) == sorted(
        t for t, v in zip(script, verdicts, strict=True) if v.parsed is None
    )
    # everything the datasets adapter refuses is quarantined (and a bit more: absurd timestamps)
    assert all(
        v.parsed is None for t, v in zip(script, verdicts, strict=True) if not _rows_or_ack(t)
    )
    assert runner.events == sum(len(v.parsed.swaps) for v in verdicts if v.parsed is not None)
    assert runner.events >= len(good) - 1  # the valid tail was processed


def _rows_or_ack(text):
    try:
        message_rows("pumpportal", json.loads(text), 0)
        return True
    except Exception:
        return False


def test_kill_file_turns_later_entries_into_skips_and_flatten_sells_open_positions(
    shared_data, tmp_path
):
    script = real_messages(shared_data)
    kill = tmp_path / "KILL"
    runner, ledger, _ = make_runner(tmp_path, kill=kill, lake=False)

    async def go():
        await runner.start()
        for i, t in enumerate(script):
            if i == 9:  # just before an entry of the second round
                kill.write_text("flatten")
            await runner.handle((T0 + i) * 10**9, t)
        await runner.drain()

    asyncio.run(go())
    skips = ledger.db.execute("SELECT reason FROM signals WHERE decision='skip'").fetchall()
    assert any(r["reason"].startswith("kill_switch (kill file") for r in skips)
    entries_after = ledger.db.execute(
        "SELECT COUNT(*) FROM signals WHERE decision='entry' AND id > (SELECT MIN(id) FROM signals "
        "WHERE reason LIKE 'kill_switch%')"
    ).fetchone()[0]
    assert entries_after == 0
    exits = [f for f in ledger.fills() if f["reason"] == "kill_switch"]
    assert exits and not ledger.positions()


def test_replaying_the_capture_gives_the_same_ledger_bit_for_bit(shared_data, tmp_path):
    script = real_messages(shared_data)
    server = PumpPortalServer(script)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    r1, l1, _ = make_runner(tmp_path / "a", lake=False)
    with ServerThread(server.app) as s:
        run_feed(s.ws_url + "/api/data", r1, len(script) + 1)
    r2, l2, _ = make_runner(tmp_path / "b", lake=False)
    asyncio.run(r2.run(replay_capture(tmp_path / "a" / "capture.jsonl")))
    q = "SELECT signal_id, mint, side, status, sol, tokens, price, venue_fee, tx_fee, ts FROM fills ORDER BY order_id"
    assert [tuple(r) for r in l1.db.execute(q)] == [tuple(r) for r in l2.db.execute(q)]
    s = "SELECT ts, mint, signal, decision, reason FROM signals ORDER BY id"
    assert [tuple(r) for r in l1.db.execute(s)] == [tuple(r) for r in l2.db.execute(s)]
    assert l1.count("fills") > 0


def test_a_dropped_connection_reconnects_and_resubscribes(shared_data, tmp_path):
    script = real_messages(shared_data, n_rounds=1)
    server = PumpPortalServer(script, close_after=3)
    runner, ledger, _ = make_runner(tmp_path, lake=False)
    with ServerThread(server.app) as s:
        feed = run_feed(s.ws_url + "/api/data", runner, len(script) + 2)
    assert feed.connects == 2 and server.connections == 2
    assert len(server.received) == 2
    assert runner.events == sum(
        len(message_rows("pumpportal", json.loads(t)).swaps) for t in script
    )


def test_logs_subscribe_notifications_become_rows(shared_data, tmp_path):
    fx = json.loads(
        (
            shared_data / "rpc_fixtures/jiangxiaop-solana-swap-scan/test_pumpfun_pumpfun-trade.json"
        ).read_text()
    )
    result = fx.get("result", fx)
    logs, sig = result["meta"]["logMessages"], result["transaction"]["signatures"][0]
    node = SolanaNode()
    ledger = Ledger(tmp_path / "l.sqlite")
    seen = []

    def step(row, index):
        seen.append(row)
        return []

    runner = Runner("logs", ledger, PaperExecutor(ledger, MarketView()), step)
    with ServerThread(node.app) as s:
        feed = WebsocketFeed(s.ws_url, logs_subscription(), reconnect_s=0.05)

        async def go():
            async def pusher():
                while not node.ws:
                    await asyncio.sleep(0.01)
                s.loop.call_soon_threadsafe(
                    lambda: asyncio.ensure_future(node.push_logs(sig, logs))
                )
                s.loop.call_soon_threadsafe(
                    lambda: asyncio.ensure_future(node.push_logs(sig, ["garbage"], err=None))
                )

            task = asyncio.ensure_future(pusher())
            await runner.run(feed.messages(), max_messages=3)
            feed.stop()
            await task

        asyncio.run(go())
    assert len(seen) == 1 and seen[0]["mint"] == "3cbRjHtNmGkzUvKT2Hia6pqeUB9S7XGNKZvG7mpP2drF"
    assert seen[0]["side"] == -1 and seen[0]["signature"] == sig
    assert ledger.count("quarantine") == 0  # "garbage" logs: a notification without our events
    assert np.isfinite(seen[0]["virtual_sol_reserves"])


def test_live_mode_runner_needs_a_promoted_manifest_then_trades_on_chain(shared_data, tmp_path):
    from memelab.live.executor import LiveExecutor
    from memelab.live.keys import Wallet, secret_forms
    from memelab.live.manifest import SCHEMA, PromotionError, code_hash
    from memelab.live.reconcile import reconcile_positions
    from memelab.live.rpc import SolanaRpc
    from solders.keypair import Keypair
    from solders.pubkey import Pubkey
    from test_live_executor import FAST

    script = real_messages(shared_data, n_rounds=2)
    node = SolanaNode()
    for mint in {json.loads(t)["mint"] for t in script}:
        node.add_curve(Pubkey.from_string(mint), Keypair().pubkey())
    kp = Keypair()
    wallet = Wallet(kp)
    node.lamports[str(kp.pubkey())] = 10 * 10**9
    ledger = Ledger(tmp_path / "ledger.sqlite")
    manifest = {"schema": SCHEMA, "name": "t", "forced": False, "code": {"hash": code_hash()},
                "gates": {g: {"passed": True} for g in ("DSR", "PBO", "SPRT")}}  # fmt: skip
    with pytest.raises(PromotionError, match="needs a promoted manifest"):
        Runner("pumpportal", ledger, None, FirstBuyThenExit(), mode="live")
    with pytest.raises(PromotionError, match="forced"):
        Runner("pumpportal", ledger, None, FirstBuyThenExit(), mode="live",
               manifest=manifest | {"forced": True})  # fmt: skip
    with ServerThread(node.app) as s:

        async def go():
            rpc = SolanaRpc(s.url)
            ex = LiveExecutor(ledger, rpc, wallet, FAST)
            runner = Runner("pumpportal", ledger, ex, FirstBuyThenExit(), mode="live",
                            manifest=manifest, background_orders=True, slippage_bps=500)  # fmt: skip
            await runner.start()
            for i, t in enumerate(script):
                await runner.handle((T0 + i) * 10**9, t)
                await runner.drain()  # time passes between messages: orders confirm
            mismatches = await reconcile_positions(ledger, rpc, wallet)
            await rpc.aclose()
            return mismatches

        assert asyncio.run(go()) == []
    entries = ledger.db.execute("SELECT COUNT(*) FROM signals WHERE decision='entry'").fetchone()[0]
    exits = ledger.db.execute("SELECT COUNT(*) FROM signals WHERE decision='exit'").fetchone()[0]
    fills = ledger.fills()
    assert entries >= 3 and exits >= 1 and len(fills) == entries + exits
    assert all(f["status"] == "ok" and f["signature"] for f in fills)
    assert sorted(node.sends.values()) == [1] * len(fills)  # one broadcast per order
    assert {f["signature"] for f in fills} == set(node.landed)
    assert len(ledger.trades()) == exits
    ledger.close()
    for f in (p for p in tmp_path.rglob("*") if p.is_file()):
        blob = f.read_bytes()
        assert not any(form in blob for form in secret_forms(wallet)), f


def test_a_silent_live_feed_trips_the_feed_silence_breaker_from_the_timer(tmp_path):
    from memelab.live.breakers import BreakerLimits, CircuitBreakers
    from memelab.live.notify import Notifier

    ledger = Ledger(tmp_path / "l.sqlite")
    notifier = Notifier([])
    ops = Ops(breakers=CircuitBreakers(BreakerLimits(feed_silence_s=0.2)), notifier=notifier)
    runner = Runner(
        "pumpportal", ledger, PaperExecutor(ledger, MarketView()), FirstBuyThenExit(), ops
    )

    async def feed():
        import time as _t

        yield _t.time_ns(), '{"message": "Successfully subscribed to token creation events."}'
        await asyncio.sleep(0.8)  # the feed goes quiet; only the timer runs
        yield _t.time_ns(), '{"message": "still here"}'

    asyncio.run(runner.run(feed(), tick_s=0.05))
    assert any(t.startswith("RISK feed_silence: no feed message for") for t in notifier.sent)
    assert ops.breakers.allows_entries()  # the last message cleared it
