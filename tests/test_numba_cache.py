"""The numba disk cache cannot lie: an edit anywhere in the package means fresh compiled code."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("datasets", "engine", "research", "strategies", "live")

# Runs risk_nb.update_knobs_nb (cache=True), whose KNOB_EQUITY index is a constant from risk.py,
# and prints where the equity landed.
PROBE = """
import sys, numpy as np
import memelab.engine.risk_nb as rnb
from memelab.engine import risk
from memelab.engine.config import EngineConfig
assert rnb.__file__.startswith(sys.argv[1]), rnb.__file__
cfg, _ = EngineConfig().pack()
acct = np.zeros(risk.N_ACCT); acct[risk.A_CASH] = 42.0; acct[risk.A_DAY_START_EQ] = 42.0
knobs = np.zeros(16)
rnb.update_knobs_nb(knobs, acct, np.zeros(risk.N_IACCT, dtype=np.int64), cfg)
print(int(np.flatnonzero(knobs == 42.0)[0]))
"""


def _copy_package(root: Path) -> Path:
    pkg = root / "memelab"
    for name in PACKAGES:
        shutil.copytree(REPO / name, pkg / name, ignore=shutil.ignore_patterns("__pycache__"))
    return pkg


def _run(root: Path, cache: Path) -> int:
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env.update(PYTHONPATH=str(root), MEMELAB_NUMBA_CACHE_DIR=str(cache), NUMBA_DISABLE_JIT="0")
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(root)],
        cwd=root, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    return int(out.stdout.strip().splitlines()[-1])


def test_a_constant_changed_in_another_file_is_used_by_the_next_process(tmp_path):
    pkg = _copy_package(tmp_path / "src")
    cache = tmp_path / "cache"
    assert _run(tmp_path / "src", cache) == 5  # KNOB_EQUITY as shipped
    first = list(cache.iterdir())
    assert len(first) == 1 and any(first[0].rglob("*risk_nb*.nbi")), "kernel was not disk-cached"
    risk = pkg / "engine" / "risk.py"
    text = risk.read_text()
    assert "KNOB_EQUITY = 5" in text
    risk.write_text(text.replace("KNOB_EQUITY = 5", "KNOB_EQUITY = 9"))
    assert _run(tmp_path / "src", cache) == 9  # risk_nb.py itself did not change
    assert len(list(cache.iterdir())) == 2


def test_the_cache_directory_is_keyed_on_the_source_and_inherited_without_nesting(monkeypatch):
    from memelab.datasets import numba_cache

    assert Path(os.environ["NUMBA_CACHE_DIR"]).name == f"memelab-{numba_cache.source_hash()}"
    monkeypatch.delenv("MEMELAB_NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setenv("NUMBA_CACHE_DIR", "/x/memelab-0123456789abcdef")
    assert numba_cache._base() == Path("/x")  # a worker inherits the parent's keyed dir


def test_idle_cache_directories_are_pruned_and_the_current_one_kept(tmp_path):
    import time

    from memelab.datasets import numba_cache

    old, recent = tmp_path / "memelab-old", tmp_path / "memelab-recent"
    for d in (old, recent):
        d.mkdir()
    past = time.time() - (numba_cache.PRUNE_DAYS + 1) * 86400
    os.utime(old, (past, past))
    numba_cache._touch_and_prune(tmp_path / "memelab-current")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["memelab-current", "memelab-recent"]


KERNEL_ENTRIES = (
    "memelab.research.validation.gates_nb",
    "memelab.research.sprt.sequential_nb",
    "memelab.research.wallets.scoring_nb",
    "memelab.engine.exits_nb",
    "memelab.strategies.momentum",
    "memelab.datasets.events_nb",
)


def test_every_kernel_module_imported_first_caches_under_the_keyed_directory(tmp_path):
    """Whichever kernel module a process imports first, its kernels cache in the keyed dir."""
    probe = (
        "import importlib, sys, numba\n"
        "from numba.core.registry import CPUDispatcher\n"
        "m = importlib.import_module(sys.argv[1])\n"
        "d = [v for v in vars(m).values() if isinstance(v, CPUDispatcher) and v._cache is not None"
        " and type(v._cache).__name__ != 'NullCache']\n"
        "print(d[0]._cache._cache_path)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env["MEMELAB_NUMBA_CACHE_DIR"] = str(tmp_path)
    for name in KERNEL_ENTRIES:
        out = subprocess.run([sys.executable, "-c", probe, name], env=env, capture_output=True,
                             text=True, timeout=300)  # fmt: skip
        assert out.returncode == 0, out.stderr[-1500:]
        assert out.stdout.strip().startswith(str(tmp_path / "memelab-")), (name, out.stdout)
