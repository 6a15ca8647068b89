"""Time-ordered train / valid / test with purge and embargo (Lopez de Prado 2018, ch. 7).

Period boundaries are sample-time quantiles. A sample belongs to a period only when its whole
label window ``[t, t + h]`` lies inside it (purge), and each later period starts ``embargo``
after the previous one ends (serial correlation of features and labels). The model has *seen*
everything up to the end of validation (early stopping reads it), so a backtest of the model may
start no earlier than ``valid_end + embargo``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class TimeSplit:
    train: np.ndarray  # sample indices
    valid: np.ndarray
    test: np.ndarray
    train_range: tuple[int, int]  # [start, end) ns
    valid_range: tuple[int, int]
    test_range: tuple[int, int]
    horizon_ns: int
    embargo_ns: int

    @property
    def seen_until(self) -> int:
        """End of the data the model saw (training and validation), ns."""
        return self.valid_range[1]

    @property
    def backtest_from(self) -> int:
        """The earliest start of an honest backtest of the model, ns."""
        return self.valid_range[1] + self.embargo_ns

    def ranges(self) -> dict[str, object]:
        d = {k: v for k, v in asdict(self).items() if k not in ("train", "valid", "test")}
        d["backtest_from"] = self.backtest_from
        d["n_train"], d["n_valid"], d["n_test"] = len(self.train), len(self.valid), len(self.test)
        return d


def time_split(
    ts: np.ndarray,
    horizon_ns: int,
    embargo_ns: int | None = None,
    fractions: tuple[float, float] = (0.6, 0.8),
) -> TimeSplit:
    """Split samples at times ``ts`` (any order) into purged, embargoed periods.

    ``fractions``: the train and valid ends as quantiles of the sample times. ``embargo_ns``
    defaults to the label horizon.
    """
    ts = np.asarray(ts, dtype=np.int64)
    if len(ts) < 10:
        raise ValueError(f"need at least 10 samples to split, got {len(ts)}")
    a, b = fractions
    if not 0.0 < a < b < 1.0:
        raise ValueError(f"fractions must satisfy 0 < train < valid < 1, got {fractions}")
    emb = int(horizon_ns if embargo_ns is None else embargo_ns)
    if emb < 0 or horizon_ns <= 0:
        raise ValueError("horizon must be > 0 and embargo >= 0")
    lo, hi = int(ts.min()), int(ts.max()) + 1
    s = np.sort(ts)
    t1 = int(s[int(a * (len(s) - 1))])
    t2 = int(s[int(b * (len(s) - 1))])
    v0 = t1 + emb
    e0 = t2 + emb
    if not lo < t1 < v0 < t2 < e0 < hi:
        raise ValueError(
            "the data span is too short for these periods with an embargo of "
            f"{emb / 1e9:.0f} s (need train, valid and test periods longer than the embargo)"
        )
    end = ts + horizon_ns
    train = np.flatnonzero((ts >= lo) & (end < t1))
    valid = np.flatnonzero((ts >= v0) & (end < t2))
    test = np.flatnonzero(ts >= e0)
    return TimeSplit(train, valid, test, (lo, t1), (v0, t2), (e0, hi), int(horizon_ns), emb)


def check_backtest_start(ranges: dict, start_ns: int | None, what: str = "model") -> None:
    """Refuse a backtest that starts before ``backtest_from``: the model saw that data."""
    allowed = int(ranges["backtest_from"])
    if start_ns is None or int(start_ns) < allowed:
        got = "the start of the data" if start_ns is None else f"{int(start_ns)} ns"
        raise ValueError(
            f"refusing to backtest {what} from {got}: it was trained and validated on data up "
            f"to {int(ranges['valid_range'][1])} ns; an honest backtest starts at or after "
            f"{allowed} ns ({_iso(allowed)}, the end of validation plus the embargo)"
        )


def _iso(ns: int) -> str:
    return str(np.datetime64(int(ns), "ns").astype("datetime64[s]")) + "Z"
