"""The live executor against a loopback Solana node: the exact transaction it signs, and the
no-double-spend protocol (same bytes re-sent, expiry only past the window, errors final)."""

from __future__ import annotations

import asyncio
import struct

import pytest
from memelab.live import pumpfun as P
from memelab.live.booking import book_report
from memelab.live.compute_budget import FeePolicy
from memelab.live.executor import LiveConfig, LiveExecutor
from memelab.live.jupiter import JupiterClient
from memelab.live.keys import Wallet
from memelab.live.ledger import Ledger
from memelab.live.orders import OrderRequest
from memelab.live.rpc import SolanaRpc
from servers.base import ServerThread
from servers.jupiter import JUPITER_PROGRAM, JupiterServer
from servers.solana_node import SolanaNode
from solders.compute_budget import ID as COMPUTE_BUDGET
from solders.keypair import Keypair
from solders.message import to_bytes_versioned
from solders.pubkey import Pubkey

FAST = LiveConfig(fees=FeePolicy(priority_fee_lamports=100_000, cu_margin=0.2),
                  poll_interval_s=0.01, resend_interval_s=0.02, max_wait_s=20)  # fmt: skip


@pytest.fixture
def world(tmp_path):
    wallet = Wallet(Keypair.from_seed(bytes(range(32))))
    node = SolanaNode()
    mint, creator = Keypair().pubkey(), Keypair().pubkey()
    node.add_curve(mint, creator)
    node.lamports[str(wallet.pubkey)] = 10 * 10**9
    with ServerThread(node.app) as server:
        yield node, server, wallet, str(mint), Ledger(tmp_path / "ledger.sqlite")


def run(node_server, wallet, ledger, order, config=FAST, jupiter_url=None):
    async def go():
        rpc = SolanaRpc(node_server.url)
        jup = JupiterClient(jupiter_url) if jupiter_url else None
        ex = LiveExecutor(ledger, rpc, wallet, config, jup)
        try:
            report = await ex.submit(order)
        finally:
            await rpc.aclose()
            if jup:
                await jup.aclose()
        return report

    return asyncio.run(go())


def buy(mint, sol=0.5, oid="o1", slippage=500):
    return OrderRequest(oid, mint, 1, sol, 0.0, ts=1, signal_id=7, slippage_bps=slippage)


