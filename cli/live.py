"""``memelab promote`` (the gate into paper/live) and ``memelab live`` (run, order, export)."""

from __future__ import annotations

from pathlib import Path

import typer
from memelab.cli._common import emit_json, fail

app = typer.Typer(help="Paper and live trading of a promoted strategy.")


def promote(
    run_dir: Path = typer.Argument(..., help="Backtest run directory (memelab backtest --out)."),
    validate_dir: Path = typer.Option(
        None, "--validate", help="Walk-forward directory (memelab validate --out)."
    ),
    sprt_dir: Path = typer.Option(None, "--sprt", help="SPRT directory (memelab sprt --out)."),
    name: str = typer.Option(..., "--name", help="Manifest name."),
    out: Path = typer.Option(None, "--out", help="Manifest file (default promoted/NAME.json)."),
    model: Path = typer.Option(None, "--model", help="Model artefact the strategy loads."),
    force: bool = typer.Option(
        False, "--force", help="Write even when gates fail or are skipped: paper mode only."
    ),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing manifest."),
    as_json: bool = typer.Option(False, "--json", help="Print the manifest as JSON."),
) -> None:
    """Check the DSR, PBO and SPRT gates and write a promotion manifest; prints its path.

    Refuses, naming the failed gate and its threshold, when DSR < 0.95, PBO > 0.5 or the SPRT
    did not accept. --force writes a manifest marked forced, which live mode refuses.
    """
    from memelab.live.manifest import PromotionError, build_manifest, write_manifest

    target = out or Path("promoted") / f"{name}.json"
    try:
        manifest = build_manifest(run_dir, name, validate_dir, sprt_dir, force=force, model=model)
        path = write_manifest(manifest, target, overwrite=overwrite)
    except PromotionError as exc:
        fail(str(exc))
    if manifest["forced"]:
        typer.secho(
            "warning: forced manifest (" + ("; ".join(manifest["failed_gates"]) or "gates skipped")
            + "): paper mode only", err=True, fg=typer.colors.YELLOW,
        )  # fmt: skip
    if as_json:
        emit_json({"path": str(path), "manifest": manifest})
        return
    typer.echo(str(path))


@app.callback(invoke_without_command=True)
def live(
    ctx: typer.Context,
    manifest: Path = typer.Option(None, "--manifest", help="Promotion manifest (memelab promote)."),
    mode: str = typer.Option("paper", "--mode", help="paper or live."),
    feed: str = typer.Option(None, "--feed", help="Websocket URL of a PumpPortal-style feed."),
    feed_kind: str = typer.Option("pumpportal", "--feed-kind", help="pumpportal or logs."),
    replay: Path = typer.Option(None, "--replay", help="Lake to replay on event time instead."),
    ledger: Path = typer.Option(
        None, "--ledger", help="Ledger SQLite file (default LEDGER next to --out or ./live/)."
    ),
    out: Path = typer.Option(None, "--out", help="Export trades.parquet and fills.parquet here."),
    model: Path = typer.Option(None, "--model", help="Model directory for a strategy with inputs."),
    record: Path = typer.Option(None, "--record", help="Lake the feed's rows are appended to."),
    max_messages: int = typer.Option(None, "--max-messages", help="Stop after N feed messages."),
    tick_s: float = typer.Option(1.0, "--tick-s", help="Feed mode: engine clock tick period."),
) -> None:
    """Run a promoted strategy, paper or live, on the engine's own compiled code.

    --replay LAKE feeds the lake's events one at a time on event time (deterministic; paper gives
    exactly the backtest's trades); --feed URL subscribes to a live feed and ticks the clock from
    a timer between messages. The engine's state is saved next to the ledger, so a restart
    continues where the last run stopped.
    """
    if ctx.invoked_subcommand is not None:
        return
    if manifest is None:
        typer.echo(ctx.get_help())
        raise typer.Exit(0)
    from memelab.live.live_run import LiveRunError, run_live

    if mode not in ("paper", "live"):
        fail(f"--mode must be paper or live, got {mode!r}")
    if (feed is None) == (replay is None):
        fail("give exactly one of --feed URL and --replay LAKE")
    try:
        summary = run_live(manifest, mode, feed=feed, feed_kind=feed_kind, replay=replay,
                           ledger=ledger, out=out, model=model, record=record,
                           max_messages=max_messages, tick_s=tick_s)  # fmt: skip
    except LiveRunError as exc:
        fail(str(exc))
    emit_json(summary)


