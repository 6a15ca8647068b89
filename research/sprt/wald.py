"""Wald's sequential probability ratio test on win/loss outcomes, with its operating curves.

A strategy variant is worth promoting when its win rate is p1 rather than p0. Instead of fixing
the sample size in advance, the SPRT adds a log-likelihood-ratio increment per resolved trade and
stops as soon as the evidence crosses a boundary, which on average needs far fewer trades than a
fixed-size test with the same error rates (SPEC section 3).

- ``BernoulliSPRT(p0, p1, alpha, beta)``: boundaries A = ln((1-beta)/alpha) (accept H1) and
  B = ln(beta/(1-alpha)) (accept H0); increments ln(p1/p0) per win, ln((1-p1)/(1-p0)) per loss.
- ``update(outcomes, state=None)``: a pure function of the outcome list. The LLR is computed from
  win/loss counts, so any batching of the same list gives the same state, bit for bit.
- ``wald_oc_asn`` (Wald's approximations, no overshoot) beside ``monte_carlo`` (compiled, seeded,
  exact up to simulation error, overshoot included).
- ``estimate``: after stopping, a median-unbiased win rate and confidence interval by the
  stopping-time ordering of the sample space, computed by Monte Carlo (see ``docs/sprt.md``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field

import numpy as np
from memelab.research.sprt import sequential_nb as nb
from scipy.optimize import brentq

DECISION_NAMES = {nb.DECISION_H1: "accept_h1", nb.DECISION_H0: "accept_h0", 0: "continue"}
DECISION_CODES = {name: code for code, name in DECISION_NAMES.items()}


class SPRTError(ValueError):
    """Bad parameters or outcomes for a sequential test (the message names the culprit)."""


@dataclass(frozen=True)
class SPRTState:
    """Where a test stands. ``n``/``llr`` are frozen at the decision; ``*_seen`` keep counting."""

    decision: str
    n: int
    llr: float
    wins: int
    n_seen: int = 0
    wins_seen: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Curves:
    """Operating characteristics over a grid of the true parameter (win rate or effect)."""

    grid: np.ndarray
    oc: np.ndarray  # P(accept H0)
    p_h1: np.ndarray  # P(accept H1)
    asn: np.ndarray  # expected samples to a decision
    p_continue: np.ndarray | None = None  # Monte Carlo: share truncated without decision
    asn_se: np.ndarray | None = None
    method: str = ""
    n_seq: int = 0
    seed: int = 0
    max_n: int = 0

    def to_dict(self) -> dict:
        out = {
            "method": self.method,
            "grid": self.grid.tolist(),
            "oc": self.oc.tolist(),
            "p_h1": self.p_h1.tolist(),
            "asn": self.asn.tolist(),
        }
        if self.p_continue is not None:
            out.update(
                p_continue=self.p_continue.tolist(),
                asn_se=self.asn_se.tolist(),
                n_seq=self.n_seq,
                seed=self.seed,
                max_n=self.max_n,
            )
        return out


@dataclass(frozen=True)
class Estimate:
    """Post-stopping estimate: median-unbiased point, confidence interval, and the naive value."""

    point: float
    lo: float
    hi: float
    level: float
    naive: float
    method: str
    n_seq: int = 0
    seed: int = 0
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def decision_name(code: int) -> str:
    return DECISION_NAMES[int(code)]


def wald_boundaries(alpha: float, beta: float) -> tuple[float, float]:
    """(A, B) = (ln((1-beta)/alpha), ln(beta/(1-alpha)))."""
    check_error_rates(alpha, beta)
    return math.log((1.0 - beta) / alpha), math.log(beta / (1.0 - alpha))


def check_error_rates(alpha: float, beta: float) -> None:
    for name, v in (("alpha", alpha), ("beta", beta)):
        if not (isinstance(v, int | float) and 0.0 < v < 1.0):
            raise SPRTError(f"{name} must be in (0, 1), got {v!r}")
    if alpha + beta >= 1.0:
        raise SPRTError(f"alpha + beta must be < 1, got alpha={alpha}, beta={beta}")


def wald_oc_asn_from_h(
    h: float, mean_z: float, mean_z2: float, upper: float, lower: float
) -> tuple[float, float]:
    """Wald's OC (P accept H0) and ASN for an LLR random walk whose increments z satisfy
    E[exp(h z)] = 1, ignoring the overshoot over the boundaries."""
    if abs(h) < 1e-9 or abs(mean_z) < 1e-15:
        oc = upper / (upper - lower)
        return oc, -upper * lower / mean_z2
    if h > 0:
        oc = -math.expm1(-h * upper) / -math.expm1(h * (lower - upper))
    else:
        oc = (math.exp(h * (upper - lower)) - math.exp(-h * lower)) / math.expm1(
            h * (upper - lower)
        )
    asn = (oc * lower + (1.0 - oc) * upper) / mean_z
    return oc, asn


def bisect_monotone(
    f: Callable[[float], float], target: float, lo: float, hi: float, iters: int = 30
) -> float:
    """x in [lo, hi] where a non-decreasing step function f crosses ``target`` (midpoint of the
    final bracket); clamps to the interval ends when f never reaches the target inside it."""
    if f(lo) >= target:
        return lo
    if f(hi) < target:
        return hi
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        if f(mid) >= target:
            hi = mid
        else:
            lo = mid
    return 0.5 * (lo + hi)


def coerce_outcomes(values: Iterable, name: str = "outcomes") -> np.ndarray:
    """Win/loss outcomes as int8 1/0; anything else is an error naming its position."""
    arr = np.asarray(list(values) if not hasattr(values, "__len__") else values)
    if arr.ndim != 1:
        raise SPRTError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.size == 0:
        return np.zeros(0, dtype=np.int8)
    if arr.dtype == bool:
        return arr.astype(np.int8)
    try:
        f = arr.astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise SPRTError(f"{name} must be 1/0 or true/false: {exc}") from None
    bad = np.flatnonzero(~((f == 0.0) | (f == 1.0)))
    if bad.size:
        i = int(bad[0])
        raise SPRTError(
            f"{name}[{i}] = {arr[i].item()!r} is not a win (1) or a loss (0) ({bad.size} bad value(s))"
        )
    return f.astype(np.int8)


@dataclass(frozen=True)
class BernoulliSPRT:
    """Wald's SPRT of H0: win rate = p0 against H1: win rate = p1 (p0 < p1)."""

    p0: float = 0.32
    p1: float = 0.40
    alpha: float = 0.05
    beta: float = 0.20

    def __post_init__(self) -> None:
        for name in ("p0", "p1"):
            v = getattr(self, name)
            if not (isinstance(v, int | float) and 0.0 < v < 1.0):
                raise SPRTError(f"{name} must be in (0, 1), got {v!r}")
        if not self.p0 < self.p1:
            raise SPRTError(f"need p0 < p1 (H1 is the better win rate), got {self.p0}, {self.p1}")
        check_error_rates(self.alpha, self.beta)

    # exact design quantities -------------------------------------------------------------
    @property
    def upper(self) -> float:
        """A = ln((1-beta)/alpha): accept H1 at or above."""
        return math.log((1.0 - self.beta) / self.alpha)

    @property
    def lower(self) -> float:
        """B = ln(beta/(1-alpha)): accept H0 at or below."""
        return math.log(self.beta / (1.0 - self.alpha))

    @property
    def step_win(self) -> float:
        return math.log(self.p1 / self.p0)

    @property
    def step_loss(self) -> float:
        return math.log((1.0 - self.p1) / (1.0 - self.p0))

    def params(self) -> dict:
        return {
            "test": "bernoulli_sprt",
            "p0": self.p0,
            "p1": self.p1,
            "alpha": self.alpha,
            "beta": self.beta,
            "upper": self.upper,
            "lower": self.lower,
            "step_win": self.step_win,
            "step_loss": self.step_loss,
        }

    # sequential use -----------------------------------------------------------------------
    def update(self, outcomes: Iterable, state: SPRTState | None = None) -> SPRTState:
        """State after ``outcomes`` (appended to ``state`` when given). Pure: no hidden state."""
        x = coerce_outcomes(outcomes)
        st = state or SPRTState("continue", 0, 0.0, 0, 0, 0)
        decided = st.decision != "continue"
        _, stop, code, wins_at_stop = nb.bernoulli_path_nb(
            x, self.step_win, self.step_loss, self.upper, self.lower, st.n_seen, st.wins_seen,
            decided,
        )  # fmt: skip
        n_seen = st.n_seen + x.size
        wins_seen = st.wins_seen + int(x.sum(dtype=np.int64))
        if decided:
            return SPRTState(st.decision, st.n, st.llr, st.wins, n_seen, wins_seen)
        if stop >= 0:
            n = st.n_seen + stop + 1
            llr = nb.bernoulli_llr_nb(wins_at_stop, n - wins_at_stop, self.step_win, self.step_loss)
            return SPRTState(decision_name(code), n, llr, wins_at_stop, n_seen, wins_seen)
        llr = nb.bernoulli_llr_nb(wins_seen, n_seen - wins_seen, self.step_win, self.step_loss)
        return SPRTState("continue", n_seen, llr, wins_seen, n_seen, wins_seen)

    def llr_path(self, outcomes: Iterable) -> np.ndarray:
        """LLR after each outcome (not stopped at the decision: the report draws all of it)."""
        x = coerce_outcomes(outcomes)
        path, *_ = nb.bernoulli_path_nb(
            x, self.step_win, self.step_loss, self.upper, self.lower, 0, 0, True
        )
        return path

    # operating characteristics ------------------------------------------------------------
    def wald_oc_asn(self, ps: Iterable[float]) -> Curves:
        """Wald's approximate OC/ASN at each true win rate p (boundaries hit exactly)."""
        grid = np.asarray(list(ps), dtype=np.float64)
        a, b = self.step_win, self.step_loss
        oc = np.empty(grid.size)
        asn = np.empty(grid.size)
        for i, p in enumerate(grid):
            mean_z = p * a + (1 - p) * b
            mean_z2 = p * a * a + (1 - p) * b * b
            h = _bernoulli_wald_h(p, a, b, mean_z)
            oc[i], asn[i] = wald_oc_asn_from_h(h, mean_z, mean_z2, self.upper, self.lower)
        return Curves(grid, oc, 1.0 - oc, asn, method="wald")

    def monte_carlo(
        self,
        ps: Iterable[float],
        n_seq: int = 20_000,
        seed: int = 0,
        max_n: int = 100_000,
    ) -> Curves:
        """OC/ASN by simulating ``n_seq`` whole tests per true win rate (compiled, seeded)."""
        grid = np.asarray(list(ps), dtype=np.float64)
        if np.any((grid < 0) | (grid > 1)):
            raise SPRTError("true win rates for the OC/ASN grid must be in [0, 1]")
        oc, p_h1, p_cont, asn, asn_se = nb.bernoulli_oc_asn_nb(
            grid, n_seq, max_n, self.step_win, self.step_loss, self.upper, self.lower, seed
        )
        return Curves(grid, oc, p_h1, asn, p_cont, asn_se, "monte_carlo", n_seq, seed, max_n)

    def default_grid(self, points: int = 25) -> np.ndarray:
        """True win rates around [p0, p1] for the report's curves."""
        width = self.p1 - self.p0
        lo, hi = max(0.001, self.p0 - 1.5 * width), min(0.999, self.p1 + 1.5 * width)
        return np.unique(np.concatenate([np.linspace(lo, hi, points), [self.p0, self.p1]]))

    # after stopping ------------------------------------------------------------------------
    def estimate(
        self,
        outcomes: Iterable,
        level: float = 0.95,
        n_seq: int = 4000,
        seed: int = 0,
    ) -> Estimate:
        """Median-unbiased win rate and CI by the stopping-time ordering (Monte Carlo).

        The design simulated is the one run: this SPRT on Bernoulli(p) outcomes. With common random numbers each simulated outcome is monotone in the true
        win rate, so P_p(outcome >= observed) is a non-decreasing step function, solved by
        bisection. Before any decision there is no stopping bias: the fixed-sample proportion
        with a Wilson interval is returned instead.
        """
        x = coerce_outcomes(outcomes)
        st = self.update(x)
        if x.size == 0:
            raise SPRTError("no outcomes to estimate from")
        naive = st.wins / st.n
        if st.decision == "continue":
            lo, hi = _wilson(st.wins, st.n, level)
            return Estimate(naive, lo, hi, level, naive, "fixed_sample_wilson",
                            notes=["test has not stopped: no sequential-stopping bias to remove"])  # fmt: skip
        code = DECISION_CODES[st.decision]
        # Simulating past the observed stop cannot change any comparison with the observed
        # outcome (a later H1 stop ranks below it, anything after an H0 stop above it), so the
        # simulated tests are truncated there: exact, and bounded work.
        max_n = st.n

        def fractions(p: float) -> tuple[float, float]:
            d, used, llr = nb.simulate_bernoulli_nb(
                p, n_seq, max_n, self.step_win, self.step_loss, self.upper, self.lower, seed
            )
            return nb.stopping_order_fractions_nb(d, used, llr, code, st.n, st.llr)

        tail = (1.0 - level) / 2.0
        lo_p, hi_p = 1e-6, 1.0 - 1e-6
        lo = bisect_monotone(lambda p: fractions(p)[0], tail, lo_p, hi_p)
        hi = bisect_monotone(lambda p: 1.0 - fractions(p)[1], 1.0 - tail, lo_p, hi_p)
        med_a = bisect_monotone(lambda p: fractions(p)[0], 0.5, lo_p, hi_p)
        med_b = bisect_monotone(lambda p: 1.0 - fractions(p)[1], 0.5, lo_p, hi_p)
        return Estimate(0.5 * (med_a + med_b), lo, hi, level, naive, "stopping_time_ordering_mc",
                        n_seq, seed)  # fmt: skip


def _bernoulli_wald_h(p: float, a: float, b: float, mean_z: float) -> float:
    """Non-zero root h of p e^{h a} + (1-p) e^{h b} = 1 (0 when E[z] = 0)."""
    if abs(mean_z) < 1e-12 or p <= 0.0 or p >= 1.0:
        if p <= 0.0:
            return math.inf
        if p >= 1.0:
            return -math.inf
        return 0.0

    def g(h: float) -> float:
        return p * math.exp(h * a) + (1.0 - p) * math.exp(h * b) - 1.0

    sign = 1.0 if mean_z < 0 else -1.0  # the root lies on the side opposite to the drift
    edge = sign * 1e-6
    far = sign * 1.0
    while g(far) < 0.0:
        far *= 2.0
        if abs(far) > 1e4:
            return far
    return brentq(g, min(edge, far), max(edge, far), xtol=1e-12)


def _wilson(wins: int, n: int, level: float) -> tuple[float, float]:
    from scipy.stats import norm

    z = float(norm.ppf(0.5 + level / 2.0))
    p = wins / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)
