"""``memelab``: the single CLI entry point. Command groups live in sibling modules."""

from __future__ import annotations

import typer
from memelab.cli import backtest as backtest_cli
from memelab.cli import check as check_cli
from memelab.cli import data
from memelab.cli import demo as demo_cli
from memelab.cli import live as live_cli
from memelab.cli import ml as ml_cli
from memelab.cli import sprt as sprt_cli
from memelab.cli import strategies as strategies_cli
from memelab.cli import sweep as sweep_cli
from memelab.cli import wallets as wallets_cli

app = typer.Typer(
    name="memelab",
    help="Backtesting-first quant research workbench for Solana memecoins.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"memelab {version('memelab')}")
        except PackageNotFoundError:
            typer.echo("memelab (not installed: run `make install`)")
        raise typer.Exit()


@app.callback()
def _root(
    show_version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Backtesting-first quant research workbench for Solana memecoins."""


app.add_typer(data.app, name="data", help="Build, import, inspect and validate lakes.")
app.command("backtest")(backtest_cli.backtest)
app.add_typer(check_cli.app, name="check", help="Guards: look-ahead check of a strategy.")
app.command("demo")(demo_cli.demo)
app.command("promote")(live_cli.promote)
app.add_typer(live_cli.app, name="live", help="Paper and live trading of a promoted strategy.")
app.command("sprt")(sprt_cli.sprt)
app.command("strategies")(strategies_cli.strategies)
app.command("sweep")(sweep_cli.sweep)
app.command("validate")(sweep_cli.validate)
app.add_typer(wallets_cli.app, name="wallets", help="Score wallets, find sybils and smart money.")
app.add_typer(ml_cli.features_app, name="features", help="Causal features and labels for models.")
app.command("train")(ml_cli.train)
app.add_typer(ml_cli.models_app, name="models", help="Registered models: list, compare, similar.")


def main() -> None:
    from memelab.datasets.lake import LakeError

    try:
        app()
    except LakeError as exc:
        typer.secho(f"error: {exc}", err=True, fg=typer.colors.RED)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
