"""Helpers shared by the CLI command modules: output, errors, progress."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

import typer

T = TypeVar("T")


def emit_json(obj: Any) -> None:
    """Print one strict JSON document on stdout (the machine-readable contract of ``--json``)."""
    from memelab.datasets.jsonio import dumps

    typer.echo(dumps(obj, indent=2, sort_keys=True))


def fail(message: str, code: int = 2) -> None:
    """Stop with a clear message on stderr (no traceback for user errors)."""
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    raise typer.Exit(code)


def progress(
    items: Iterable[T], total: int | None = None, desc: str = "", unit: str = "it"
) -> Iterator[T]:
    """A tqdm progress bar on stderr, silent when stderr is not a terminal or under --json."""
    from tqdm.auto import tqdm

    yield from tqdm(
        items, total=total, desc=desc, unit=unit, disable=not sys.stderr.isatty(), file=sys.stderr
    )
