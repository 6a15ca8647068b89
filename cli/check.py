"""``memelab check ...``: guards a strategy must pass before anyone trusts its backtest."""

from __future__ import annotations

from pathlib import Path

import typer
from memelab.cli._common import check_strategy_params, emit_json, fail, parse_window

app = typer.Typer(no_args_is_help=True)


@app.command("lookahead")
def lookahead(
    lake: Path = typer.Option(..., "--lake", help="Lake directory."),
    strategy: str = typer.Option("momentum", "--strategy", help="Strategy name."),
    param: list[str] = typer.Option(
        None, "--param", help="Strategy parameter KEY=VALUE (repeatable)."
    ),
    cut: str = typer.Option(
        None, "--cut", help="Cut time (ISO-8601 or epoch); default: the median event."
    ),
    start: str = typer.Option(
        None, "--from", help="Window start (the window is loaded in memory)."
    ),
    end: str = typer.Option(None, "--to", help="Window end, exclusive."),
    engine: list[str] = typer.Option(
        None, "--engine", help="Engine config KEY=VALUE (repeatable)."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of the perturbation."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Check a strategy for look-ahead: exit 1 when it sees the future.

    Runs it, perturbs every event after --cut, re-runs: every decision and fill before the cut
    must be identical.
    """
    from memelab.cli.backtest import load_config, parse_assignments
    from memelab.datasets.lake import Lake, LakeError, parse_time
    from memelab.engine.lookahead import check_lookahead
    from memelab.engine.source import Source
    from memelab.strategies import get_strategy

    config = load_config(engine, None)
    params = parse_assignments(param, "--param")
    check_strategy_params(strategy, params)
    import sys
    from contextlib import nullcontext

    from rich.console import Console

    busy = (
        Console(stderr=True).status("look-ahead check: replaying twice (as is, then perturbed)")
        if sys.stderr.isatty() and not as_json
        else nullcontext()
    )
    try:
        store = Lake(lake).require()
        lo, hi = parse_window(start, end, store)
        module = get_strategy(strategy)
        src = Source.open(store, lo, hi, config)
        with busy:  # a spinner on a terminal: the two replays report no progress of their own
            report = check_lookahead(
                src, module, params, config, cut=parse_time(cut), seed=seed,
            )  # fmt: skip
    except (ValueError, LakeError) as exc:
        fail(str(exc))
    if as_json:
        emit_json(report.to_dict())
    else:
        verdict = "PASS" if report.passed else "FAIL"
        typer.echo(
            f"{verdict} {strategy}: {report.orders_checked} orders and {report.fills_checked} fills "
            f"before the cut unchanged after perturbing {report.events_perturbed:,} of "
            f"{report.events:,} events"
            if report.passed
            else f"{verdict} {strategy}: {report.first_difference}"
        )
    if not report.passed:
        raise typer.Exit(1)
