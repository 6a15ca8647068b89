"""One SPRT analysis end to end: the test, its path, its curves, the estimate, as one record.

The record (a JSON-ready dict) is what ``sprt.json`` holds and what ``sprt.report`` draws, so a
report can be re-rendered from the file alone. Loading outcome and trade files lives here too,
because both the CLI and the promotion gate read them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from memelab.datasets.jsonio import to_jsonable, write_json
from memelab.research.sprt.twoarm import Pairing, TwoArmSPRT, pair_by_signal, pair_in_order
from memelab.research.sprt.wald import BernoulliSPRT, Curves, SPRTError, coerce_outcomes

Progress = Callable[[Iterable], Iterable]

# Work bounds of the OC/ASN simulations: a design far too fine for its data (ASN of 1e5 units)
# must not take hours. Curves are truncated at CURVE_MAX_N or 10x the data at hand (the share
# truncated is reported), and the number of simulated tests per point shrinks, not below
# MIN_SEQ, so that the whole grid stays within STEP_BUDGET simulated outcomes.
CURVE_MAX_N = 100_000
STEP_BUDGET = 150_000_000
MIN_SEQ = 200


def _identity(items: Iterable, **_: Any) -> Iterable:
    return items


def analyse_outcomes(
    outcomes: Iterable,
    test: BernoulliSPRT | None = None,
    n_seq: int = 20_000,
    estimate_n_seq: int = 4000,
    seed: int = 0,
    progress: Progress = _identity,
    source: str = "",
) -> dict:
    """One-arm Bernoulli SPRT on a win/loss sequence, with OC/ASN curves and the estimate."""
    test = test or BernoulliSPRT()
    x = coerce_outcomes(outcomes)
    state = test.update(x)
    grid = test.default_grid()
    wald = test.wald_oc_asn(grid)
    n_seq, max_n = simulation_size(wald.asn, n_seq, x.size)
    mc = _concat_curves([test.monte_carlo([p], n_seq, seed, max_n) for p in progress(grid)])
    at = test.monte_carlo([test.p0, test.p1], n_seq, seed, max_n)
    record = {
        "kind": "one_arm",
        "source": source,
        "params": test.params(),
        "boundaries": {"upper": test.upper, "lower": test.lower},
        "decision": state.decision,
        "n": state.n,
        "llr": state.llr,
        "n_total": int(x.size),
        "wins": state.wins,
        "overshoot": _overshoot(state.decision, state.llr, test.upper, test.lower),
        "llr_path": test.llr_path(x).tolist(),
        "series": {"treatment": _cummean(x).tolist()},
        "reference_lines": {"p0": test.p0, "p1": test.p1},
        "design": _design_summary(at, test.alpha, test.beta, test.wald_oc_asn([test.p0, test.p1])),
        "curves": {"monte_carlo": mc.to_dict(), "wald": wald.to_dict()},
        "seed": seed,
    }
    if x.size:
        record["estimate"] = test.estimate(x, n_seq=estimate_n_seq, seed=seed).to_dict()
    record["reason"] = continue_reason(record)
    return record


def continue_reason(record: dict) -> str | None:
    """Why a test has not decided (``None`` once it has): too few units for ``min_n``, scores
    without variation, or an LLR still between the boundaries."""
    if record["decision"] != "continue":
        return None
    n, llr = record["n_total"], record["llr"]
    lo, hi = record["boundaries"]["lower"], record["boundaries"]["upper"]
    min_n = record["params"].get("min_n")
    unit = "units" if record["kind"] == "two_arm" else "outcomes"
    if min_n and n < min_n:
        return f"only {n} {unit}: the test decides nothing before min_n={min_n}"
    if record["kind"] == "two_arm" and not (record.get("var_score") or 0.0) > 0.0:
        return f"no variation in the {n} scores (all equal): the test cannot weigh them"
    return (
        f"the LLR {llr:.3f} is still between the boundaries ({lo:.3f}, {hi:.3f}) after {n} "
        f"{unit}: more data needed"
    )


DELTA1_SD_FRACTION = 0.25  # default P&L effect: a quarter of the control's per-trade P&L std


def default_pnl_delta1(control: pd.DataFrame) -> float:
    """The P&L effect worth detecting by default, from the control's own backtest only (never
    from the data under test): ``DELTA1_SD_FRACTION`` of its per-trade P&L standard deviation.
    An unpaired test then needs a few hundred trades per arm, not ~10^6 as with a fixed 0.01 SOL
    (the alpha and beta at this setting are checked by Monte Carlo in the tests)."""
    from memelab.research.sprt.twoarm import metric_values

    pnl = metric_values(control.reset_index(drop=True), "pnl", "control").to_numpy(float)
    sd = float(np.std(pnl, ddof=1)) if len(pnl) > 1 else 0.0
    if not sd > 0:
        raise SPRTError(
            f"the control has {len(pnl)} trade(s) without P&L spread: give --delta1 (SOL per trade)"
        )
    return DELTA1_SD_FRACTION * sd


def analyse_runs(
    control: pd.DataFrame,
    treatment: pd.DataFrame,
    metric: str = "win",
    paired: bool = True,
    test: TwoArmSPRT | None = None,
    n_seq: int = 20_000,
    estimate_n_seq: int = 2000,
    seed: int = 0,
    progress: Progress = _identity,
    sources: tuple[str, str] = ("", ""),
) -> dict:
    """Two-arm test of two backtest runs' trades (paired on ``signal_id`` or unpaired)."""
    test = test or TwoArmSPRT()
    pairing = (pair_by_signal if paired else pair_in_order)(control, treatment, metric)
    return analyse_pairing(pairing, test, n_seq, estimate_n_seq, seed, progress, sources)


