"""Real processes killed with ``kill -9`` mid-order, then restarted: no order, transaction or
position is lost or duplicated, and the node sees one signature (re-broadcasts of the same
bytes are the only repeats). After a live-mode run no file holds the keypair in any form."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time

import pytest
from memelab.live import pumpfun as P
from memelab.live.keys import Wallet, secret_forms, write_keypair_file
from memelab.live.ledger import Ledger
from memelab.live.orders import CRASH_POINTS
from servers.base import ServerThread
from servers.solana_node import SolanaNode
from solders.keypair import Keypair


@pytest.fixture
def node_world(tmp_path):
    node = SolanaNode()
    mint = Keypair().pubkey()
    node.add_curve(mint, Keypair().pubkey())
    kp = Keypair()
    node.lamports[str(kp.pubkey())] = 10 * 10**9
    key_file = write_keypair_file(tmp_path / "id.json", kp)
    with ServerThread(node.app) as server:
        cfg = {"rpc_url": server.url, "ledger": str(tmp_path / "ledger.sqlite"),
               "keypair_path": str(key_file), "poll_interval_s": 0.02, "resend_interval_s": 0.05,
               "max_wait_s": 20, "log_path": str(tmp_path / "live.log"), "slippage_bps": 500}  # fmt: skip
        (tmp_path / "live.json").write_text(json.dumps(cfg))
        yield node, tmp_path, str(mint), kp


def order_cmd(tmp, mint, crash=None, env=None):
    env = {k: v for k, v in (env or os.environ).items() if k != "MEMELAB_CRASH_AT"}
    if crash:
        env["MEMELAB_CRASH_AT"] = crash
    args = [sys.executable, "-m", "memelab.cli.main", "live", "order", "--config",
            str(tmp / "live.json"), "--order-id", "o1", "--mint", mint, "--side", "buy",
            "--sol", "0.25"]  # fmt: skip
    return subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def check_once(node, tmp, mint, wallet_pub):
    ledger = Ledger(tmp / "ledger.sqlite")
    assert ledger.count("orders") == 1
    (tx,) = ledger.transactions()
    assert tx["state"] == "landed"
    assert list(node.sends) == [tx["signature"]] and list(node.landed) == [tx["signature"]]
    (fill,) = ledger.fills()
    (pos,) = ledger.positions()
    ata = P.associated_token_address(wallet_pub, P.Pubkey.from_string(mint), P.TOKEN_PROGRAM)
    assert pos["tokens"] == fill["tokens"] == node.tokens[str(ata)] / 1e6 > 0
    assert ledger.order("o1")["state"] == "booked"
    ledger.close()


@pytest.mark.parametrize("point", CRASH_POINTS)
def test_kill_9_at_each_step_then_restart_sends_once_and_books_once(node_world, point):
    node, tmp, mint, kp = node_world
    first = order_cmd(tmp, mint, crash=point)
    first.communicate(timeout=60)
    assert first.returncode == -signal.SIGKILL
    sent_before = sum(node.sends.values())
    assert sent_before == (0 if point in ("after_decision", "after_signing") else 1)
    second = order_cmd(tmp, mint)
    out, err = second.communicate(timeout=60)
    assert second.returncode == 0, err.decode()[-2000:]
    report = json.loads(out)["report"]
    assert report["status"] == "landed"
    check_once(node, tmp, mint, kp.pubkey())
    assert sum(node.sends.values()) == 1
    if point == "after_booking":  # a third run of the same order id changes nothing
        third = order_cmd(tmp, mint)
        third.communicate(timeout=60)
        assert sum(node.sends.values()) == 1
        check_once(node, tmp, mint, kp.pubkey())


def test_kill_9_at_random_times_on_a_slow_node(node_world):
    node, tmp, mint, kp = node_world
    node.delay_s = 0.15  # every RPC answer takes 150 ms: kills land between any two steps
    rng = random.Random(12)
    for _ in range(3):
        p = order_cmd(tmp, mint)
        time.sleep(rng.uniform(1.0, 3.0))
        p.send_signal(signal.SIGKILL)
        p.communicate(timeout=60)
    node.delay_s = 0.0
    final = order_cmd(tmp, mint)
    out, err = final.communicate(timeout=60)
    assert final.returncode == 0, err.decode()[-2000:]
    check_once(node, tmp, mint, kp.pubkey())


def test_keypair_never_appears_in_any_file_after_a_live_run(node_world):
    node, tmp, mint, kp = node_world
    cfg = json.loads((tmp / "live.json").read_text())
    del cfg["keypair_path"]  # from the environment this time
    (tmp / "live.json").write_text(json.dumps(cfg))
    (tmp / "id.json").unlink()
    env = dict(os.environ, MEMELAB_KEYPAIR=str(kp))
    p = order_cmd(tmp, mint, env=env)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 0, err.decode()[-2000:]
    (tmp / "stdout.txt").write_bytes(out + err)
    export = subprocess.run([sys.executable, "-m", "memelab.cli.main", "live", "export",
                             "--ledger", str(tmp / "ledger.sqlite"), "--out", str(tmp / "out")],
                            capture_output=True, env=env)  # fmt: skip
    assert export.returncode == 0, export.stderr.decode()
    forms = secret_forms(Wallet(kp))
    files = [f for f in tmp.rglob("*") if f.is_file()]
    assert {"live.log", "ledger.sqlite", "trades.parquet", "fills.parquet"} <= {
        f.name for f in files
    }
    assert b"tx.landed" in (tmp / "live.log").read_bytes()
    for f in files:
        blob = f.read_bytes()
        for form in forms:
            assert form not in blob, f"secret form found in {f}"
