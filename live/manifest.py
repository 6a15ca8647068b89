"""Promotion: the manifest that lets a backtested strategy run, and the gates it must pass.

A manifest is one JSON file written by ``memelab promote`` from three outputs of the workbench:
a backtest run directory (``run.json``, ``metrics.json``), a walk-forward validation directory
(``validation.json``) and an SPRT directory (``sprt.json``). It freezes what runs (strategy,
params, engine config, model hash), on what evidence (data range, lake hash, metrics, DSR, PBO,
SPRT decision) and with which code (a hash of the installed memelab sources, plus the git commit).

Gates (thresholds from ``docs/validation.md``): deflated Sharpe ratio >= 0.95, probability of
backtest overfitting <= 0.5, and an SPRT that accepted the variant (``accept_h1``). ``--force``
writes a manifest that failed or skipped gates, marked ``forced``: paper mode accepts it, live
mode never does (:func:`check_manifest_for_live`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = "memelab.promotion/1"
DSR_MIN = 0.95
PBO_MAX = 0.5
SPRT_ACCEPT = "accept_h1"
_PACKAGES = ("cli", "datasets", "engine", "research", "strategies", "live")


class PromotionError(ValueError):
    """A gate failed or an input is unusable; the message names the gate or file."""


@dataclass(frozen=True)
class Gate:
    name: str
    value: Any
    threshold: str
    passed: bool

    def describe(self) -> str:
        return f"{self.name} = {self.value} (needs {self.threshold})"


def _read_json(path: Path, what: str) -> dict[str, Any]:
    if not path.is_file():
        raise PromotionError(f"{what}: {path} not found")
    try:
        doc = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise PromotionError(f"{what}: {path} is not valid JSON ({exc})") from None
    if not isinstance(doc, dict):
        raise PromotionError(f"{what}: {path} is not a JSON object")
    return doc


def _num(value: Any) -> float:
    """A gate value as a float; strings like "nan" (how the workbench writes non-finite) -> nan."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def sha256_file(path: str | os.PathLike[str]) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def code_root() -> Path:
    """The directory holding memelab's top-level source folders (cli/, engine/, live/...)."""
    return Path(__file__).resolve().parents[1]


def code_hash(root: Path | None = None) -> str:
    """sha256 over every ``.py`` file of memelab's packages (path + content), sorted.

    This, not the git commit, is what live mode compares: it works in an installed copy and it
    changes with any uncommitted edit."""
    root = root or code_root()
    h = hashlib.sha256()
    for pkg in _PACKAGES:
        for path in sorted((root / pkg).rglob("*.py")):
            if "__pycache__" in path.parts:
                continue
            h.update(str(path.relative_to(root)).encode() + b"\0")
            h.update(path.read_bytes() + b"\0")
    return h.hexdigest()


def git_commit(root: Path | None = None) -> str | None:
    """The checkout's HEAD commit (None outside a git checkout), ``+dirty`` when edited."""
    root = root or code_root()
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
        )
        if head.returncode != 0:
            return None
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def lake_hash(lake: str | os.PathLike[str]) -> str | None:
    """The swaps table's content hash from the lake's own manifest (None when unreadable)."""
    path = Path(lake) / "_manifest" / "swaps.json"
    try:
        return json.loads(path.read_text()).get("content_hash")
    except (OSError, json.JSONDecodeError, AttributeError):
        return None


def evaluate_gates(validation: dict[str, Any] | None, sprt: dict[str, Any] | None) -> list[Gate]:
    """The three gates from validation.json's ``gates`` and sprt.json; a missing input fails."""
    gates: list[Gate] = []
    g = (validation or {}).get("gates") or {}
    dsr = _num((g.get("dsr") or {}).get("dsr"))
    pbo = _num((g.get("pbo") or {}).get("pbo"))
    gates.append(Gate("DSR", dsr, f">= {DSR_MIN}", dsr >= DSR_MIN))
    gates.append(Gate("PBO", pbo, f"<= {PBO_MAX}", pbo <= PBO_MAX))
    decision = (sprt or {}).get("decision")
    gates.append(Gate("SPRT", decision, f"decision {SPRT_ACCEPT}", decision == SPRT_ACCEPT))
    return gates


def model_artefact(strategy: str, run: dict[str, Any], model: Path | None) -> dict[str, str] | None:
    """The model file behind a strategy (``--model``, run.json ``model``, or the strategy's
    ``MODEL_PATH``), hashed; None for a strategy without one."""
    path: Any = model or run.get("model")
    if path is None:
        try:
            from memelab.strategies import get_strategy

            path = getattr(get_strategy(strategy), "MODEL_PATH", None)
        except ValueError:
            path = None
    if path is None:
        return None
    path = Path(path)
    if not path.is_file():
        raise PromotionError(f"model artefact {path} not found")
    return {"path": str(path), "sha256": sha256_file(path)}


