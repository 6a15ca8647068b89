"""Parameter spaces for sweeps: grids, random draws and constraint expressions over a strategy's
``PARAMS_DTYPE``.

A combination is one record of the strategy's params dtype; a space is a record array of them,
in a deterministic order (grid: lexicographic over the declared value lists; random: a seeded
draw without replacement from the same grid), so combination ``i`` means the same thing in every
process that builds the space (the Dask workers rebuild nothing: they receive the records).
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np


class ParamError(ValueError):
    """A bad parameter, grid or constraint; the message names it."""


def parse_grid_arg(text: str) -> tuple[str, list[float]]:
    """``k=v1,v2,...`` or ``k=start:stop:step`` (stop inclusive) -> (k, values)."""
    if "=" not in text:
        raise ParamError(f"--grid {text!r}: expected NAME=v1,v2,... or NAME=start:stop:step")
    name, _, rhs = text.partition("=")
    name = name.strip()
    rhs = rhs.strip()
    if not name or not rhs:
        raise ParamError(f"--grid {text!r}: expected NAME=v1,v2,... or NAME=start:stop:step")
    try:
        if ":" in rhs:
            parts = [float(p) for p in rhs.split(":")]
            if len(parts) != 3 or parts[2] <= 0:
                raise ValueError("need start:stop:step with step > 0")
            start, stop, step = parts
            n = int(np.floor((stop - start) / step + 1e-9)) + 1
            values = [start + i * step for i in range(max(n, 0))]
        else:
            items = rhs.split(",")
            if any(v.strip() == "" for v in items):
                raise ValueError("empty value between commas (write each value once: 0.1,0.2)")
            values = [float(v) for v in items]
    except ValueError as exc:
        raise ParamError(f"--grid {text!r}: {exc}") from None
    if not values:
        raise ParamError(f"--grid {text!r}: no values")
    return name, values


def _cast_values(dtype: np.dtype, name: str, values: Sequence[Any]) -> np.ndarray:
    if name not in dtype.names:
        raise ParamError(f"unknown parameter {name!r}; the strategy has {list(dtype.names)}")
    kind = dtype[name]
    arr = np.asarray(values, dtype=np.float64)
    if kind.kind == "i":
        if np.any(arr != np.round(arr)):
            raise ParamError(f"parameter {name!r} is an integer; got {list(values)}")
        return arr.astype(kind)
    return arr.astype(kind)


def grid_space(
    dtype: np.dtype, defaults: Mapping[str, Any], grid: Mapping[str, Sequence[Any]]
) -> np.ndarray:
    """The cartesian product of ``grid`` (other fields at their defaults), lexicographic in the
    order of ``dtype``'s fields (the last varying fastest)."""
    axes = {name: _cast_values(dtype, name, vals) for name, vals in grid.items()}
    names = [n for n in dtype.names if n in axes]
    sizes = [len(axes[n]) for n in names]
    total = int(np.prod(sizes)) if names else 1
    out = np.empty(total, dtype=dtype)
    for name in dtype.names:
        if name not in axes:
            if name not in defaults:
                raise ParamError(f"parameter {name!r} has no default and no grid values")
            out[name] = defaults[name]
    if names:
        idx = np.unravel_index(np.arange(total), sizes)
        for name, ix in zip(names, idx, strict=True):
            out[name] = axes[name][ix]
    return out


def random_space(
    dtype: np.dtype,
    defaults: Mapping[str, Any],
    grid: Mapping[str, Sequence[Any]],
    n: int,
    seed: int = 0,
) -> np.ndarray:
    """``n`` combinations drawn without replacement from the grid (all of it when smaller),
    seeded; returned in grid order so a draw is a subset of ``grid_space``'s table."""
    if n <= 0:
        raise ParamError(f"--random must be > 0, got {n}")
    full = grid_space(dtype, defaults, grid)
    if n >= len(full):
        return full
    pick = np.sort(np.random.default_rng(seed).choice(len(full), size=n, replace=False))
    return full[pick]


# ------------------------------------------------------------------ constraint expressions
_BINOPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_CMPOPS = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}


def constraint_mask(space: np.ndarray, expr: str | None) -> np.ndarray:
    """Boolean mask of combinations satisfying ``expr`` (e.g. ``"fast < slow and tp > 2*sl"``).

    A small safe evaluator (no ``eval``): parameter names, numbers, + - * / % **, comparisons
    (chained too), ``and``/``or``/``not``, ``abs``/``min``/``max``; vectorised over the space.
    """
    if not expr:
        return np.ones(len(space), dtype=bool)
    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError as exc:
        raise ParamError(f"--constraint {expr!r}: {exc.msg}") from None
    names = space.dtype.names

    def ev(node: ast.AST) -> Any:
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float | bool):
            return node.value
        if isinstance(node, ast.Name):
            if node.id not in names:
                raise ParamError(
                    f"--constraint {expr!r}: unknown parameter {node.id!r}; known: {list(names)}"
                )
            return space[node.id].astype(np.float64)
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            return _BINOPS[type(node.op)](ev(node.left), ev(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -ev(node.operand)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return np.logical_not(ev(node.operand))
        if isinstance(node, ast.BoolOp):
            vals = [ev(v) for v in node.values]
            fn = np.logical_and if isinstance(node.op, ast.And) else np.logical_or
            out = vals[0]
            for v in vals[1:]:
                out = fn(out, v)
            return out
        if isinstance(node, ast.Compare):
            left = ev(node.left)
            out = True
            for op, comp in zip(node.ops, node.comparators, strict=True):
                if type(op) not in _CMPOPS:
                    break
                right = ev(comp)
                out = np.logical_and(out, _CMPOPS[type(op)](left, right))
                left = right
            else:
                return out
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("abs", "min", "max")
            and not node.keywords
        ):
            args = [ev(a) for a in node.args]
            if node.func.id == "abs" and len(args) == 1:
                return np.abs(args[0])
            if node.func.id in ("min", "max") and len(args) == 2:
                return (np.minimum if node.func.id == "min" else np.maximum)(*args)
        raise ParamError(f"--constraint {expr!r}: unsupported syntax {ast.unparse(node)!r}")

    mask = np.broadcast_to(np.asarray(ev(tree), dtype=bool), (len(space),))
    return np.array(mask)


def build_space(
    dtype: np.dtype,
    defaults: Mapping[str, Any],
    grid: Mapping[str, Sequence[Any]],
    n_random: int | None = None,
    constraint: str | None = None,
    seed: int = 0,
) -> np.ndarray:
    """Grid (or ``n_random`` draws from it), then the constraint applied: the sweep's table."""
    space = (
        grid_space(dtype, defaults, grid)
        if not n_random
        else random_space(dtype, defaults, grid, n_random, seed)
    )
    space = space[constraint_mask(space, constraint)]
    if len(space) == 0:
        raise ParamError(f"no combination satisfies --constraint {constraint!r}")
    return space
