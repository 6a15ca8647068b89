"""A numba disk cache that cannot serve stale code: its directory is keyed on the source.

numba keys a cached kernel on its own file's timestamp only, but a compiled kernel also freezes
what it took from other files: module constants (``KNOB_*``, record layouts) and the callees it
inlined. After an edit to ``risk.py``, ``risk_nb.py``'s cached machine code would still write
the old index. So the cache lives in ``<base>/memelab-<hash>``, where ``<hash>`` is a digest of
every ``.py`` file of the package: any edit anywhere means a fresh directory, and an unchanged
tree reuses its warm cache. ``<base>`` is ``$MEMELAB_NUMBA_CACHE_DIR``, else a user-set
``$NUMBA_CACHE_DIR``, else ``~/.cache/memelab/numba``. Each use touches its directory; others
unused for ``PRUNE_DAYS`` days are removed (about 10 MB each; another checkout still using one
only recompiles).

Every subpackage that holds kernels (``datasets``, ``engine``, ``research``, ``strategies``,
``live``) calls :func:`configure` from its ``__init__``, which Python runs before any of its
modules, so no ``@njit(cache=True)`` is decorated before the directory is set. Kernels that take
a strategy's ``on_event`` as an argument are compiled per process (``cache=False``) and never
reach the disk.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

PACKAGES = ("datasets", "engine", "research", "strategies", "live")
PREFIX = "memelab-"
PRUNE_DAYS = 14
_configured: Path | None = None


def package_dirs() -> list[Path]:
    """The source folders of memelab's subpackages, wherever they are installed."""
    here = Path(__file__).resolve().parent  # .../datasets
    dirs = []
    for name in PACKAGES:
        if name == "datasets":
            dirs.append(here)
            continue
        mod = sys.modules.get(f"memelab.{name}")
        paths = list(getattr(mod, "__path__", []) or [])
        if not paths:
            import importlib.util

            spec = importlib.util.find_spec(f"memelab.{name}")
            paths = list(spec.submodule_search_locations or []) if spec else []
        dirs.extend(Path(p).resolve() for p in paths[:1])
    return dirs


def source_hash() -> str:
    """sha256 (first 16 hex digits) over every ``.py`` file's relative path and bytes."""
    h = hashlib.sha256()
    for d in package_dirs():
        for path in sorted(d.rglob("*.py")):
            if "__pycache__" in path.parts:
                continue
            h.update(f"{d.name}/{path.relative_to(d).as_posix()}\0".encode())
            h.update(path.read_bytes())
            h.update(b"\0")
    return h.hexdigest()[:16]


def _base() -> Path:
    explicit = os.environ.get("MEMELAB_NUMBA_CACHE_DIR")
    if explicit:
        return Path(explicit)
    inherited = os.environ.get("NUMBA_CACHE_DIR")
    if inherited:
        p = Path(inherited)
        return p.parent if p.name.startswith(PREFIX) else p  # set by a parent process
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "memelab" / "numba"


def _touch_and_prune(target: Path) -> None:
    """Mark ``target`` as in use and remove sibling cache directories idle for ``PRUNE_DAYS``
    (best effort: a read-only or shared base is left alone)."""
    import shutil
    import time

    try:
        target.mkdir(parents=True, exist_ok=True)
        os.utime(target)
        cutoff = time.time() - PRUNE_DAYS * 86400
        for old in target.parent.glob(f"{PREFIX}*"):
            if old != target and old.is_dir() and old.stat().st_mtime < cutoff:
                shutil.rmtree(old, ignore_errors=True)
    except OSError:
        pass


def configure() -> Path:
    """Point numba's cache at ``<base>/memelab-<source hash>`` (idempotent); returns it."""
    global _configured
    if _configured is not None:
        return _configured
    target = _base() / f"{PREFIX}{source_hash()}"
    _touch_and_prune(target)
    os.environ["NUMBA_CACHE_DIR"] = str(target)  # inherited by workers and subprocesses
    if "numba.core.config" in sys.modules:  # numba imported before memelab: re-read the env
        from numba.core import config

        config.reload_config()
    _configured = target
    return target
