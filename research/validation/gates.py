"""Gates against overfitting: walk-forward and purged k-fold splits, deflated Sharpe, PBO by CSCV.

Written from the papers:

- Lopez de Prado (2018), *Advances in Financial Machine Learning*, ch. 7: purged k-fold with an
  embargo. An observation whose outcome window overlaps the test period is *purged* from training
  (its label already knows the test data); observations right after the test are *embargoed*
  (serial correlation leaks the test into them).
- Bailey & Lopez de Prado (2014), "The Deflated Sharpe Ratio": the probabilistic Sharpe ratio
  (PSR) adjusted for skew and kurtosis, evaluated against the Sharpe one expects from the best of
  N unskilled trials.
- Bailey, Borwein, Lopez de Prado & Zhu (2017), "The Probability of Backtest Overfitting":
  combinatorially symmetric cross-validation (CSCV) over a T x N matrix of trial returns.

Times are event time (int64 ns), never wall-clock; Sharpe ratios are per observation (not
annualised), as in the papers.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
from memelab.research.validation import gates_nb as vnb

EULER_GAMMA = 0.5772156649015329

__all__ = [
    "Window",
    "walk_forward_windows",
    "walk_forward_splits",
    "purged_kfold_splits",
    "sharpe_ratio",
    "probabilistic_sharpe_ratio",
    "expected_max_sharpe",
    "deflated_sharpe_ratio",
    "DSRResult",
    "pbo_cscv",
    "PBOResult",
    "cscv_train_blocks",
]


DSR_LEVEL = 0.95  # the DSR gate passes at or above this
PBO_LEVEL = 0.5  # the PBO gate passes below this


class ValidationError(ValueError):
    """A bad argument to a validation routine; the message names the parameter."""


def gate_verdicts(gates: dict) -> list[dict]:
    """Each gate of a ``gates`` dict as ``{gate, value, op, threshold, passed, detail}``, the
    form every printout and report shows (a missing gate says why it is missing)."""
    out = []
    d = gates.get("dsr")
    if d:
        out.append({
            "gate": "DSR", "value": d["dsr"], "op": ">=", "threshold": DSR_LEVEL,
            "passed": bool(d["passed"]),
            "detail": f"Sharpe {d['sharpe']:.3f} per bucket vs {d['sr0']:.3f} expected from the "
            f"best of {d.get('n_trials', gates.get('n_trials'))} unskilled trials",
        })  # fmt: skip
    else:
        out.append({"gate": "DSR", "value": None, "op": ">=", "threshold": DSR_LEVEL,
                    "passed": False, "detail": "not computed: needs >= 3 buckets, 2 combinations"})  # fmt: skip
    p = gates.get("pbo")
    if p:
        out.append({
            "gate": "PBO", "value": p["pbo"], "op": "<", "threshold": PBO_LEVEL,
            "passed": bool(p["passed"]),
            "detail": f"CSCV over {p['n_blocks']} blocks, {p['n_splits']} splits",
        })  # fmt: skip
    else:
        out.append({"gate": "PBO", "value": None, "op": "<", "threshold": PBO_LEVEL,
                    "passed": False, "detail": "not computed: needs >= 2 combinations and as "
                    "many buckets as CSCV blocks"})  # fmt: skip
    return out


def format_gates(gates: dict) -> list[str]:
    """Printable lines: one per gate (value, threshold, pass/FAIL, rounded), then the verdict
    naming the failed gates, and the trials count the DSR used."""
    lines = []
    rows = gate_verdicts(gates)
    for g in rows:
        value = "n/a" if g["value"] is None else f"{g['value']:.3f}"
        verdict = "pass" if g["passed"] else "FAIL"
        lines.append(
            f"  {g['gate']:<4} {value:>6}  (pass if {g['op']} {g['threshold']:g})  {verdict:<4}  "
            f"{g['detail']}"
        )
    failed = [g["gate"] for g in rows if not g["passed"]]
    total = gates.get("n_trials_total", gates.get("n_trials"))
    head = f"gates: {gates.get('n_trials')} combinations in this run, {total} trials on this lake and strategy so far"
    verdict = "-> PASS" if not failed else f"-> FAIL ({', '.join(failed)})"
    return [head, *lines, verdict]


# ------------------------------------------------------------------ walk-forward splits
@dataclass(frozen=True)
class Window:
    """One walk-forward fold: train on ``[train_start, train_end)``, test on
    ``[test_start, test_end)`` (ns). ``test_start - train_end = purge + embargo``."""

    fold: int
    train_start: int
    train_end: int
    test_start: int
    test_end: int


def walk_forward_windows(
    start: int,
    end: int,
    train: int,
    test: int,
    step: int | None = None,
    expanding: bool = False,
    purge: int = 0,
    embargo: int = 0,
) -> list[Window]:
    """Walk-forward folds over ``[start, end)`` in event time (all arguments in ns).

    Fold k's nominal train period ends at ``a_k = start + train + k * step`` (``step`` defaults to
    ``test``). Rolling folds train on ``[a_k - train, a_k - purge)``, expanding folds on
    ``[start, a_k - purge)``. The test period is ``[a_k + embargo, a_k + embargo + test)``: the
    purge drops the training tail whose outcomes (open trades, label horizons) would resolve
    inside the test, and the embargo leaves a gap for serial correlation. Folds whose test would
    pass ``end`` are not made.
    """
    step = test if step is None else step
    for name, value in (("train", train), ("test", test), ("step", step)):
        if value <= 0:
            raise ValidationError(f"walk-forward: {name} must be > 0 ns, got {value}")
    for name, value in (("purge", purge), ("embargo", embargo)):
        if value < 0:
            raise ValidationError(f"walk-forward: {name} must be >= 0 ns, got {value}")
    if purge >= train:
        raise ValidationError(f"walk-forward: purge ({purge}) must be shorter than train ({train})")
    out: list[Window] = []
    k = 0
    while True:
        anchor = start + train + k * step
        test_start = anchor + embargo
        test_end = test_start + test
        if test_end > end:
            break
        train_start = start if expanding else anchor - train
        out.append(Window(k, int(train_start), int(anchor - purge), int(test_start), int(test_end)))
        k += 1
    return out


def walk_forward_splits(
    ts: np.ndarray,
    train: int,
    test: int,
    step: int | None = None,
    expanding: bool = False,
    purge: int = 0,
    embargo: int = 0,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Walk-forward folds as index arrays into sorted event times ``ts`` (see
    ``walk_forward_windows``); the range is ``[ts[0], ts[-1] + 1)``."""
    ts = _sorted_times(ts)
    if len(ts) == 0:
        return []
    windows = walk_forward_windows(
        int(ts[0]), int(ts[-1]) + 1, train, test, step, expanding, purge, embargo
    )
    out = []
    for w in windows:
        tr = np.arange(*np.searchsorted(ts, [w.train_start, w.train_end]))
        te = np.arange(*np.searchsorted(ts, [w.test_start, w.test_end]))
        out.append((tr, te))
    return out


