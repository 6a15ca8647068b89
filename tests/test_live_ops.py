"""Operations: kill switch, circuit breakers, Prometheus metrics, Telegram/Discord
notifications and control commands against loopback chat servers."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest
from memelab.live.breakers import DAY_NS, NS, BreakerLimits, CircuitBreakers
from memelab.live.killswitch import KillSwitch
from memelab.live.logs import setup_logging
from memelab.live.metrics import Metrics
from memelab.live.notify import ControlLoop, DiscordChannel, Notifier, TelegramChannel
from servers.base import ServerThread
from servers.chat import ChatServer

T0 = 1_750_000_000 * NS - (1_750_000_000 * NS) % DAY_NS + 3600 * NS  # 01:00 UTC


def test_kill_file_stops_entries_and_flatten_text_asks_to_sell_and_reset_needs_the_file_gone(
    tmp_path,
):
    ks = KillSwitch(tmp_path / "KILL")
    assert ks.allows_entries() and not ks.flatten
    (tmp_path / "KILL").write_text("flatten please")
    assert not ks.allows_entries() and ks.flatten
    assert ks.entry_block_reason().startswith("kill_switch (kill file")
    with pytest.raises(RuntimeError, match="remove the kill file"):
        ks.reset()
    (tmp_path / "KILL").unlink()
    assert not ks.allows_entries()  # a kill is never undone silently
    ks.reset()
    assert ks.allows_entries()


def test_sigusr1_stops_entries_sigusr2_also_flattens():
    old1, old2 = signal.getsignal(signal.SIGUSR1), signal.getsignal(signal.SIGUSR2)
    try:
        ks = KillSwitch()
        ks.install_signal_handlers()
        os.kill(os.getpid(), signal.SIGUSR1)
        assert ks.killed and not ks.flatten and ks.reason == "SIGUSR1"
        os.kill(os.getpid(), signal.SIGUSR2)
        assert ks.flatten
    finally:
        signal.signal(signal.SIGUSR1, old1)
        signal.signal(signal.SIGUSR2, old2)


def test_pause_blocks_entries_until_resume():
    ks = KillSwitch()
    ks.paused = True
    assert ks.entry_block_reason() == "paused"
    ks.paused = False
    assert ks.allows_entries()


def test_daily_loss_breaker_trips_at_the_limit_and_rearms_next_utc_day():
    b = CircuitBreakers(BreakerLimits(daily_loss_sol=1.0))
    b.record_pnl(T0, -0.6)
    assert b.check(T0) == {} and b.allows_entries()
    b.record_pnl(T0 + NS, -0.4)
    assert list(b.check(T0 + NS)) == ["daily_loss"]
    assert b.check(T0 + 2 * NS) == {}  # reported once
    assert b.entry_block_reason() == "breaker:daily_loss"
    b.check(T0 + DAY_NS)
    assert b.allows_entries() and b.daily_pnl == 0.0


def test_error_rate_breaker_needs_a_minimum_of_orders():
    b = CircuitBreakers(BreakerLimits(error_rate=0.5, error_window=6, error_min_orders=4))
    for ok in (False, False, True):
        b.record_order(ok)
    assert b.check(T0) == {}  # 3 orders: no verdict yet
    b.record_order(False)
    assert "error_rate" in b.check(T0)  # 3 of 4 failed


def test_feed_silence_trips_and_clears_when_messages_return():
    b = CircuitBreakers(BreakerLimits(feed_silence_s=30))
    b.record_feed(T0)
    assert b.check(T0 + 30 * NS) == {}
    assert "feed_silence" in b.check(T0 + 31 * NS)
    b.record_feed(T0 + 40 * NS)
    assert b.allows_entries()


def test_rpc_failures_count_only_inside_the_window():
    b = CircuitBreakers(BreakerLimits(rpc_failures=3, rpc_window_s=10))
    for s in (0, 5, 11):
        b.record_rpc_failure(T0 + s * NS)
    assert b.check(T0 + 11 * NS) == {}  # the first fell out of the window
    b.record_rpc_failure(T0 + 12 * NS)
    assert "rpc_failures" in b.check(T0 + 12 * NS)


def test_metrics_render_counts_and_gauges():
    m = Metrics()
    m.feed_messages.labels("pumpportal").inc(3)
    m.orders.labels("buy", "landed").inc()
    m.breaker.labels("daily_loss").set(1)
    m.decision_latency.observe(0.002)
    text = m.render().decode()
    assert 'memelab_feed_messages_total{feed="pumpportal"} 3.0' in text
    assert 'memelab_orders_total{side="buy",status="landed"} 1.0' in text
    assert 'memelab_breaker_tripped{name="daily_loss"} 1.0' in text
    assert "memelab_decision_latency_seconds_count 1.0" in text


def test_notifications_reach_telegram_and_discord_with_their_text():
    chat = ChatServer(token="123:SECRET", chat_id=42)
    with ServerThread(chat.app) as s:

        async def go():
            tg = TelegramChannel("123:SECRET", "42", base_url=s.url)
            dc = DiscordChannel(f"{s.url}/api/webhooks/1/hooksecret")
            n = Notifier([tg, dc])
            await n.risk_trigger("daily_loss", "daily P&L -1.0 SOL <= -1.0")
            await n.trade_closed(
                {"mint": "M1", "entry_sol": 1.0, "exit_sol": 0.8, "exit_reason": "stop_loss"}
            )
            await n.trade_closed(
                {"mint": "M2", "entry_sol": 1.0, "exit_sol": 1.6, "exit_reason": "tp2"}
            )
            await n.trade_closed(
                {"mint": "M3", "entry_sol": 1.0, "exit_sol": 1.1, "exit_reason": "tp1"}
            )
            await n.daily_summary("2025-06-09", [{"entry_sol": 1.0, "exit_sol": 1.6}], 101.2,
                                  {"decision": "continue", "n": 1})  # fmt: skip
            await n.health({"feed": "ok", "rpc": "ok"})
            await tg.aclose()
            await dc.aclose()

        asyncio.run(go())
    texts = [m["text"] for m in chat.telegram]
    assert texts == [c["content"] for c in chat.discord]
    assert texts[0] == "RISK daily_loss: daily P&L -1.0 SOL <= -1.0. New entries stopped."
    assert texts[1] == "STOP-LOSS M1: -20.0% (-0.2000 SOL)"
    assert texts[2] == "BIG WIN M2: +60.0% (+0.6000 SOL)"
    assert texts[3].startswith("DAILY 2025-06-09: 1 trades, 1 wins, P&L +0.6000 SOL")  # M3: quiet
    assert "live SPRT vs backtest: continue (n=1)" in texts[3]
    assert texts[4] == "HEALTH feed=ok, rpc=ok"
    assert all(m["chat_id"] == "42" for m in chat.telegram)


def test_control_commands_pause_resume_status_only_from_the_configured_chat(tmp_path):
    chat = ChatServer(token="123:SECRET", chat_id=42)
    ks = KillSwitch()
    with ServerThread(chat.app) as s:

        async def go():
            tg = TelegramChannel("123:SECRET", "42", base_url=s.url)
            loop = ControlLoop(tg, status=lambda: f"paused={ks.paused}",
                               pause=lambda: setattr(ks, "paused", True),
                               resume=lambda: setattr(ks, "paused", False))  # fmt: skip
            chat.command("/pause")
            chat.command("/pause", chat_id=666)  # a stranger: ignored
            assert await loop.poll_once() == ["/pause"]
            assert ks.paused
            chat.command("/status@memelab_bot")
            chat.command("/resume")
            assert await loop.poll_once() == ["/status", "/resume"]
            assert not ks.paused
            assert await loop.poll_once() == []  # each update handled once
            chat.command("/flatten")
            await loop.poll_once()
            await tg.aclose()

        asyncio.run(go())
    texts = [m["text"] for m in chat.telegram]
    assert texts == [
        "paused",
        "paused=True",
        "resumed",
        "unknown /flatten; known: /status, /pause, /resume",
    ]
    assert chat.offsets[-1] > 1000


def test_a_failing_chat_endpoint_never_logs_the_token(tmp_path):
    log = tmp_path / "live.log"
    setup_logging(log, secrets=["123:SECRET"])

    async def go():
        tg = TelegramChannel("123:SECRET", "42", base_url="http://127.0.0.1:9")  # closed port
        assert await tg.send("hello") is False
        await tg.aclose()

    asyncio.run(go())
    text = log.read_text()
    assert "notify.error" in text and "SECRET" not in text


def test_daily_report_runs_an_sprt_of_live_trades_against_the_backtest_win_rate(tmp_path):
    import datetime as dt

    from memelab.live.ledger import Ledger
    from memelab.live.report import daily_report, live_sprt
    from memelab.research.sprt.wald import BernoulliSPRT

    ledger = Ledger(tmp_path / "l.sqlite")
    day0 = 1_750_032_000 * NS  # 2025-06-16 00:00 UTC
    outcomes = [1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1] * 2
    with ledger.tx() as db:
        for i, w in enumerate(outcomes):
            # inserted out of exit order: the test reads them by exit time
            exit_ts = day0 + (len(outcomes) - i) * 60 * NS
            db.execute("INSERT INTO trades (position, signal_id, mint, exit_reason, entry_ts, exit_ts,"
                       " entry_sol, exit_sol, tokens, entry_price, exit_price, fees_sol, peak_return,"
                       " n_sells) VALUES (?, 0, 'M', 'tp1', ?, ?, 1.0, ?, 1, 1, 1, 0, 0, 1)",
                       (i, exit_ts - NS, exit_ts, 1.2 if w else 0.9))  # fmt: skip
        db.execute(
            "INSERT INTO signals (ts, mint, signal, decision, reason) VALUES (?, 'M', 1, 'skip', 'paused')",
            (day0 + NS,),
        )
    manifest = {"backtest": {"metrics": {"win_rate": 0.55}}}
    s = live_sprt(ledger, manifest)
    in_exit_order = outcomes[::-1]
    want = BernoulliSPRT(p0=0.55 - 0.1, p1=0.55).update(in_exit_order)
    assert (s["decision"], s["n"], s["llr"]) == (want.decision, want.n, want.llr)
    assert s["p0"] == pytest.approx(0.45) and s["n_seen"] == len(outcomes)
    r = daily_report(ledger, dt.date(2025, 6, 16), manifest)
    assert r["n_trades"] == 40 and r["wins"] == sum(outcomes) and r["skipped"] == {"paused": 1}
    assert r["pnl_sol"] == pytest.approx(sum(0.2 if w else -0.1 for w in outcomes))
    assert daily_report(ledger, dt.date(2025, 6, 17))["n_trades"] == 0
    assert live_sprt(ledger, {"backtest": {"metrics": {}}})["decision"] == "unavailable"