def test_buy_signs_exactly_budget_ata_and_pump_buy_and_books_the_chain_amounts(world):
    node, server, wallet, mint, ledger = world
    report = run(server, wallet, ledger, buy(mint))
    assert report.status == "landed" and report.sends == 1
    (tx,) = node.sent_txs
    msg = tx.message
    keys = list(msg.account_keys)
    assert keys[0] == wallet.pubkey  # fee payer
    assert tx.signatures[0].verify(wallet.pubkey, to_bytes_versioned(msg))
    progs = [keys[ix.program_id_index] for ix in msg.instructions]
    assert progs == [COMPUTE_BUDGET, COMPUTE_BUDGET, P.ATA_PROGRAM, P.program_id()]
    limit = struct.unpack("<I", bytes(msg.instructions[0].data)[1:5])[0]
    price = struct.unpack("<Q", bytes(msg.instructions[1].data)[1:9])[0]
    assert limit == 69_600  # simulated 58,000 CU x 1.2
    assert price == 100_000 * 1_000_000 // 69_600  # fee x 1e6 / limit micro-lamports per CU
    # the buy's accounts: exactly what the IDL resolver gives for this curve
    curve = P.Curve(1_073_000_000 * 10**6, 30 * 10**9, 793_100_000 * 10**6, False,
                    Pubkey.from_string(str(node.curves[mint].creator)))  # fmt: skip
    config = P.GlobalConfig(node.fee_recipient, None, 95, 5)
    want = P.build_buy(wallet.pubkey, Pubkey.from_string(mint), P.TOKEN_PROGRAM, curve, config,
                       5 * 10**8, 500)  # fmt: skip
    ix = msg.instructions[3]
    assert [keys[a] for a in ix.accounts] == [m.pubkey for m in want.instructions[1].accounts]
    assert bytes(ix.data) == bytes(want.instructions[1].data)
    # the report's amounts are the chain's, parsed back from the confirmed transaction
    tokens_raw = want.token_amount
    assert report.tokens == tokens_raw / 1e6
    sol = 30 * 10**9 * tokens_raw // (1_073_000_000 * 10**6 - tokens_raw) + 1
    fees = -(-sol * 95 // 10_000) + -(-sol * 5 // 10_000)
    assert report.sol == pytest.approx((sol + fees) / 1e9, abs=1e-12)
    assert report.venue_fee == pytest.approx(fees / 1e9, abs=1e-12)
    assert report.network_fee == (5000 + -(-price * limit // 1_000_000)) / 1e9
    assert node.tokens[str(P.associated_token_address(wallet.pubkey, Pubkey.from_string(mint),
                                                      P.TOKEN_PROGRAM))] == tokens_raw  # fmt: skip
    assert book_report(ledger, report) and not book_report(ledger, report)  # books once
    pos = ledger.position(mint)
    assert pos["tokens"] == report.tokens and pos["cost"] == report.sol + report.network_fee
    (t,) = ledger.transactions()
    assert t["state"] == "landed" and t["sends"] == 1 and bytes(t["raw"]) == bytes(tx)
    assert ledger.order("o1")["state"] == "booked"


def test_a_dropped_send_is_rebroadcast_as_the_same_bytes(world):
    node, server, wallet, mint, ledger = world
    node.drop_sends = 2  # the first two broadcasts never reach a leader
    report = run(server, wallet, ledger, buy(mint))
    assert report.status == "landed"
    assert len(node.sends) == 1 and list(node.sends.values()) == [3]  # one signature, 3 sends
    assert len({bytes(t) for t in node.sent_txs}) == 1
    assert ledger.transactions()[0]["sends"] == 3


def test_expired_only_after_the_block_height_passes_and_the_cluster_does_not_know_it(world):
    node, server, wallet, mint, ledger = world
    node.never_land = True
    node.height_step = 20  # each getBlockHeight: 20 blocks later; the window is 150
    report = run(server, wallet, ledger, buy(mint))
    assert report.status == "expired"
    (t,) = ledger.transactions()
    assert t["state"] == "expired" and node.height > t["last_valid_block_height"]
    assert len(node.sends) == 1 and not node.landed  # re-sent, never a second transaction
    assert node.methods["getBlockHeight"] >= 150 // 20
    # the last status query came after the height check, searching history
    assert node.methods["getSignatureStatuses"] > node.methods["getBlockHeight"]
    assert ledger.order("o1")["state"] == "expired"
    assert not book_report(ledger, report) and ledger.count("fills") == 0


def test_a_transaction_that_landed_with_an_error_is_final_and_never_resent(world):
    node, server, wallet, mint, ledger = world
    node.fail_next = {"Custom": 6002}
    report = run(server, wallet, ledger, buy(mint))
    assert report.status == "failed" and report.error == {"InstructionError": [3, {"Custom": 6002}]}
    assert list(node.sends.values()) == [1]
    assert report.network_fee > 0 and report.tokens == 0
    book_report(ledger, report)
    (f,) = ledger.fills()
    assert f["status"] == "failed" and f["tx_fee"] == report.network_fee and f["position"] == -1

    # polling again re-reads the chain; it never sends
    async def again():
        rpc = SolanaRpc(server.url)
        r = await LiveExecutor(ledger, rpc, wallet, FAST).poll("o1")
        await rpc.aclose()
        return r

    assert asyncio.run(again()).status == "failed" and list(node.sends.values()) == [1]


def test_slippage_bound_from_the_fresh_curve_makes_a_moved_market_fail_not_overpay(world):
    node, server, wallet, mint, ledger = world
    # someone buys 20 SOL between our curve read and our landing: our max_sol_cost binds
    real_account = node.rpc_getAccountInfo

    def stale_then_move(address, *a):
        out = real_account(address, *a)
        if address == str(P.bonding_curve_address(Pubkey.from_string(mint))):
            c = node.curves[mint]
            dt = c.vtok * 20 * 10**9 // (c.vsol + 20 * 10**9)
            c.vsol, c.vtok = c.vsol + 20 * 10**9, c.vtok - dt
            node._store_curve(c)
        return out

    node.rpc_getAccountInfo = stale_then_move
    report = run(server, wallet, ledger, buy(mint, slippage=100))
    assert report.status == "failed" and report.error["InstructionError"][1] == {"Custom": 6002}


def test_sell_closes_the_position_into_a_trade_with_both_legs(world):
    node, server, wallet, mint, ledger = world
    r1 = run(server, wallet, ledger, buy(mint))
    book_report(ledger, r1)
    sell = OrderRequest("o2", mint, -1, 0.0, r1.tokens, ts=2, signal_id=7, reason="tp1",
                        slippage_bps=500)  # fmt: skip
    r2 = run(server, wallet, ledger, sell)
    assert r2.status == "landed" and r2.tokens == r1.tokens
    book_report(ledger, r2)
    assert ledger.positions() == []
    (t,) = ledger.trades()
    assert t["exit_reason"] == "tp1" and t["entry_sol"] == r1.sol + r1.network_fee
    assert t["exit_sol"] == pytest.approx(r2.sol - r2.network_fee)
    assert t["exit_sol"] < t["entry_sol"]  # round trip pays 2% fees plus network fees


def test_jupiter_route_gets_our_compute_budget_only_and_uses_the_lookup_table(world):
    node, server, wallet, mint, ledger = world
    node.curves[mint].complete = True  # graduated: pump.fun refuses, route through Jupiter
    node._store_curve(node.curves[mint])
    table = Keypair().pubkey()
    addrs = [Keypair().pubkey() for _ in range(6)]
    node.add_lookup_table(table, addrs)
    jup = JupiterServer(table, addrs)
    with ServerThread(jup.app) as js:
        report = run(server, wallet, ledger, buy(mint, slippage=300), jupiter_url=js.url)
    assert report.status == "landed"
    assert [r[0] for r in jup.requests] == ["quote", "swap-instructions"]  # never /swap
    assert jup.requests[0][1]["slippageBps"] == "300"
    assert jup.requests[1][1]["quoteResponse"]["otherAmountThreshold"]
    (tx,) = node.sent_txs
    msg = tx.message
    keys = list(msg.account_keys)
    progs = [keys[ix.program_id_index] for ix in msg.instructions]
    assert progs.count(COMPUTE_BUDGET) == 2 and progs[:2] == [COMPUTE_BUDGET, COMPUTE_BUDGET]
    assert str(progs[-1]) == JUPITER_PROGRAM
    (lookup,) = msg.address_table_lookups
    assert lookup.account_key == table
    assert len(lookup.writable_indexes) + len(lookup.readonly_indexes) == len(addrs)
    assert not set(addrs) & set(keys)  # the table's accounts are not in the static keys
    assert tx.signatures[0].verify(wallet.pubkey, to_bytes_versioned(msg))


def test_private_endpoint_receives_the_order_and_the_public_node_does_not(world, tmp_path):
    node, server, wallet, mint, ledger = world
    relay = SolanaNode()
    relay.blockhashes = node.blockhashes  # same cluster view
    with ServerThread(relay.app) as rs:
        cfg = LiveConfig(fees=FAST.fees, poll_interval_s=0.01, resend_interval_s=0.02,
                         max_wait_s=1, send_urls=(rs.url,), private_only=True)  # fmt: skip
        run(server, wallet, ledger, buy(mint), config=cfg)
    assert node.methods["sendTransaction"] == 0 and relay.methods["sendTransaction"] >= 1


def test_reconcile_reports_a_position_the_chain_disagrees_with(world):
    from memelab.live.reconcile import reconcile_positions

    node, server, wallet, mint, ledger = world
    book_report(ledger, run(server, wallet, ledger, buy(mint)))

    async def check():
        rpc = SolanaRpc(server.url)
        out = await reconcile_positions(ledger, rpc, wallet)
        await rpc.aclose()
        return out

    assert asyncio.run(check()) == []
    ata = P.associated_token_address(wallet.pubkey, Pubkey.from_string(mint), P.TOKEN_PROGRAM)
    node.tokens[str(ata)] -= 1_000_000  # one token left the wallet without us
    (m,) = asyncio.run(check())
    assert m.mint == mint and m.chain_tokens == m.ledger_tokens - 1.0


def test_export_writes_the_backtests_trades_and_fills_schemas(world, tmp_path):
    import pandas as pd
    from memelab.live.export import export_parquet
    from sweep_markets import make_market
    from test_sweep_distributed import events_to_lake

    node, server, wallet, mint, ledger = world
    r1 = run(server, wallet, ledger, buy(mint))
    book_report(ledger, r1)
    r2 = run(server, wallet, ledger, OrderRequest("o2", mint, -1, 0.0, r1.tokens, ts=2,
                                                  signal_id=7, reason="stop_loss"))  # fmt: skip
    book_report(ledger, r2)
    paths = export_parquet(ledger, tmp_path / "live")
    from memelab.engine import backtest
    from memelab.strategies import get_strategy

    lake = events_to_lake(make_market(1, n_mints=6, trades=60), tmp_path / "lake")
    res = backtest(lake, get_strategy("momentum"), {}, None)
    bt_dir = tmp_path / "bt"
    res.save(bt_dir)
    for name in ("trades", "fills"):
        live = pd.read_parquet(paths[name])
        bt = pd.read_parquet(bt_dir / f"{name}.parquet")
        assert list(live.columns) == list(bt.columns)
        assert dict(live.dtypes.astype(str)) == dict(bt.dtypes.astype(str))
    trades = pd.read_parquet(paths["trades"])
    assert len(trades) == 1 and trades["exit_reason"][0] == "stop_loss"
    assert trades["pnl_sol"][0] == pytest.approx(trades["exit_sol"][0] - trades["entry_sol"][0])
    fills = pd.read_parquet(paths["fills"])
    assert list(fills["reason"]) == ["entry", "stop_loss"] and list(fills["side"]) == [1, -1]


def test_ledger_refuses_a_second_transaction_while_the_first_may_land(world):
    from memelab.live.ledger import LedgerError

    node, server, wallet, mint, ledger = world
    node.never_land = True
    cfg = LiveConfig(fees=FAST.fees, poll_interval_s=0.01, resend_interval_s=0.02, max_wait_s=0.3)
    report = run(server, wallet, ledger, buy(mint), config=cfg)
    assert report.status == "pending"  # still inside its blockhash window
    with pytest.raises(LedgerError, match="may still land"):
        ledger.record_signed("o1", "other-signature", b"x", "bh", 1, 1, 1)
    assert len(ledger.transactions("o1")) == 1


def test_rpc_failures_during_an_order_trip_the_runner_breaker(world, tmp_path):
    from memelab.live.breakers import BreakerLimits, CircuitBreakers
    from memelab.live.runner import Decision, Ops, Runner

    node, server, wallet, mint, ledger = world

    async def go():
        rpc = SolanaRpc(server.url)
        ex = LiveExecutor(ledger, rpc, wallet, FAST)
        ops = Ops(breakers=CircuitBreakers(BreakerLimits(rpc_failures=3, rpc_window_s=60)))
        runner = Runner("pumpportal", ledger, ex, lambda row, i: [], ops)
        node.drop_sends = 1
        node.http_errors = 0
        original = node.rpc_getSignatureStatuses
        calls = {"n": 0}

        def flaky(*a):
            calls["n"] += 1
            if calls["n"] <= 4:
                from servers.solana_node import RpcFailure

                # real nodes attach data to -32005; the first two answers lack it (solders
                # panics on those: it must still be an RpcError, not a crash)
                data = {"numSlotsBehind": 42} if calls["n"] > 2 else None
                raise RpcFailure(-32005, "Node is behind by 42 slots", data)
            return original(*a)

        node.rpc_getSignatureStatuses = flaky
        await runner._act(Decision("entry", mint, 1.0, 1, sol=0.2), 1, 0.0)
        await runner.tick(runner.clock())
        await rpc.aclose()
        return runner, ops

    runner, ops = asyncio.run(go())
    assert ledger.fills()[0]["status"] == "ok"  # the order still landed, once
    assert list(node.sends.values()) == [2]
    assert "rpc_failures" in ops.breakers.tripped and not ops.breakers.allows_entries()
    assert "memelab_rpc_errors_total 4.0" in ops.metrics.render().decode()
    assert "entries blocked: breaker:rpc_failures" in runner.status()