@app.command("order")
def order(
    config: Path = typer.Option(..., "--config", help="Live settings JSON (no secrets in it)."),
    order_id: str = typer.Option(..., "--order-id", help="Client order id (idempotency key)."),
    mint: str = typer.Option(None, "--mint", help="Token mint."),
    side: str = typer.Option("buy", "--side", help="buy or sell."),
    sol: float = typer.Option(0.0, "--sol", help="Buy: SOL to spend (incl. venue fee)."),
    tokens: float = typer.Option(0.0, "--tokens", help="Sell: tokens to sell."),
    venue: str = typer.Option("pumpfun", "--venue", help="pumpfun (bonding curve) or jupiter."),
    slippage_bps: int = typer.Option(None, "--slippage-bps", help="Default: the config's."),
) -> None:
    """Send one order, once: recovers what a previous run left unfinished, then submits
    ORDER_ID unless the ledger already has it (then it resumes it). Prints the report as JSON.

    The keypair comes from the config's keypair_path or $MEMELAB_KEYPAIR, never an argument.
    """
    import asyncio
    import time

    from memelab.live.config import ConfigError, load_settings
    from memelab.live.keys import KeypairError, load_wallet, secret_forms
    from memelab.live.logs import setup_logging
    from memelab.live.orders import OrderRequest
    from memelab.live.session import open_session

    if side not in ("buy", "sell"):
        fail(f"--side must be buy or sell, got {side!r}")
    try:
        settings = load_settings(config)
        wallet = load_wallet(settings.keypair_path)
    except (ConfigError, KeypairError) as exc:
        fail(str(exc))
    setup_logging(settings.log_path, secrets=secret_forms(wallet))

    async def run() -> dict:
        async with open_session(settings, wallet) as s:
            recovered = await s.recover(resume_unsigned=True)
            row = s.ledger.order(order_id)
            if row is None:
                if not mint:
                    fail("--mint is required for a new order")
                req = OrderRequest(
                    order_id=order_id, mint=mint, side=1 if side == "buy" else -1,
                    sol=sol, tokens=tokens, ts=time.time_ns(), venue=venue,
                    slippage_bps=settings.slippage_bps if slippage_bps is None else slippage_bps,
                    reason="manual",
                )  # fmt: skip
                report = await s.execute(req)
            else:
                report = next((r for r in recovered if r.order_id == order_id), None)
                if report is None:
                    report = await s.execute_existing(order_id)
            return {
                "report": report_dict(report),
                "recovered": len(recovered),
                "mismatches": [report_dict(m) for m in s.mismatches],
            }

    emit_json(asyncio.run(run()))


@app.command("export")
def export(
    ledger: Path = typer.Option(..., "--ledger", help="Ledger SQLite file."),
    out: Path = typer.Option(..., "--out", help="Directory for trades.parquet, fills.parquet."),
) -> None:
    """Export a ledger's trades and fills in the backtest's Parquet schemas."""
    from memelab.live.export import export_parquet
    from memelab.live.ledger import Ledger

    if not ledger.is_file():
        fail(f"ledger {ledger} not found")
    paths = export_parquet(Ledger(ledger), out)
    typer.echo(f"wrote {paths['trades']} and {paths['fills']}")


def report_dict(report) -> dict:
    import dataclasses

    return dataclasses.asdict(report)
