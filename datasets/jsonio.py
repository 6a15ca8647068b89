"""One JSON rule for every file and ``--json`` output memelab writes: strict JSON.

NaN and +/-inf have no JSON spelling (Python's ``json`` writes bare ``NaN``/``Infinity``, which
other parsers refuse), so they become ``null``; numpy scalars and arrays become Python numbers
and lists; paths, timestamps and other objects become their ``str``. Files are written
atomically (temp file in the same directory, then rename), so a reader never sees half a file.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["to_jsonable", "dumps", "write_json", "write_text_atomic", "staged_output_dir"]


def to_jsonable(obj: Any) -> Any:
    """``obj`` as plain JSON values: dict keys as str, non-finite floats as ``None``."""
    if obj is None or isinstance(obj, bool | str):
        return obj
    if isinstance(obj, Mapping):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, int | np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        v = float(obj)
        return v if math.isfinite(v) else None
    if isinstance(obj, np.generic):
        return to_jsonable(obj.item())
    return str(obj)


def dumps(obj: Any, **kw: Any) -> str:
    """Strict JSON text of ``obj`` (``json.dumps`` keywords pass through; ``allow_nan`` is off)."""
    kw["allow_nan"] = False
    return json.dumps(to_jsonable(obj), **kw)


def write_text_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` to ``path`` through a temp file and a rename (never a half-written file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


def write_json(path: str | os.PathLike[str], obj: Any, indent: int | None = 2, **kw: Any) -> Path:
    """Write ``obj`` as strict JSON to ``path``, atomically; returns the path."""
    return write_text_atomic(path, dumps(obj, indent=indent, **kw) + "\n")


@contextmanager
def staged_output_dir(out: str | os.PathLike[str]) -> Iterator[Path]:
    """A command's outputs, all or nothing: write into the yielded staging folder (next to
    ``out``); on success every file moves into ``out`` (one rename each, other files in ``out``
    untouched), on error the staging folder is removed and ``out`` is as it was."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    try:
        yield stage
        out.mkdir(parents=True, exist_ok=True)
        for src in sorted(stage.rglob("*")):
            if src.is_file():
                dst = out / src.relative_to(stage)
                dst.parent.mkdir(parents=True, exist_ok=True)
                os.replace(src, dst)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
