"""Parity: paper trading is the backtest. ``memelab live --mode paper --replay LAKE`` gives the
trades of ``memelab backtest`` on the same lake, for every registered strategy; and PumpPortal
messages through the loopback websocket into a paper runner give the trades of a backtest of the
lake recorded from those messages. Trades are matched by mint address, never by dense id."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from memelab.cli.main import app
from memelab.strategies import BUILTIN, get_strategy
from typer.testing import CliRunner

cli = CliRunner()

# what must be identical: entries, exits, sizes, fees and reasons (ids aside)
TRADE_KEYS = ("mint", "signal_id", "entry_ts", "exit_ts", "entry_sol", "exit_sol", "tokens",
              "entry_price", "exit_price", "fees_sol", "exit_reason", "n_sells")  # fmt: skip
FILL_KEYS = ("mint", "signal_id", "sent_ts", "ts", "side", "status", "sol", "tokens", "price",
             "venue_fee")  # fmt: skip
PARAMS = {"momentum": ["min_return=0.05", "min_buy_sol=1"], "ml": ["threshold=0.5"]}


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    from memelab.datasets.synth import synthesize

    root = tmp_path_factory.mktemp("live_parity") / "lake"
    synthesize(root, tokens=40, wallets=150, days=1, seed=3)
    return root


@pytest.fixture(scope="module")
def model_and_later_lake(tmp_path_factory):
    """A logreg trained on one synthetic day and a lake of a later day (a model may only be
    backtested after its training, validation and embargo: ``backtest_from``)."""
    from memelab.datasets.lake import Lake
    from memelab.datasets.synth import synthesize
    from memelab.datasets.synth.config import scenario_config
    from memelab.research.features.build import build_dataset
    from memelab.research.models.train import train_model

    root = tmp_path_factory.mktemp("live_parity_ml")
    synthesize(root / "train", tokens=40, wallets=150, days=1, seed=5)
    ds = build_dataset(Lake(root / "train").load_events(), 60.0, 5.0, with_seq=False)
    train_model(ds, "logreg", root / "model", "cpu", 0)
    later = scenario_config("calibrated", start="2025-01-03")
    synthesize(root / "lake", tokens=40, wallets=150, days=1, seed=3, config=later)
    return root / "model", root / "lake"


def _invoke(args):
    res = cli.invoke(app, [str(a) for a in args])
    assert res.exit_code == 0, res.output
    return res


def _by_address(df: pd.DataFrame, keys) -> pd.DataFrame:
    cols = [k for k in keys if k in df.columns]
    return df[cols].sort_values(cols[:4], kind="stable").reset_index(drop=True)


def _promote(run_dir, tmp_path, name):
    manifest = tmp_path / f"{name}.json"
    _invoke(["promote", run_dir, "--name", name, "--force", "--out", manifest])
    return manifest


@pytest.mark.parametrize("name", BUILTIN)
def test_paper_on_a_replayed_lake_makes_exactly_the_backtests_trades(name, request, tmp_path):
    strategy = get_strategy(name)
    extra = []  # inputs a strategy needs, built the same way by both commands
    if getattr(strategy, "INPUTS", ()):
        model, lake = request.getfixturevalue("model_and_later_lake")
        extra = ["--model", model]
    else:
        lake = request.getfixturevalue("lake")
    bt = tmp_path / "bt"
    params = [x for p in PARAMS.get(name, []) for x in ("--param", p)]
    _invoke(["backtest", "--lake", lake, "--strategy", name, *params, "--engine",
             "latency_s=0.8", "--out", bt, "--json", *extra])  # fmt: skip
    manifest = _promote(bt, tmp_path, f"{name}-paper")
    out = tmp_path / "live"
    res = _invoke(["live", "--manifest", manifest, "--mode", "paper", "--replay", lake,
                   "--ledger", tmp_path / "ledger" / "paper.sqlite", "--out", out, *extra])  # fmt: skip
    summary = json.loads(res.output)
    want = pd.read_parquet(bt / "trades.parquet")
    got = pd.read_parquet(out / "trades.parquet")
    if name in ("momentum", "copytrade", "ml"):
        assert len(want) > 5  # the comparison is about real trades
    assert summary["trades"] == len(want)
    pd.testing.assert_frame_equal(_by_address(got, TRADE_KEYS), _by_address(want, TRADE_KEYS))
    assert list(got.columns) == list(want.columns)  # the backtest's schema
    wf, gf = pd.read_parquet(bt / "fills.parquet"), pd.read_parquet(out / "fills.parquet")
    pd.testing.assert_frame_equal(_by_address(gf, FILL_KEYS), _by_address(wf, FILL_KEYS))
    assert list(gf.columns) == list(wf.columns)
    # the engine's state was saved next to the ledger
    assert (tmp_path / "ledger" / "paper.engine.npz").is_file()


def test_a_restart_from_the_saved_engine_state_continues_to_the_same_trades(lake, tmp_path):
    """Stop a replay half way (state snapshotted), run again: same trades as one go."""
    from memelab.engine import backtest
    from memelab.live.engine_step import lake_driver

    mom = get_strategy("momentum")
    params = {"min_return": 0.05, "min_buy_sol": 1}
    want = backtest(lake, mom, params).trades
    driver, events = lake_driver(lake, mom, params)
    for i, ev in enumerate(events):
        driver.feed(ev)
        if i == 9000:
            break
    driver.snapshot(tmp_path, "s")
    from memelab.live.engine_step import EngineDriver

    again = EngineDriver.restore(tmp_path, mom, "s")
    fresh, events = lake_driver(lake, mom, params)
    done = again.replay.offset - fresh.replay.offset
    assert done == 9001
    for i, ev in enumerate(events):
        if i >= done:
            again.feed(ev)
    got = again.result(mint_names=fresh._mint_names).trades
    assert len(got) == len(want) > 5
    pd.testing.assert_frame_equal(_by_address(got, TRADE_KEYS), _by_address(want, TRADE_KEYS))


def _pumpportal_messages(lake) -> list[str]:
    """The lake's trades as PumpPortal messages (a create before each mint's first trade), on a
    strictly increasing ns clock so that the recorded lake keeps the feed's order. Signatures
    are real base58 64-byte signatures (the feed adapter quarantines anything else), one per
    message."""
    import hashlib

    from memelab.datasets.lake import Lake
    from solders.signature import Signature

    def sig(tag: str) -> str:
        return str(Signature(hashlib.sha512(tag.encode()).digest()))

    store = Lake(lake)
    swaps = store.read("swaps").to_pandas().sort_values(["ts"], kind="stable")
    swaps = swaps[swaps["side"] != 0].head(6000)
    creators = {}
    if "launches" in store.tables():
        lt = store.read("launches").to_pandas()
        creators = dict(zip(lt["mint"], lt["creator"], strict=True))
    out, seen, last = [], set(), 0
    for i, r in enumerate(swaps.itertuples(index=False)):
        ts = max(int(r.ts), last + 1)
        if r.mint not in seen:
            seen.add(r.mint)
            out.append(json.dumps({
                "txType": "create", "mint": r.mint, "signature": sig(f"c{i}"),
                "traderPublicKey": creators.get(r.mint) or r.trader, "initialBuy": 0,
                "vSolInBondingCurve": 30.0, "vTokensInBondingCurve": 1.073e9, "ts": ts,
                "name": "t", "symbol": "T", "pool": "pump",
            }))  # fmt: skip
            ts += 1
        last = ts
        out.append(json.dumps({
            "txType": "buy" if r.side > 0 else "sell", "mint": r.mint, "signature": sig(f"s{i}"),
            "traderPublicKey": r.trader, "tokenAmount": float(r.token_amount),
            "solAmount": float(r.sol_amount), "vSolInBondingCurve": float(r.virtual_sol_reserves),
            "vTokensInBondingCurve": float(r.virtual_token_reserves), "ts": ts, "pool": "pump",
        }))  # fmt: skip
    return out


def test_feed_messages_through_the_websocket_trade_like_a_backtest_of_their_recorded_lake(
    lake, tmp_path
):
    from servers.base import ServerThread
    from servers.pumpportal import PumpPortalServer

    script = _pumpportal_messages(lake)
    bt0 = tmp_path / "bt0"
    _invoke(["backtest", "--lake", lake, "--strategy", "momentum", "--param", "min_return=0.05",
             "--param", "min_buy_sol=1", "--out", bt0, "--json"])  # fmt: skip
    manifest = _promote(bt0, tmp_path, "feed-paper")
    server = PumpPortalServer(script)
    recorded, out = tmp_path / "recorded", tmp_path / "live"
    with ServerThread(server.app) as s:
        res = _invoke(["live", "--manifest", manifest, "--mode", "paper", "--feed",
                       f"{s.ws_url}/api/data", "--record", recorded, "--tick-s", "0",
                       "--max-messages", len(script) + 1, "--ledger", tmp_path / "l.sqlite",
                       "--out", out])  # fmt: skip
    assert json.loads(res.output)["trades"] > 3
    bt = tmp_path / "bt"
    _invoke(["backtest", "--lake", recorded, "--strategy", "momentum", "--param",
             "min_return=0.05", "--param", "min_buy_sol=1", "--out", bt, "--json"])  # fmt: skip
    want = pd.read_parquet(bt / "trades.parquet")
    got = pd.read_parquet(out / "trades.parquet")
    assert len(got) == len(want)
    pd.testing.assert_frame_equal(_by_address(got, TRADE_KEYS), _by_address(want, TRADE_KEYS))
