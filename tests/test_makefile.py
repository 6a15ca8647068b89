"""``make install`` fails visibly when pip fails, and still filters pip's location notes."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _fake_venv(root: Path, pip_body: str) -> Path:
    bin_ = root / "venv" / "bin"
    bin_.mkdir(parents=True)
    (bin_ / "python").write_text("#!/bin/sh\nexit 0\n")
    (bin_ / "pip").write_text(f"#!/bin/sh\n{pip_body}\n")
    for f in ("python", "pip"):
        (bin_ / f).chmod(0o755)
    return root / "venv"


def _make_install(venv: Path):
    return subprocess.run(
        ["make", "-C", str(REPO), "install", f"VENV={venv}"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_a_failing_pip_install_fails_make(tmp_path):
    venv = _fake_venv(tmp_path, 'echo "ERROR: No matching distribution found for torch"; exit 1')
    res = _make_install(venv)
    assert res.returncode != 0
    assert "ERROR: No matching distribution" in res.stdout + res.stderr
    assert "[1/4] torch" in res.stdout and "[2/4]" not in res.stdout
    assert not (venv / ".installed").exists()


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_a_quiet_successful_install_passes_and_drops_location_notes(tmp_path):
    venv = _fake_venv(tmp_path, 'echo "WARNING: Location /x is not on PATH"; exit 0')
    res = _make_install(venv)
    assert res.returncode == 0, res.stdout + res.stderr
    lines = (res.stdout + res.stderr).splitlines()
    assert not [ln for ln in lines if ln.startswith("WARNING: Location")]
    assert "[4/4]" in res.stdout and (venv / ".installed").exists()
