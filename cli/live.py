"""``memelab promote`` (the gate into paper/live) and ``memelab live`` (run, order, export)."""

from __future__ import annotations

from pathlib import Path

import typer
from memelab.cli._common import emit_json, fail

app = typer.Typer(no_args_is_help=True, help="Paper and live trading of a promoted strategy.")


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
