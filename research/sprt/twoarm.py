"""Two-arm sequential test of a treatment against a control (win rate or EV per trade).

Both variants score the same units one after the other; the unit's score is the difference
x = treatment - control (win: -1/0/+1, pnl: SOL). H0: E[x] = delta0 against H1: E[x] = delta1.

- Paired (``pair_by_signal``): both runs traded the same signal (same ``signal_id``), so what the
  two share (the token, the market at that moment) cancels in the difference. This is fishtest's
  pentanomial idea: score the pair as one unit, and its variance is the pair's, not the sum of
  two independent variances. Smaller variance per unit, same drift: fewer units to a decision.
- Unpaired (``pair_in_order``): the i-th trade of each arm in time order, a valid two-sample
  comparison whose variance is the sum of the arms' variances.

The test is a GSPRT with the Brownian approximation on the empirical mean and variance
(``sprt_nb.gsprt_llr_nb``), stopped at Wald's boundaries; no decision before ``min_n`` units.
After stopping, ``estimate`` gives a median-unbiased effect and confidence interval by the
stopping-time ordering, with a shifted bootstrap of the observed scores as the model.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from memelab.research.sprt import sequential_nb as nb
from memelab.research.sprt.wald import (
    DECISION_CODES,
    Curves,
    Estimate,
    SPRTError,
    bisect_monotone,
    check_error_rates,
    coerce_outcomes,
    decision_name,
    wald_oc_asn_from_h,
)

METRICS = ("win", "pnl")


@dataclass(frozen=True)
class TwoArmState:
    """Where a two-arm test stands; ``n``/``llr``/``mean``/``var`` are frozen at the decision,
    the Welford triple (``n_seen``, ``mean_seen``, ``m2_seen``) keeps counting."""

    decision: str
    n: int
    llr: float
    mean: float
    var: float
    n_seen: int = 0
    mean_seen: float = 0.0
    m2_seen: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class TwoArmSPRT:
    """GSPRT of H0: E[treatment - control] = delta0 vs H1: = delta1 (delta0 < delta1)."""

    delta0: float = 0.0
    delta1: float = 0.08
    alpha: float = 0.05
    beta: float = 0.20
    min_n: int = 30

    def __post_init__(self) -> None:
        for name in ("delta0", "delta1"):
            v = getattr(self, name)
            if not (isinstance(v, int | float) and math.isfinite(v)):
                raise SPRTError(f"{name} must be a finite number, got {v!r}")
        if not self.delta0 < self.delta1:
            raise SPRTError(f"need delta0 < delta1, got {self.delta0}, {self.delta1}")
        check_error_rates(self.alpha, self.beta)
        if not (isinstance(self.min_n, int) and self.min_n >= 2):
            raise SPRTError(f"min_n must be an integer >= 2, got {self.min_n!r}")

    @property
    def upper(self) -> float:
        return math.log((1.0 - self.beta) / self.alpha)

    @property
    def lower(self) -> float:
        return math.log(self.beta / (1.0 - self.alpha))

    def params(self) -> dict:
        return {
            "test": "two_arm_gsprt_brownian",
            "delta0": self.delta0,
            "delta1": self.delta1,
            "alpha": self.alpha,
            "beta": self.beta,
            "min_n": self.min_n,
            "upper": self.upper,
            "lower": self.lower,
        }

    def _run(self, x: np.ndarray, st: TwoArmState, decided: bool):
        return nb.gsprt_path_nb(
            x, self.delta0, self.delta1, self.upper, self.lower, self.min_n,
            st.n_seen, st.mean_seen, st.m2_seen, decided,
        )  # fmt: skip

    def update(self, scores: Iterable[float], state: TwoArmState | None = None) -> TwoArmState:
        """State after ``scores`` (appended to ``state``). Pure, and batching-invariant because
        the Welford recurrences run score by score in the same order whatever the batches."""
        x = coerce_scores(scores)
        st = state or TwoArmState("continue", 0, 0.0, 0.0, 0.0)
        decided = st.decision != "continue"
        _, stop, code, k, mean, m2 = self._run(x, st, decided)
        if decided:
            return TwoArmState(st.decision, st.n, st.llr, st.mean, st.var, k, mean, m2)
        if stop >= 0:
            _, _, _, ks, means, m2s = self._run(x[: stop + 1], st, True)
            llr = nb.gsprt_llr_nb(ks, means, m2s, self.delta0, self.delta1)
            return TwoArmState(decision_name(code), ks, llr, means, _var(ks, m2s), k, mean, m2)
        llr = nb.gsprt_llr_nb(k, mean, m2, self.delta0, self.delta1)
        return TwoArmState("continue", k, llr, mean, _var(k, m2), k, mean, m2)

    def llr_path(self, scores: Iterable[float]) -> np.ndarray:
        x = coerce_scores(scores)
        path, *_ = self._run(x, TwoArmState("continue", 0, 0.0, 0.0, 0.0), True)
        return path

    # operating characteristics ------------------------------------------------------------
    def wald_oc_asn(self, deltas: Iterable[float], sigma: float) -> Curves:
        """Wald's OC/ASN for normal scores with known standard deviation ``sigma`` per unit."""
        grid = np.asarray(list(deltas), dtype=np.float64)
        if not sigma > 0:
            raise SPRTError(f"sigma must be > 0, got {sigma}")
        d = self.delta1 - self.delta0
        mid = 0.5 * (self.delta0 + self.delta1)
        var_z = d * d / sigma**2
        oc = np.empty(grid.size)
        asn = np.empty(grid.size)
        for i, delta in enumerate(grid):
            mean_z = d * (delta - mid) / sigma**2
            h = -2.0 * mean_z / var_z
            oc[i], asn[i] = wald_oc_asn_from_h(h, mean_z, var_z + mean_z**2, self.upper, self.lower)
        return Curves(grid, oc, 1.0 - oc, asn, method="wald_brownian")

    def simulate(
        self,
        model: int,
        model_params: Iterable[float],
        pool: np.ndarray | None = None,
        n_seq: int = 20_000,
        seed: int = 0,
        max_n: int = 100_000,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Whole tests on simulated scores: (decision, units used, LLR, mean score) per test."""
        params = np.asarray(list(model_params), dtype=np.float64)
        pool_arr = np.zeros(1) if pool is None else np.ascontiguousarray(pool, dtype=np.float64)
        if model == nb.MODEL_BOOTSTRAP and pool is None:
            raise SPRTError("the bootstrap model needs a pool of observed scores")
        return nb.simulate_gsprt_nb(
            model, params, pool_arr, n_seq, max_n, self.delta0, self.delta1,
            self.upper, self.lower, self.min_n, seed,
        )  # fmt: skip

    def monte_carlo_bootstrap(
        self,
        deltas: Iterable[float],
        scores: Iterable[float],
        n_seq: int = 20_000,
        seed: int = 0,
        max_n: int = 100_000,
    ) -> Curves:
        """OC/ASN at each true effect, scores resampled from the observed ones shifted so that
        their mean is that effect (the observed shape and variance, any location)."""
        x = coerce_scores(scores)
        if x.size < 2:
            raise SPRTError("need at least 2 observed scores for bootstrap OC/ASN curves")
        pool = x - x.mean()
        grid = np.asarray(list(deltas), dtype=np.float64)
        cols = [self.simulate(nb.MODEL_BOOTSTRAP, [d], pool, n_seq, seed, max_n) for d in grid]
        return _curves(grid, cols, "monte_carlo_bootstrap", n_seq, seed, max_n)

    def default_grid(self, points: int = 25) -> np.ndarray:
        width = self.delta1 - self.delta0
        g = np.linspace(self.delta0 - 1.5 * width, self.delta1 + 1.5 * width, points)
        return np.unique(np.concatenate([g, [self.delta0, self.delta1]]))

    # after stopping ------------------------------------------------------------------------
    def estimate(
        self, scores: Iterable[float], level: float = 0.95, n_seq: int = 2000, seed: int = 0
    ) -> Estimate:
        """Median-unbiased effect and CI by the stopping-time ordering (shifted bootstrap MC).

        Scores are resampled from the observed ones centred and shifted to a candidate effect;
        ties in the stopping time are ordered by the mean score at stop. With common random
        numbers every simulated path (LLR and mean) rises with the shift, so
        P_delta(outcome >= observed) is non-decreasing in delta and bisection finds the bounds.
        """
        x = coerce_scores(scores)
        st = self.update(x)
        if x.size < 2:
            raise SPRTError("need at least 2 scores to estimate an effect")
        naive = st.mean
        if st.decision == "continue":
            from scipy.stats import norm

            se = math.sqrt(st.var / st.n) if st.n else math.inf
            z = float(norm.ppf(0.5 + level / 2.0))
            return Estimate(naive, naive - z * se, naive + z * se, level, naive,
                            "fixed_sample_normal",
                            notes=["test has not stopped: no sequential-stopping bias to remove"])  # fmt: skip
        pool = x - x.mean()
        code = DECISION_CODES[st.decision]
        # Simulating past the observed stop cannot change any comparison with the observed
        # outcome (a later H1 stop ranks below it, anything after an H0 stop above it), so the
        # simulated tests are truncated there: exact, and bounded work.
        max_n = st.n

        def fractions(delta: float) -> tuple[float, float]:
            d, used, _, mean = self.simulate(nb.MODEL_BOOTSTRAP, [delta], pool, n_seq, seed, max_n)
            return nb.stopping_order_fractions_nb(d, used, mean, code, st.n, st.mean)

        spread = float(np.std(x)) + (self.delta1 - self.delta0)
        lo_d, hi_d = naive - 20.0 * spread, naive + 20.0 * spread
        tail = (1.0 - level) / 2.0
        lo = bisect_monotone(lambda d: fractions(d)[0], tail, lo_d, hi_d)
        hi = bisect_monotone(lambda d: 1.0 - fractions(d)[1], 1.0 - tail, lo_d, hi_d)
        med_a = bisect_monotone(lambda d: fractions(d)[0], 0.5, lo_d, hi_d)
        med_b = bisect_monotone(lambda d: 1.0 - fractions(d)[1], 0.5, lo_d, hi_d)
        return Estimate(0.5 * (med_a + med_b), lo, hi, level, naive,
                        "stopping_time_ordering_shifted_bootstrap_mc", n_seq, seed)  # fmt: skip


def design_asn(
    test: TwoArmSPRT,
    control: np.ndarray,
    treatment: np.ndarray,
    paired: bool,
    n_seq: int = 4000,
    seed: int = 0,
    max_n: int = 100_000,
    max_pool: int = 1_000_000,
) -> dict:
    """Decision rates and ASN of the paired or the unpaired design on the same matched units.

    Paired draws whole units (control_i, treatment_i); unpaired draws the two arms independently
    (treatment_j - control_i), so both designs see the same marginals and the same mean effect
    and differ only in the variance the pair shares.
    """
    c = coerce_scores(control, "control")
    t = coerce_scores(treatment, "treatment")
    if c.size != t.size or c.size < 2:
        raise SPRTError("design_asn needs two equally long arms of at least 2 matched units")
    if paired:
        pool = t - c
    elif c.size * c.size <= max_pool:
        pool = (t[None, :] - c[:, None]).ravel()
    else:  # a seeded sample of the cross differences keeps memory bounded
        rng = np.random.default_rng(seed)
        pool = t[rng.integers(0, t.size, max_pool)] - c[rng.integers(0, c.size, max_pool)]
    d, used, _, _ = test.simulate(nb.MODEL_BOOTSTRAP, [0.0], pool, n_seq, seed, max_n)
    return {
        "design": "paired" if paired else "unpaired",
        "asn": float(used.mean()),
        "asn_se": float(used.std() / math.sqrt(n_seq)),
        "p_accept_h1": float(np.mean(d == nb.DECISION_H1)),
        "p_accept_h0": float(np.mean(d == nb.DECISION_H0)),
        "p_truncated": float(np.mean(d == nb.DECISION_CONTINUE)),
        "score_sd": float(np.std(pool)),
        "n_seq": n_seq,
        "max_n": max_n,
        "seed": seed,
    }


def _var(k: int, m2: float) -> float:
    """Unbiased variance from Welford's m2 (the one the LLR uses)."""
    return m2 / (k - 1) if k > 1 else 0.0


def _curves(grid: np.ndarray, cols: list, method: str, n_seq: int, seed: int, max_n: int):
    oc = np.array([np.mean(c[0] == nb.DECISION_H0) for c in cols])
    p_h1 = np.array([np.mean(c[0] == nb.DECISION_H1) for c in cols])
    p_cont = np.array([np.mean(c[0] == nb.DECISION_CONTINUE) for c in cols])
    asn = np.array([np.mean(c[1]) for c in cols])
    asn_se = np.array([np.std(c[1]) / math.sqrt(n_seq) for c in cols])
    return Curves(grid, oc, p_h1, asn, p_cont, asn_se, method, n_seq, seed, max_n)


def coerce_scores(values: Iterable[float], name: str = "scores") -> np.ndarray:
    """Finite float64 scores; NaN/inf is an error naming its position."""
    try:
        x = np.asarray(values if hasattr(values, "__len__") else list(values), dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise SPRTError(f"{name} must be numbers: {exc}") from None
    if x.ndim != 1:
        raise SPRTError(f"{name} must be one-dimensional, got shape {x.shape}")
    bad = np.flatnonzero(~np.isfinite(x))
    if bad.size:
        raise SPRTError(f"{name}[{int(bad[0])}] = {x[bad[0]]} is not finite ({bad.size} bad)")
    return np.ascontiguousarray(x)


# ---------------------------------------------------------------- pairing two backtest runs


@dataclass
class Pairing:
    """Units of a two-arm test built from two trade ledgers, plus what could not be paired."""

    units: pd.DataFrame  # columns: key, control, treatment, score (in test order)
    mode: str  # "paired" (by signal_id) or "unpaired" (i-th with i-th in time order)
    metric: str
    unmatched_control: list[int]
    unmatched_treatment: list[int]

    @property
    def scores(self) -> np.ndarray:
        return self.units["score"].to_numpy(dtype=np.float64)

    def summary(self) -> dict:
        u = self.units
        corr = float(u["control"].corr(u["treatment"])) if len(u) > 2 else float("nan")
        return {
            "mode": self.mode,
            "metric": self.metric,
            "units": len(u),
            "unmatched_control": len(self.unmatched_control),
            "unmatched_treatment": len(self.unmatched_treatment),
            "unmatched_control_ids": self.unmatched_control[:1000],
            "unmatched_treatment_ids": self.unmatched_treatment[:1000],
            "control_mean": float(u["control"].mean()) if len(u) else float("nan"),
            "treatment_mean": float(u["treatment"].mean()) if len(u) else float("nan"),
            "arm_correlation": corr,
        }


def metric_values(trades: pd.DataFrame, metric: str, label: str) -> pd.Series:
    """The per-trade outcome of a metric: ``win`` as 1/0, ``pnl`` as ``pnl_sol``."""
    if metric not in METRICS:
        raise SPRTError(f"metric must be one of {METRICS}, got {metric!r}")
    col = "win" if metric == "win" else "pnl_sol"
    if col not in trades.columns:
        raise SPRTError(f"{label}: trades have no column {col!r} (columns: {list(trades.columns)})")
    try:
        values = trades[col].to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise SPRTError(f"{label}: column {col!r} is not numeric/boolean: {exc}") from None
    if metric == "win":
        return pd.Series(coerce_outcomes(values, f"{label}.win row"), index=trades.index)
    return pd.Series(coerce_scores(values, f"{label}.pnl_sol row"), index=trades.index)


def _resolution_order(df: pd.DataFrame) -> list[str]:
    """Columns that order trades by when their outcome became known (exit first)."""
    return [c for c in ("exit_ts", "entry_ts", "signal_id") if c in df.columns]


def pair_by_signal(control: pd.DataFrame, treatment: pd.DataFrame, metric: str) -> Pairing:
    """Pairs the two runs' trades on ``signal_id`` (same triggering event).

    Units are ordered by when both outcomes are known (the later ``exit_ts``, then the signal),
    the order in which a sequential test could really have consumed them.
    """
    frames = {}
    for label, df in (("control", control), ("treatment", treatment)):
        if "signal_id" not in df.columns:
            raise SPRTError(f"{label}: trades have no 'signal_id' column")
        dup = df["signal_id"][df["signal_id"].duplicated()]
        if len(dup):
            raise SPRTError(f"{label}: signal_id {int(dup.iloc[0])} appears more than once")
        frame = pd.DataFrame(
            {"key": df["signal_id"].astype("int64").to_numpy(),
             label: metric_values(df, metric, label).to_numpy()}
        )  # fmt: skip
        frame[f"{label}_exit"] = (
            df["exit_ts"].astype("int64").to_numpy() if "exit_ts" in df.columns else 0
        )
        frames[label] = frame
    merged = frames["control"].merge(frames["treatment"], on="key", how="outer", indicator=True)
    both = merged[merged["_merge"] == "both"].copy()
    both["resolved_ts"] = np.maximum(both["control_exit"], both["treatment_exit"]).astype("int64")
    both = both.sort_values(["resolved_ts", "key"], kind="stable")
    units = both[["key", "control", "treatment"]].reset_index(drop=True)
    units["score"] = units["treatment"].astype(float) - units["control"].astype(float)
    only_c = sorted(int(k) for k in merged.loc[merged["_merge"] == "left_only", "key"])
    only_t = sorted(int(k) for k in merged.loc[merged["_merge"] == "right_only", "key"])
    return Pairing(units, "paired", metric, only_c, only_t)


def pair_in_order(control: pd.DataFrame, treatment: pd.DataFrame, metric: str) -> Pairing:
    """Unpaired design: i-th resolved control trade with i-th resolved treatment trade (exit
    time, then entry time, then signal); the longer run's surplus trades are reported as
    unmatched."""
    arms = {}
    for label, df in (("control", control), ("treatment", treatment)):
        df = df.reset_index(drop=True)
        values = metric_values(df, metric, label)  # validated in file order: errors name rows
        order = _resolution_order(df)
        d = df.sort_values(order, kind="stable") if order else df
        key = d["signal_id"] if "signal_id" in d.columns else pd.Series(np.arange(len(d)))
        arms[label] = (key.astype("int64").to_numpy(), values.loc[d.index].to_numpy())
    m = min(len(arms["control"][0]), len(arms["treatment"][0]))
    units = pd.DataFrame(
        {
            "key": np.arange(m, dtype=np.int64),
            "control": arms["control"][1][:m],
            "treatment": arms["treatment"][1][:m],
        }
    )
    units["score"] = units["treatment"].astype(float) - units["control"].astype(float)
    return Pairing(
        units,
        "unpaired",
        metric,
        [int(k) for k in arms["control"][0][m:]],
        [int(k) for k in arms["treatment"][0][m:]],
    )
