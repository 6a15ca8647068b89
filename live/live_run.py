"""``memelab live``: a promoted manifest run on the engine's own code, on a replay or a feed.

``--replay LAKE`` feeds the lake's events one at a time on event time (no wall clock), through
the same :class:`~memelab.live.engine_step.EngineDriver` a feed uses, so paper on a replay is
the backtest event for event. ``--feed URL`` runs the :class:`~memelab.live.runner.Runner`
(normalise, record, quarantine, operations) with the engine as its step and a timer ticking the
engine's clock. Either way the engine's state is saved next to the ledger (``<ledger>.engine.npz``
and the address book) every ``snapshot_every`` events and at the end, and a restart continues
from it; ``--out`` exports ``trades.parquet`` / ``fills.parquet`` in the backtest's schemas.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from memelab.engine import EngineConfig
from memelab.live.engine_step import EngineDriver, EngineStep, as_decision, lake_driver
from memelab.live.ledger import Ledger
from memelab.live.manifest import (
    PromotionError,
    check_manifest_for_live,
    check_manifest_for_paper,
    load_manifest,
)


class LiveRunError(ValueError):
    """A run that cannot start: bad manifest, missing model, unsupported combination."""


def _model_dir(manifest: dict[str, Any], model: Path | None) -> Path:
    if model is not None:
        return Path(model)
    art = manifest.get("model") or {}
    if not art.get("path"):
        raise LiveRunError(
            f"strategy {manifest.get('strategy')!r} reads model inputs: pass --model DIR"
        )
    path = Path(art["path"])
    return path if path.is_dir() else path.parent


def _resolve(manifest_path: Path, mode: str) -> tuple[dict[str, Any], Any, dict, EngineConfig]:
    from memelab.strategies import get_strategy

    try:
        manifest = load_manifest(manifest_path)
        if mode == "live":
            check_manifest_for_live(manifest)
        else:
            check_manifest_for_paper(manifest)
    except PromotionError as exc:
        raise LiveRunError(str(exc)) from None
    try:
        strategy = get_strategy(str(manifest.get("strategy")))
        config = EngineConfig.from_dict(manifest.get("engine_config") or {})
        config.validate()
    except (TypeError, ValueError) as exc:
        raise LiveRunError(f"manifest {manifest_path}: {exc}") from None
    return manifest, strategy, dict(manifest.get("params") or {}), config


def run_live(
    manifest_path: str | os.PathLike[str],
    mode: str = "paper",
    feed: str | None = None,
    feed_kind: str = "pumpportal",
    replay: str | os.PathLike[str] | None = None,
    ledger: str | os.PathLike[str] | None = None,
    out: str | os.PathLike[str] | None = None,
    model: Path | None = None,
    record: str | os.PathLike[str] | None = None,
    max_messages: int | None = None,
    tick_s: float | None = 1.0,
    snapshot_every: int = 10_000,
) -> dict[str, Any]:
    """Run to the end of the replay (or of the feed / ``max_messages``); a summary dict."""
    manifest, strategy, params, config = _resolve(Path(manifest_path), mode)
    if mode == "live":
        raise LiveRunError(
            "live execution through the engine's executor seam is not wired yet: run --mode "
            "paper (the manifest passed the live checks)"
        )
    name = str(manifest.get("name") or strategy.NAME)
    ledger_path = Path(ledger) if ledger else Path(out or "live") / f"{name}.sqlite"
    ledger_path.parent.mkdir(parents=True, exist_ok=True)
    state_dir, stem = ledger_path.parent, f"{ledger_path.stem}.engine"
    book = Ledger(ledger_path)
    wants_inputs = bool(getattr(strategy, "INPUTS", ()))
    try:
        if replay is not None:
            inputs = None
            if wants_inputs:
                from memelab.research.models.stage import ModelInputStage

                inputs = ModelInputStage.for_source(_model_dir(manifest, model), replay, None)
            driver, events = lake_driver(replay, strategy, params, config, inputs=inputs)
            first = driver.replay.offset
            saved = EngineDriver.restore(state_dir, strategy, stem, inputs=inputs)
            skip = 0
            if saved is not None:
                saved._mint_names = driver._mint_names
                skip, driver = saved.replay.offset - first, saved
            n = 0
            for i, ev in enumerate(events):
                if i < skip:
                    continue
                for o in driver.feed(ev):
                    d = as_decision(o)
                    book.record_signal(o.ts, d.mint, d.signal, d.kind, d.reason, d.signal_id)
                n += 1
                if snapshot_every and n % snapshot_every == 0:
                    driver.snapshot(state_dir, stem)
            source = str(replay)
        else:
            if wants_inputs:
                raise LiveRunError(
                    f"strategy {strategy.NAME!r} reads model inputs; its feature stream does not "
                    "grow with a live feed's ids yet: run it on --replay"
                )
            driver = EngineDriver.restore(state_dir, strategy, stem) or EngineDriver(
                strategy, params, config
            )
            tick = tick_s if tick_s and tick_s > 0 else None  # 0: event time only
            asyncio.run(_run_feed(driver, book, feed, feed_kind, record, max_messages, tick,
                                  manifest))  # fmt: skip
            source = str(feed)
        driver.snapshot(state_dir, stem)
        result = driver.result(source=source)
    finally:
        book.close()
    summary: dict[str, Any] = {
        "mode": mode, "strategy": strategy.NAME, "source": source, "ledger": str(ledger_path),
        "snapshot": str(state_dir / f"{stem}.npz"), "trades": len(result.trades),
        "fills": len(result.fills), "pnl_sol": float(result.trades["pnl_sol"].sum()),
    }  # fmt: skip
    if out is not None:
        summary["outputs"] = export_result(result, out)
    return summary


async def _run_feed(driver, ledger, url, kind, record, max_messages, tick_s, manifest) -> None:
    from memelab.live.feed import WebsocketFeed, logs_subscription, pumpportal_subscriptions
    from memelab.live.paper import MarketView, PaperExecutor
    from memelab.live.recorder import Recorder
    from memelab.live.runner import Runner

    if kind not in ("pumpportal", "logs"):
        raise LiveRunError(f"--feed-kind must be pumpportal or logs, got {kind!r}")
    market = MarketView()
    recorder = Recorder(record, None, source=f"live:{kind}") if record else None
    runner = Runner(kind, ledger, PaperExecutor(ledger, market, driver.replay.config),
                    EngineStep(driver), recorder=recorder, market=market, mode="paper",
                    manifest=manifest)  # fmt: skip
    subs = pumpportal_subscriptions() if kind == "pumpportal" else logs_subscription()
    ws = WebsocketFeed(url, subs)
    try:
        await runner.run(ws.messages(), max_messages=max_messages, tick_s=tick_s)
    finally:
        ws.stop()
        if recorder is not None:
            recorder.close()


def export_result(result: Any, out: str | os.PathLike[str]) -> dict[str, str]:
    """``trades.parquet`` and ``fills.parquet`` in the backtest's schemas (same frames)."""
    d = Path(out)
    d.mkdir(parents=True, exist_ok=True)
    paths = {"trades": d / "trades.parquet", "fills": d / "fills.parquet"}
    result.trades.to_parquet(paths["trades"], index=False)
    result.fills.to_parquet(paths["fills"], index=False)
    return {k: str(v) for k, v in paths.items()}
