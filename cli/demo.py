"""``memelab demo``: a synthetic lake (built when absent) and a default momentum backtest."""

from __future__ import annotations

from pathlib import Path

import typer


def demo(
    lake: Path = typer.Option(
        Path("lake"), "--lake", help="Lake directory (synthesised if absent)."
    ),
    out: Path = typer.Option(Path("out/demo"), "--out", help="Output directory."),
    tokens: int = typer.Option(
        400, "--tokens", help="Tokens to synthesise when the lake is absent."
    ),
    wallets: int = typer.Option(2000, "--wallets", help="Wallets to synthesise."),
    days: int = typer.Option(2, "--days", help="Days to synthesise."),
    seed: int = typer.Option(7, "--seed", help="Seed of the synthetic market."),
    scenario: str = typer.Option(
        "calibrated", "--scenario", help="Synthetic scenario: calibrated, null or planted."
    ),
) -> None:
    """Run the default momentum backtest on a synthetic lake and print where the report is.

    The lake is synthesised first when --lake does not hold one.
    """
    from memelab.cli._common import progress
    from memelab.cli.backtest import print_headline
    from memelab.datasets.lake import Lake
    from memelab.engine import backtest
    from memelab.strategies import get_strategy

    store = Lake(lake)
    if not store.exists():
        from memelab.datasets.synth import synthesize

        typer.echo(
            f"synthesising {tokens} tokens x {days} days into {lake} "
            f"(seed {seed}, scenario {scenario})..."
        )
        bar = iter(progress(range(days), total=days, desc="synth", unit="day"))

        def on_day(date: str, rows: int) -> None:
            next(bar, None)

        store = synthesize(
            lake, tokens=tokens, wallets=wallets, days=days, seed=seed, on_day=on_day,
            scenario=scenario,
        )  # fmt: skip
    from memelab.cli.data import print_lake_summary
    from memelab.datasets.inspect import lake_info

    print_lake_summary(lake_info(store))
    result = backtest(store, get_strategy("momentum"), seed=seed)
    paths = result.save(out)
    typer.echo(
        f"momentum on {store.root} (scenario {lake_scenario(store)}): "
        f"{result.metrics['events']:,} events"
    )
    print_headline(result.metrics)
    typer.echo("outputs:")
    for name, path in paths.items():
        typer.echo(f"  {name:<8} {path}")
    typer.echo(f"open the report: {paths['report']}")


def lake_scenario(store) -> str:
    """The synthetic scenario a lake was built with (``synth.json``), else "not synthetic"."""
    import json

    meta = store.root / "synth.json"
    if not meta.exists():
        return "not synthetic"
    try:
        d = json.loads(meta.read_text())
    except (OSError, ValueError):
        return "unknown"
    return str(
        d.get("scenario") or d.get("config", {}).get("scenario") or "planted (pre-scenario lake)"
    )