def build_manifest(
    run_dir: Path,
    name: str,
    validate_dir: Path | None = None,
    sprt_dir: Path | None = None,
    force: bool = False,
    model: Path | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """The manifest for ``run_dir``; raises ``PromotionError`` naming each failed gate unless
    ``force`` (then the manifest is marked forced and usable for paper only)."""
    if not name or not all(c.isalnum() or c in "-_." for c in name):
        raise PromotionError(f"name {name!r}: use letters, digits, '-', '_' or '.'")
    if not force and (validate_dir is None or sprt_dir is None):
        missing = [o for o, d in (("--validate", validate_dir), ("--sprt", sprt_dir)) if d is None]
        raise PromotionError(f"{' and '.join(missing)} required (or --force, paper only)")
    run = _read_json(Path(run_dir) / "run.json", "backtest run")
    metrics = _read_json(Path(run_dir) / "metrics.json", "backtest metrics")
    strategy = run.get("strategy")
    if not isinstance(strategy, str):
        raise PromotionError(f"backtest run {run_dir}/run.json has no strategy")
    validation = _read_json(Path(validate_dir) / "validation.json", "walk-forward validation") \
        if validate_dir is not None else None  # fmt: skip
    sprt = _read_json(Path(sprt_dir) / "sprt.json", "SPRT") if sprt_dir is not None else None
    if validation is not None:
        wf_strategy = (validation.get("meta") or {}).get("strategy")
        if wf_strategy != strategy:
            raise PromotionError(
                f"walk-forward validation {validate_dir} is of strategy {wf_strategy!r}, "
                f"the backtest of {strategy!r}"
            )
    gates = evaluate_gates(validation, sprt)
    failed = [g for g in gates if not g.passed]
    if failed and not force:
        raise PromotionError("gate failed: " + "; ".join(g.describe() for g in failed))
    lake = run.get("lake") or run.get("source")
    now = now or dt.datetime.now(dt.UTC)
    return {
        "schema": SCHEMA,
        "name": name,
        "strategy": strategy,
        "params": run.get("params") or {},
        "engine_config": run.get("config") or {},
        "seed": run.get("seed"),
        "model": model_artefact(strategy, run, model),
        "data": {
            "lake": lake,
            "lake_hash": lake_hash(lake) if lake else None,
            "time_range": run.get("time_range"),
            "start": run.get("start"),
            "end": run.get("end"),
            "events": run.get("events"),
        },
        "backtest": {"dir": str(run_dir), "metrics": metrics},
        "walk_forward": None
        if validation is None
        else {
            "dir": str(validate_dir),
            "gates": validation.get("gates"),
            "meta": _wf_meta(validation),
        },
        "sprt": None
        if sprt is None
        else {
            "dir": str(sprt_dir),
            "decision": sprt.get("decision"),
            "n": sprt.get("n"),
            "llr": sprt.get("llr"),
            "kind": sprt.get("kind"),
            "params": sprt.get("params"),
            "source": sprt.get("source"),
        },
        "gates": {
            g.name: {"value": _finite(g.value), "threshold": g.threshold, "passed": g.passed}
            for g in gates
        },
        "forced": bool(failed) or validation is None or sprt is None,
        "failed_gates": [g.describe() for g in failed],
        "code": {"hash": code_hash(), "git_commit": git_commit()},
        "created_at": now.isoformat(timespec="seconds"),
    }


def _wf_meta(validation: dict[str, Any]) -> dict[str, Any]:
    meta = dict(validation.get("meta") or {})
    meta.pop("config", None)  # the engine config is recorded once, from the backtest
    return meta | {"folds": validation.get("folds")}


def _finite(v: Any) -> Any:
    return None if isinstance(v, float) and not math.isfinite(v) else v


def write_manifest(manifest: dict[str, Any], out: Path, overwrite: bool = False) -> Path:
    """Write atomically (temp file + rename); an existing manifest is kept unless asked."""
    out = Path(out)
    if out.exists() and not overwrite:
        raise PromotionError(f"{out} exists; choose another --name/--out")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True, allow_nan=False) + "\n")
    tmp.replace(out)
    return out


def load_manifest(path: str | os.PathLike[str] | None) -> dict[str, Any]:
    if path is None:
        raise PromotionError("no manifest given: run `memelab promote` first")
    doc = _read_json(Path(path), "manifest")
    if doc.get("schema") != SCHEMA:
        raise PromotionError(f"manifest {path}: schema {doc.get('schema')!r}, expected {SCHEMA}")
    return doc


def check_manifest_for_live(
    manifest: dict[str, Any] | None, current_code: str | None = None
) -> None:
    """Refuse (``PromotionError``) a manifest live mode must not run: missing, forced, a failed
    gate, or promoted from code other than the running code."""
    if not manifest:
        raise PromotionError("live mode needs a promoted manifest; none given")
    if manifest.get("schema") != SCHEMA:
        raise PromotionError(f"manifest schema {manifest.get('schema')!r}, expected {SCHEMA}")
    if manifest.get("forced"):
        raise PromotionError(
            f"manifest {manifest.get('name')!r} was forced past its gates "
            f"({'; '.join(manifest.get('failed_gates') or ['gates skipped'])}): paper mode only"
        )
    bad = [k for k, g in (manifest.get("gates") or {}).items() if not g.get("passed")]
    if bad or set(manifest.get("gates") or {}) != {"DSR", "PBO", "SPRT"}:
        raise PromotionError(f"manifest {manifest.get('name')!r}: gates not all passed ({bad})")
    promoted = (manifest.get("code") or {}).get("hash")
    running = current_code or code_hash()
    if promoted != running:
        raise PromotionError(
            f"manifest {manifest.get('name')!r} was promoted from code {str(promoted)[:12]}, "
            f"this is {running[:12]}: promote again with the running code"
        )


def check_manifest_for_paper(manifest: dict[str, Any] | None) -> None:
    """Paper mode runs any well-formed manifest, forced ones included."""
    if not manifest:
        raise PromotionError("paper mode needs a manifest (`memelab promote --force` for a trial)")
    if manifest.get("schema") != SCHEMA:
        raise PromotionError(f"manifest schema {manifest.get('schema')!r}, expected {SCHEMA}")
