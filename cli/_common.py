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


def _iso(ns: int) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(ns / 1e9, tz=dt.UTC).isoformat(timespec="seconds")


def parse_window(
    start: str | None, end: str | None, lake: Any = None
) -> tuple[int | None, int | None]:
    """``--from``/``--to`` as ns; refuses an unparsable bound, ``--from`` not before ``--to``, and
    (given a lake) a window holding none of the lake's swaps."""
    from memelab.datasets.lake import LakeError, parse_time

    try:
        lo, hi = parse_time(start), parse_time(end)
    except LakeError as exc:
        fail(str(exc))
    if lo is not None and hi is not None and lo >= hi:
        fail(f"--from {start} is not before --to {end}: the window [from, to) is empty")
    if lake is not None:
        try:
            rng = lake.manifest("swaps").get("time_range")
        except LakeError:
            rng = None
        if not rng:
            fail(f"lake {lake.root} has no swaps")
        first, last = int(rng[0]), int(rng[1])
        if (lo is not None and lo > last) or (hi is not None and hi <= first):
            fail(
                f"no events in the window [{start or 'start'}, {end or 'end'}): lake {lake.root} "
                f"spans {_iso(first)} to {_iso(last)}"
            )
    return lo, hi


def check_engine_values(values: dict[str, Any], what: str = "--engine") -> None:
    """Each engine config value has the type of its default (a number where a number is due),
    so a typo fails here with the key named instead of deep inside the engine."""
    import dataclasses

    from memelab.engine import EngineConfig

    defaults = {f.name: getattr(EngineConfig(), f.name) for f in dataclasses.fields(EngineConfig)}
    for key, value in values.items():
        if key not in defaults:
            continue  # from_dict names unknown keys with the list of known ones
        default = defaults[key]
        if isinstance(default, bool):
            ok = isinstance(value, bool)
            want = "true or false"
        elif isinstance(default, int | float):
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            want = "an integer" if isinstance(default, int) else "a number"
            if ok and isinstance(default, int) and float(value) != int(value):
                ok = False
        elif isinstance(default, tuple):
            ok = isinstance(value, list | tuple)
            want = "a JSON list, e.g. [0.5, 1.0]"
        else:
            continue
        if not ok:
            fail(f"{what} {key}={value!r}: expected {want} (default {default!r})")


def check_strategy_params(strategy: str, params: dict[str, Any]) -> Any:
    """The strategy module, after checking every ``--param`` names a field and fits its type
    (an integer field refuses 2.5 instead of truncating it)."""
    from memelab.strategies import get_strategy

    try:
        mod = get_strategy(strategy)
    except ValueError as exc:
        fail(str(exc))
    for key, value in params.items():
        if key not in mod.PARAMS_DTYPE.names:
            fail(
                f"strategy {mod.NAME!r} has no parameter {key!r}; known: {list(mod.PARAMS_DTYPE.names)}"
            )
        kind = mod.PARAMS_DTYPE[key].kind
        if isinstance(value, bool) or not isinstance(value, int | float):
            fail(f"--param {key}={value!r}: expected a number")
        if kind == "i" and float(value) != int(value):
            fail(f"--param {key}={value!r}: {key} is an integer parameter")
    return mod
