"""``memelab backtest``: replay a strategy over a lake and write trades, equity, metrics, report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from memelab.cli._common import (
    check_engine_values,
    check_strategy_params,
    emit_json,
    fail,
    parse_window,
)

HEADLINE = (
    "trades", "win_rate", "total_return", "pnl_sol", "ev_per_trade_sol", "profit_factor",
    "sharpe", "sortino", "sharpe_hourly", "psr", "max_drawdown", "var_95_trade", "exposure",
    "failed_tx",
)  # fmt: skip


def parse_assignments(items: list[str] | None, what: str) -> dict[str, Any]:
    """``k=v`` pairs; values parsed as JSON when they are JSON (numbers, lists), else strings."""
    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            fail(f"{what} {item!r}: expected KEY=VALUE")
        try:
            out[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            out[key.strip()] = value
    return out


def load_config(engine: list[str] | None, config_file: Path | None):
    from memelab.engine import EngineConfig

    values: dict[str, Any] = {}
    if config_file is not None:
        try:
            values.update(json.loads(config_file.read_text()))
        except (OSError, json.JSONDecodeError) as exc:
            fail(f"config file {config_file}: {exc}")
    values.update(parse_assignments(engine, "--engine"))
    check_engine_values(values)
    try:
        config = EngineConfig.from_dict(values)
        config.validate()
    except (TypeError, ValueError) as exc:
        fail(str(exc))
    return config


def events_progress(chunks, total: int):
    """A progress bar over replayed events (chunks are row groups), on stderr when it is a tty."""
    import sys

    from tqdm.auto import tqdm

    with tqdm(total=total, desc="replay", unit="ev", unit_scale=True, disable=not sys.stderr.isatty(),
              file=sys.stderr) as bar:  # fmt: skip
        for chunk in chunks:
            yield chunk
            bar.update(len(chunk))


def print_headline(metrics: dict[str, Any]) -> None:
    from memelab.engine.metrics import format_metric, label

    for key in HEADLINE:
        text = format_metric(key, metrics.get(key), metrics)
        typer.echo(f"  {label(key, metrics):<26} {text}")
    typer.echo(f"  (returns: {metrics.get('returns_convention')})")
    if metrics.get("rejections"):
        typer.echo(f"  {'rejected':<26} {metrics['rejections']}")


def model_inputs(module, model: Path | None, source, start: int | None):
    """The input stage a strategy reading model probabilities needs (``--model DIR``), built the
    same way for a backtest and a paper/live replay; None for a strategy without ``INPUTS``."""
    wants = tuple(getattr(module, "INPUTS", ()))
    if model is None:
        if wants:
            fail(f"strategy {module.NAME!r} reads inputs {list(wants)}: pass --model DIR")
        return None
    if not wants:
        fail(f"--model given but strategy {module.NAME!r} reads no model inputs")
    if not Path(model).is_dir():
        fail(f"model directory {model} not found")
    from memelab.research.models.stage import ModelInputStage

    return ModelInputStage.for_source(model, source, start)


def backtest(
    lake: Path = typer.Option(..., "--lake", help="Lake directory."),
    strategy: str = typer.Option(
        "momentum", "--strategy", help="Strategy name (strategies/<name>.py)."
    ),
    param: list[str] = typer.Option(
        None, "--param", help="Strategy parameter KEY=VALUE (repeatable)."
    ),
    engine: list[str] = typer.Option(
        None, "--engine", help="Engine config KEY=VALUE (repeatable), e.g. latency_s=0.8."
    ),
    config_file: Path = typer.Option(
        None, "--config", help="Engine config as a JSON file (fields of EngineConfig)."
    ),
    start: str = typer.Option(None, "--from", help="Start time (ISO-8601 or epoch), inclusive."),
    end: str = typer.Option(None, "--to", help="End time (ISO-8601 or epoch), exclusive."),
    out: Path = typer.Option(..., "--out", help="Output directory."),
    seed: int = typer.Option(
        0,
        "--seed",
        help="Seed of the latency jitter (engine latency_jitter_s); recorded in run.json.",
    ),
    event_cache: bool = typer.Option(
        False, "--event-cache", help="Keep decoded partitions under LAKE/_cache (faster re-runs)."
    ),
    model: Path = typer.Option(
        None,
        "--model",
        help="Model directory (memelab train) whose probabilities feed --strategy ml.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print metrics as JSON."),
) -> None:
    """Backtest a strategy over a lake and print its headline metrics.

    Writes trades.parquet, fills.parquet, equity.parquet, metrics.json, run.json and report.html
    into --out.
    """
    from memelab.datasets.lake import Lake, LakeError
    from memelab.engine import backtest as run_backtest
    from memelab.strategies import get_strategy

    config = load_config(engine, config_file)
    params = parse_assignments(param, "--param")
    check_strategy_params(strategy, params)
    try:
        store = Lake(lake).require()
    except LakeError as exc:
        fail(str(exc))
    lo, hi = parse_window(start, end, store)
    try:
        module = get_strategy(strategy)
        inputs = model_inputs(module, model, store, lo)
        result = run_backtest(
            store, module, params, config, lo, hi, seed=seed, event_cache=event_cache,
            progress=lambda chunks: events_progress(chunks, store.event_count()), inputs=inputs,
        )  # fmt: skip
    except (ValueError, LakeError) as exc:
        fail(str(exc))
    if result.metrics["events"] == 0:
        fail(f"no events in the window [{start or 'start'}, {end or 'end'}) of lake {store.root}")
    from memelab.datasets.jsonio import staged_output_dir

    with staged_output_dir(out) as stage:  # all outputs or none
        paths = {k: out / v.name for k, v in result.save(stage).items()}
    if as_json:
        emit_json({"metrics": result.metrics, "outputs": {k: str(v) for k, v in paths.items()}})
        return
    typer.echo(f"{result.strategy} on {store.root}: {result.metrics['events']:,} events")
    print_headline(result.metrics)
    typer.echo(f"report: {paths['report']}")