def analyse_pairing(
    pairing: Pairing,
    test: TwoArmSPRT,
    n_seq: int = 20_000,
    estimate_n_seq: int = 2000,
    seed: int = 0,
    progress: Progress = _identity,
    sources: tuple[str, str] = ("", ""),
) -> dict:
    x = pairing.scores
    state = test.update(x)
    grid = test.default_grid()
    record = {
        "kind": "two_arm",
        "source": {"control": sources[0], "treatment": sources[1]},
        "params": {**test.params(), "metric": pairing.metric, "mode": pairing.mode},
        "boundaries": {"upper": test.upper, "lower": test.lower},
        "decision": state.decision,
        "n": state.n,
        "llr": state.llr,
        "n_total": int(x.size),
        "mean_score": state.mean,
        "var_score": state.var,
        "overshoot": _overshoot(state.decision, state.llr, test.upper, test.lower),
        "llr_path": test.llr_path(x).tolist(),
        "series": {
            "control": _cummean(pairing.units["control"].to_numpy(float)).tolist(),
            "treatment": _cummean(pairing.units["treatment"].to_numpy(float)).tolist(),
        },
        "reference_lines": {"delta0": test.delta0, "delta1": test.delta1},
        "pairing": pairing.summary(),
        "seed": seed,
        "notes": [],
    }
    sd = float(np.std(x, ddof=1)) if x.size > 1 else 0.0
    if sd > 0:
        wald = test.wald_oc_asn(grid, sd)
        n_seq, max_n = simulation_size(wald.asn, n_seq, x.size, test.min_n)
        mc = _concat_curves(
            [test.monte_carlo_bootstrap([d], x, n_seq, seed, max_n) for d in progress(grid)]
        )
        at = test.monte_carlo_bootstrap([test.delta0, test.delta1], x, n_seq, seed, max_n)
        wald_at = test.wald_oc_asn([test.delta0, test.delta1], sd)
        record["curves"] = {"monte_carlo": mc.to_dict(), "wald": wald.to_dict()}
        record["design"] = _design_summary(at, test.alpha, test.beta, wald_at)
        record["estimate"] = test.estimate(x, n_seq=estimate_n_seq, seed=seed).to_dict()
    else:
        record["notes"].append(
            "fewer than 2 units or no variation in the scores: no curves and no estimate"
        )
    record["reason"] = continue_reason(record)
    return record


