"""Where a lake the user named is: a relative path is looked up from the current directory
upwards, so ``MEMELAB_LAKE=lake`` finds the repo-root demo lake from a notebook running in
``notebooks/`` as it does from the repo root."""

from __future__ import annotations

import os
from pathlib import Path

from memelab.datasets.lake import Lake, LakeError


def resolve_lake_dir(
    path: str | os.PathLike[str], start: str | os.PathLike[str] | None = None
) -> Path:
    """``path`` if absolute or a lake under ``start`` (default: the current directory), else
    the first lake at ``parent / path`` walking up from ``start``; a ``LakeError`` names every
    place tried."""
    p = Path(path).expanduser()
    if p.is_absolute():
        return p
    here = Path(start or os.getcwd()).resolve()
    tried = []
    for base in (here, *here.parents):
        candidate = base / p
        tried.append(str(candidate))
        if Lake(candidate).exists():
            return candidate
    raise LakeError(
        f"no lake {str(p)!r} found from {here} upwards (tried {', '.join(tried[:4])}"
        f"{', ...' if len(tried) > 4 else ''}); give an absolute path or run `make demo` first"
    )
