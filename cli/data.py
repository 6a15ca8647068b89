"""``memelab data ...``: build, import, inspect and validate lakes."""

from __future__ import annotations

from pathlib import Path

import typer
from memelab.cli._common import emit_json, fail

app = typer.Typer(no_args_is_help=True)

LakeOpt = typer.Option(..., "--lake", help="Lake directory.")


@app.command("info")
def info(
    lake: Path = LakeOpt,
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Tables, row counts, time range, distinct mints and wallets, partitions, bytes."""
    from memelab.datasets.inspect import lake_info
    from memelab.datasets.lake import Lake

    summary = lake_info(Lake(lake))
    if as_json:
        emit_json(summary)
        return
    typer.echo(f"lake {summary['root']}  ({summary['bytes'] / 1e6:.1f} MB)")
    for name, t in summary["tables"].items():
        line = f"  {name:<14} {t['rows']:>12,} rows  {t['files']:>4} files  {t['partitions']:>3} partitions"
        if "time_range" in t:
            line += f"  {t['time_range']['start']} .. {t['time_range']['end']}"
        if "distinct_mints" in t:
            line += f"  mints={t['distinct_mints']:,}"
        if "distinct_wallets" in t:
            line += f"  wallets={t['distinct_wallets']:,}"
        typer.echo(line)
    if summary["quarantine_files"]:
        typer.echo(
            f"  quarantine: {summary['quarantine_files']} file(s) in {summary['root']}/_quarantine"
        )


@app.command("validate")
def validate(lake: Path = LakeOpt) -> None:
    """Check schema, ordering, duplicate keys and manifest hashes; exit 1 on any problem."""
    from memelab.datasets.inspect import validate_lake
    from memelab.datasets.lake import Lake

    problems = validate_lake(Lake(lake))
    if problems:
        for p in problems:
            typer.echo(f"FAIL {p}")
        fail(f"{len(problems)} problem(s) in {lake}", code=1)
    typer.echo(f"OK {lake}: schemas, ordering, keys and hashes check out")