def simulation_size(
    wald_asn: np.ndarray, n_seq: int, n_data: int, min_n: int = 0
) -> tuple[int, int]:
    """(tests per grid point, truncation) for OC/ASN curves within the work bounds above."""
    max_n = int(min(CURVE_MAX_N, max(10_000, 10 * n_data)))
    asn = np.nan_to_num(np.asarray(wald_asn, dtype=float), nan=max_n, posinf=max_n)
    expected = np.minimum(max_n, 1.5 * np.abs(asn) + min_n + 1).sum()
    return int(min(n_seq, max(MIN_SEQ, STEP_BUDGET // expected))), max_n


def _overshoot(decision: str, llr: float, upper: float, lower: float) -> float | None:
    """How far past its boundary the LLR landed (Wald's approximations assume 0)."""
    if decision == "accept_h1":
        return llr - upper
    if decision == "accept_h0":
        return lower - llr
    return None


def _design_summary(at: Curves, alpha: float, beta: float, wald: Curves) -> dict:
    """Simulated error rates and ASN at the two hypotheses beside the nominal/Wald values:
    the overshoot makes real error rates smaller and real ASNs larger than Wald's."""
    return {
        "alpha_nominal": alpha,
        "beta_nominal": beta,
        "alpha_mc": float(at.p_h1[0]),
        "beta_mc": float(at.oc[1]),
        "asn_h0_mc": float(at.asn[0]),
        "asn_h1_mc": float(at.asn[1]),
        "asn_h0_wald": float(wald.asn[0]),
        "asn_h1_wald": float(wald.asn[1]),
        "truncated_h0_mc": float(at.p_continue[0]),
        "truncated_h1_mc": float(at.p_continue[1]),
        "max_n": at.max_n,
        "n_seq": at.n_seq,
    }


def _concat_curves(parts: list[Curves]) -> Curves:
    def cat(name: str) -> np.ndarray:
        return np.concatenate([getattr(c, name) for c in parts])

    first = parts[0]
    return Curves(
        cat("grid"), cat("oc"), cat("p_h1"), cat("asn"), cat("p_continue"), cat("asn_se"),
        first.method, first.n_seq, first.seed, first.max_n,
    )  # fmt: skip


def _cummean(x: np.ndarray) -> np.ndarray:
    if x.size == 0:
        return np.zeros(0)
    return np.cumsum(x, dtype=np.float64) / np.arange(1, x.size + 1)


# ---------------------------------------------------------------- files


def load_outcomes(path: str | Path) -> np.ndarray:
    """Win/loss outcomes from a CSV (column ``win``, 1/0 or true/false) or a trades Parquet
    (column ``win``, in the order outcomes resolved: ``exit_ts`` when present)."""
    path = Path(path)
    if not path.is_file():
        raise SPRTError(f"{path}: no such file")
    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            df = pd.read_parquet(path)
        elif suffix in (".csv", ".txt", ".tsv"):
            df = pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",")
        else:
            raise SPRTError(f"{path}: expected a .csv or .parquet file")
    except SPRTError:
        raise
    except Exception as exc:  # the reader's own message names the problem
        raise SPRTError(f"{path}: cannot read: {exc}") from None
    if "win" not in df.columns:
        raise SPRTError(f"{path}: no column 'win' (columns: {list(df.columns)})")
    col = df["win"]
    if col.dtype == object or str(col.dtype).startswith("str"):
        col = col.astype(str).str.strip().str.lower().map(_TEXT_WINS).astype("float64")
    # validated in file order, so an error names the file's data row (0-based)
    wins = coerce_outcomes(col.to_numpy(dtype=np.float64, na_value=np.nan), f"{path}: win row")
    if "exit_ts" in df.columns:
        wins = wins[np.argsort(df["exit_ts"].to_numpy(), kind="stable")]
    return wins


_TEXT_WINS = {"1": 1.0, "0": 0.0, "true": 1.0, "false": 0.0, "1.0": 1.0, "0.0": 0.0}


def load_trades(run: str | Path) -> pd.DataFrame:
    """A backtest run's trades: ``RUN_DIR/trades.parquet`` (or the Parquet file itself)."""
    run = Path(run)
    path = run / "trades.parquet" if run.is_dir() else run
    if not path.is_file():
        raise SPRTError(f"{path}: no trades file (expected a backtest --out directory)")
    try:
        return pd.read_parquet(path)
    except Exception as exc:
        raise SPRTError(f"{path}: cannot read: {exc}") from None


def json_ready(obj: Any) -> Any:
    """NaN/inf become null (strict JSON), numpy scalars become Python numbers."""
    return to_jsonable(obj)


def save_analysis(record: dict, out_dir: str | Path) -> dict[str, Path]:
    """Writes ``sprt.json`` and ``report.html`` into ``out_dir``."""
    from memelab.research.sprt.report import write_report

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    json_path = out / "sprt.json"
    write_json(json_path, record, indent=1)
    html_path = write_report(record, out / "report.html")
    return {"json": json_path, "html": html_path}


def summary(record: dict) -> dict:
    """The ``--json`` contract: decision, n, llr, plus what a reader wants next to them."""
    keys = ("decision", "reason", "n", "llr", "n_total", "kind", "overshoot")
    out = {k: record.get(k) for k in keys}
    out["boundaries"] = record["boundaries"]
    if "estimate" in record:
        est = record["estimate"]
        out["estimate"] = {k: est[k] for k in ("point", "lo", "hi", "level", "naive", "method")}
    if "pairing" in record:
        p = record["pairing"]
        out["pairing"] = {
            k: p[k] for k in ("mode", "metric", "units", "unmatched_control", "unmatched_treatment")
        }
    return json_ready(out)
