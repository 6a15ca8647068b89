"""``memelab strategies``: every strategy with its params, defaults, sweep ranges and needs."""

from __future__ import annotations

from typing import Any

import typer
from memelab.cli._common import emit_json

# What a strategy can require of the data beyond one pool's trades (``strategies.NEEDS``).
NEEDS_COLUMNS = (
    "several pools", "several mints", "wallet identities", "create events", "model inputs"
)  # fmt: skip


def describe(module: Any) -> dict[str, Any]:
    """One strategy as plain data: name, idea, needs and one row per parameter."""
    doc = (module.__doc__ or "").strip().splitlines()
    from memelab.strategies import NEEDS

    needs = tuple(n.replace("_", " ") for n in NEEDS.get(module.NAME, ()))
    params = []
    for name in module.PARAMS_DTYPE.names:
        kind = module.PARAMS_DTYPE[name].kind
        params.append(
            {
                "name": name,
                "type": "int" if kind == "i" else "float",
                "default": module.DEFAULTS.get(name),
                "sweep": list(module.SWEEP.get(name, [])),
            }
        )
    return {
        "name": module.NAME,
        "idea": doc[0] if doc else "",
        "needs": {col: col in needs for col in NEEDS_COLUMNS},
        "inputs": list(getattr(module, "INPUTS", ())),
        "params": params,
    }


def strategies(
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """List every strategy: its idea, what it needs, its params with defaults and sweep ranges."""
    from memelab.strategies import BUILTIN, get_strategy

    rows = [describe(get_strategy(name)) for name in BUILTIN]
    if as_json:
        emit_json(rows)
        return
    for s in rows:
        typer.secho(f"{s['name']}: {s['idea']}", bold=True)
        needs = ", ".join(f"{k} {'yes' if v else '-'}" for k, v in s["needs"].items())
        typer.echo(f"  needs: {needs}" + (f"; inputs {s['inputs']}" if s["inputs"] else ""))
        typer.echo(f"  {'param':<22} {'type':<6} {'default':>10}  sweep")
        for p in s["params"]:
            sweep = ", ".join(f"{v:g}" for v in p["sweep"]) or "-"
            typer.echo(f"  {p['name']:<22} {p['type']:<6} {p['default']:>10g}  {sweep}")
        typer.echo("")
    typer.echo("Set a param: --param NAME=VALUE; sweep one: --grid NAME=v1,v2 (docs/sweeps.md).")