def purged_kfold_splits(
    ts: np.ndarray,
    n_splits: int = 5,
    label_end: np.ndarray | None = None,
    embargo: int = 0,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Purged k-fold with embargo (Lopez de Prado 2018, 7.4) over sorted observation times.

    Observation i happens at ``ts[i]`` and its outcome is known at ``label_end[i]`` (>= ts[i];
    defaults to ``ts``). Test folds are contiguous. A training observation is purged when its
    interval ``[ts[i], label_end[i]]`` overlaps the test interval ``[ts[first], max label_end of
    the fold]``, and embargoed when it starts within ``embargo`` ns after that interval ends.
    """
    ts = _sorted_times(ts)
    n = len(ts)
    if n_splits < 2:
        raise ValidationError(f"purged k-fold: n_splits must be >= 2, got {n_splits}")
    if n < n_splits:
        raise ValidationError(f"purged k-fold: {n} observations < n_splits={n_splits}")
    if embargo < 0:
        raise ValidationError(f"purged k-fold: embargo must be >= 0 ns, got {embargo}")
    end = ts if label_end is None else np.asarray(label_end, dtype=np.int64)
    if end.shape != ts.shape:
        raise ValidationError(f"purged k-fold: label_end has {len(end)} rows, ts has {n}")
    if np.any(end < ts):
        bad = int(np.argmax(end < ts))
        raise ValidationError(f"purged k-fold: label_end[{bad}] is before ts[{bad}]")
    idx = np.arange(n)
    out = []
    for fold in np.array_split(idx, n_splits):
        t_lo = ts[fold[0]]
        t_hi = end[fold].max()
        overlaps = (ts <= t_hi) & (end >= t_lo)
        embargoed = (ts > t_hi) & (ts <= t_hi + embargo)
        keep = ~(overlaps | embargoed)
        keep[fold] = False
        out.append((idx[keep], fold))
    return out


def _sorted_times(ts: np.ndarray) -> np.ndarray:
    ts = np.asarray(ts, dtype=np.int64)
    if len(ts) > 1 and np.any(np.diff(ts) < 0):
        bad = int(np.argmax(np.diff(ts) < 0)) + 1
        raise ValidationError(f"times must be sorted ascending; ts[{bad}] < ts[{bad - 1}]")
    return ts


# ------------------------------------------------------------------ deflated Sharpe ratio
def sharpe_ratio(returns: np.ndarray) -> float:
    """Per-observation Sharpe ratio: mean / sample std (ddof=1); 0 when the std is 0."""
    r = np.asarray(returns, dtype=np.float64)
    if len(r) < 2:
        return 0.0
    sd = r.std(ddof=1)
    return float(r.mean() / sd) if sd > 0 else 0.0


def _norm_cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def _norm_ppf(p: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(p))


def probabilistic_sharpe_ratio(
    sharpe: float, benchmark: float, n_obs: int, skew: float = 0.0, kurtosis: float = 3.0
) -> float:
    """P(true Sharpe > ``benchmark``) given an observed per-observation ``sharpe`` over ``n_obs``
    observations with the returns' ``skew`` and (non-excess) ``kurtosis``: fat tails and negative
    skew widen the Sharpe's standard error (Bailey & Lopez de Prado 2012)."""
    if n_obs < 2:
        raise ValidationError(f"PSR: n_obs must be >= 2, got {n_obs}")
    denom = 1.0 - skew * sharpe + (kurtosis - 1.0) / 4.0 * sharpe * sharpe
    if denom <= 0:
        raise ValidationError(
            f"PSR: variance term 1 - skew*SR + (kurt-1)/4*SR^2 = {denom:.3g} <= 0 "
            f"(sharpe={sharpe}, skew={skew}, kurtosis={kurtosis})"
        )
    z = (sharpe - benchmark) * math.sqrt(n_obs - 1) / math.sqrt(denom)
    return _norm_cdf(z)


def expected_max_sharpe(n_trials: int, var_sharpe: float, mean_sharpe: float = 0.0) -> float:
    """Expected maximum Sharpe among ``n_trials`` unskilled trials whose Sharpe ratios have
    variance ``var_sharpe`` (Euler-Mascheroni approximation of the Gumbel maximum)."""
    if n_trials < 1:
        raise ValidationError(f"expected max Sharpe: n_trials must be >= 1, got {n_trials}")
    if var_sharpe < 0:
        raise ValidationError(f"expected max Sharpe: var_sharpe must be >= 0, got {var_sharpe}")
    if n_trials == 1:
        return float(mean_sharpe)
    z = (1 - EULER_GAMMA) * _norm_ppf(1 - 1 / n_trials) + EULER_GAMMA * _norm_ppf(
        1 - 1 / (n_trials * math.e)
    )
    return float(mean_sharpe + math.sqrt(var_sharpe) * z)


@dataclass(frozen=True)
class DSRResult:
    """The deflated Sharpe ratio of a selected strategy and what it was computed from."""

    dsr: float  # P(true Sharpe > sr0): >= 0.95 passes the gate
    sharpe: float  # observed per-observation Sharpe of the selection
    sr0: float  # expected max Sharpe of n_trials unskilled trials
    n_obs: int
    n_trials: int
    var_sharpe: float
    skew: float
    kurtosis: float

    def passed(self, level: float = 0.95) -> bool:
        return bool(self.dsr >= level)

    def summary(self) -> dict[str, float | int | bool]:
        """The figures a report or ``best.json`` shows (JSON-ready)."""
        return {
            "dsr": self.dsr,
            "sharpe": self.sharpe,
            "sr0": self.sr0,
            "n_obs": self.n_obs,
            "n_trials": self.n_trials,
            "skew": self.skew,
            "kurtosis": self.kurtosis,
            "var_sharpe": self.var_sharpe,
            "passed": self.passed(),
        }


def deflated_sharpe_ratio(
    returns: np.ndarray,
    trial_sharpes: np.ndarray | None = None,
    n_trials: int | None = None,
    var_sharpe: float | None = None,
) -> DSRResult:
    """DSR of the selected strategy's per-period ``returns``.

    Pass the Sharpe ratios of all trials tried (``trial_sharpes``: their count and variance are
    used) or ``n_trials`` and ``var_sharpe`` directly. Skew and kurtosis are the returns' sample
    moments (population normalisation, as in the paper).
    """
    r = np.asarray(returns, dtype=np.float64)
    if len(r) < 3:
        raise ValidationError(f"DSR: need >= 3 returns, got {len(r)}")
    if trial_sharpes is not None:
        ts = np.asarray(trial_sharpes, dtype=np.float64)
        ts = ts[np.isfinite(ts)]
        n_trials = len(ts) if n_trials is None else n_trials
        var_sharpe = float(ts.var(ddof=1)) if var_sharpe is None and len(ts) > 1 else var_sharpe
    if n_trials is None or var_sharpe is None:
        raise ValidationError("DSR: pass trial_sharpes, or both n_trials and var_sharpe")
    sr = sharpe_ratio(r)
    centred = r - r.mean()
    m2 = float(np.mean(centred**2))
    if m2 > 0:
        skew = float(np.mean(centred**3) / m2**1.5)
        kurt = float(np.mean(centred**4) / m2**2)
    else:
        skew, kurt = 0.0, 3.0
    sr0 = expected_max_sharpe(int(n_trials), float(var_sharpe))
    dsr = probabilistic_sharpe_ratio(sr, sr0, len(r), skew, kurt)
    return DSRResult(dsr, sr, sr0, len(r), int(n_trials), float(var_sharpe), skew, kurt)


# ------------------------------------------------------------------ PBO by CSCV
@dataclass(frozen=True)
class PBOResult:
    """CSCV outcome over all C(S, S/2) splits (arrays have one entry per split)."""

    pbo: float  # share of splits whose IS-best trial ranks at or below the OOS median
    logits: np.ndarray  # lambda = ln(w / (1 - w)), w the IS-best's relative OOS rank
    perf_is: np.ndarray
    perf_oos: np.ndarray
    best: np.ndarray  # the IS-best trial of each split
    degradation_slope: float  # OLS slope of OOS on IS performance (< 0: selection hurts)
    degradation_intercept: float
    prob_oos_loss: float  # share of splits whose IS-best loses OOS (performance < 0)
    n_blocks: int
    metric: str

    @property
    def n_splits(self) -> int:
        return len(self.logits)

    def passed(self, level: float = 0.5) -> bool:
        return bool(self.pbo < level)

    def summary(self) -> dict[str, float | int | bool]:
        """The figures a report or ``best.json`` shows (JSON-ready; the arrays stay here)."""
        return {
            "pbo": self.pbo,
            "n_blocks": self.n_blocks,
            "n_splits": self.n_splits,
            "degradation_slope": self.degradation_slope,
            "prob_oos_loss": self.prob_oos_loss,
            "passed": self.passed(),
        }


def cscv_train_blocks(n_blocks: int) -> np.ndarray:
    """All C(S, S/2) choices of in-sample blocks, one row each (lexicographic order)."""
    if n_blocks < 2 or n_blocks % 2:
        raise ValidationError(f"CSCV: n_blocks must be even and >= 2, got {n_blocks}")
    return np.array(list(itertools.combinations(range(n_blocks), n_blocks // 2)), dtype=np.int64)


_METRICS = {"sharpe": vnb.METRIC_SHARPE, "mean": vnb.METRIC_MEAN}


def pbo_cscv(m: np.ndarray, n_blocks: int = 16, metric: str = "sharpe") -> PBOResult:
    """Probability of backtest overfitting of picking the best column of ``m`` (T x N: T
    time-ordered observations of N trials' returns).

    Rows are cut into ``n_blocks`` contiguous blocks (sizes differ by at most one, as
    ``np.array_split``). For each way to pick half the blocks as in-sample, the trial with the
    best in-sample ``metric`` is found and ranked out of sample; PBO is the share of splits where
    its relative rank's logit is <= 0.
    """
    m = np.ascontiguousarray(m, dtype=np.float64)
    if m.ndim != 2:
        raise ValidationError(f"PBO: matrix must be 2-D (T x N), got shape {m.shape}")
    t, n = m.shape
    if n < 2:
        raise ValidationError(f"PBO: need >= 2 trials (columns), got {n}")
    if t < n_blocks:
        raise ValidationError(f"PBO: {t} observations < n_blocks={n_blocks}")
    if not np.all(np.isfinite(m)):
        r, c = np.argwhere(~np.isfinite(m))[0]
        raise ValidationError(f"PBO: non-finite return at row {r}, column {c}")
    if metric not in _METRICS:
        raise ValidationError(f"PBO: metric must be one of {sorted(_METRICS)}, got {metric!r}")
    sizes = np.array([len(a) for a in np.array_split(np.arange(t), n_blocks)])
    starts = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    s1, s2, cnt = vnb.block_moments_nb(m, starts)
    train = cscv_train_blocks(n_blocks)
    best, perf_is, perf_oos, w = vnb.cscv_nb(s1, s2, cnt, train, _METRICS[metric])
    logits = np.log(w / (1.0 - w))
    if np.ptp(perf_is) > 0:
        slope, intercept = np.polyfit(perf_is, perf_oos, 1)
    else:
        slope, intercept = float("nan"), float("nan")
    return PBOResult(
        pbo=float(np.mean(logits <= 0)),
        logits=logits,
        perf_is=perf_is,
        perf_oos=perf_oos,
        best=best,
        degradation_slope=float(slope),
        degradation_intercept=float(intercept),
        prob_oos_loss=float(np.mean(perf_oos < 0)),
        n_blocks=n_blocks,
        metric=metric,
    )
