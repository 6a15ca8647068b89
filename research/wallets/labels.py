"""Causal outcome labels for every wallet buy (pandas-facing wrapper of ``labels_nb``).

A buy wins when the mint's VWAP over its last ``vwap_n`` trades reaches +``tp`` before -``sl``
within ``horizon_s`` of the buy; otherwise it loses (first the stop, or the time-out). Each label
carries the time it resolved (``resolved_ts``): nothing downstream may use it before then. Mints
and wallets are keyed by the lake's dense ids and written out as full base58 addresses, never
truncated (the original bot's bug was matching on ``mint[:16]``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from memelab.datasets.lake import Lake
from memelab.datasets.schemas import EVENT_DTYPE
from memelab.research.wallets import labels_nb as nb

STATUS_NAMES = {
    nb.STATUS_WIN: "win",
    nb.STATUS_LOSS: "loss",
    nb.STATUS_UNRESOLVED: "unresolved",
    nb.STATUS_DROPPED: "dropped",
}


@dataclass(frozen=True)
class LabelParams:
    """Outcome definition. Defaults are SPEC's: +20% before -8% within 15 min, VWAP of 20 trades."""

    tp: float = 0.20
    sl: float = 0.08
    horizon_s: float = 900.0
    vwap_n: int = 20

    def __post_init__(self) -> None:
        for name in ("tp", "sl", "horizon_s"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value > 0):
                raise ValueError(f"LabelParams.{name} must be a positive number, got {value!r}")
        if self.sl >= 1.0:
            raise ValueError(f"LabelParams.sl must be below 1 (a fraction), got {self.sl!r}")
        if int(self.vwap_n) < 1:
            raise ValueError(f"LabelParams.vwap_n must be >= 1, got {self.vwap_n!r}")

    @property
    def horizon_ns(self) -> int:
        return int(round(self.horizon_s * 1e9))


def label_events(
    chunks: Iterable[np.ndarray] | np.ndarray,
    n_mints: int,
    params: LabelParams | None = None,
    capacity: int | None = None,
) -> pd.DataFrame:
    """Label every buy in time-ordered ``EVENT_DTYPE`` chunks; one row per buy, in buy order.

    Columns: ``event`` (global event index), ``wallet_id``, ``mint_id``, ``ts``, ``status``
    (1 win, 0 loss, -3 unresolved at the end of data), ``outcome`` (name), ``resolved_ts``,
    ``resolved_event`` (-1 for a time-out or unresolved), ``ref_vwap``, ``ret_at_resolution``,
    ``sol``, ``win`` (bool). ``capacity`` bounds concurrently pending buys; by default it is
    computed from the data so that no buy is ever dropped.
    """
    p = params or LabelParams()
    if isinstance(chunks, np.ndarray):
        chunks = [chunks]
    if capacity is None:  # size the ring from the data itself (needs the chunks twice)
        chunks = [c for c in chunks if len(c)]
        ts = np.concatenate([c["ts"] for c in chunks]) if chunks else np.empty(0, np.int64)
        is_buy = np.concatenate([c["side"] > 0 for c in chunks]) if chunks else np.empty(0, bool)
        capacity = pending_capacity(ts, is_buy, p)
    state = nb.new_resolver_state(n_mints, p.vwap_n, capacity)
    lab_i = np.full((0, 7), -1, dtype=np.int64)
    lab_f = np.full((0, 3), np.nan, dtype=np.float64)
    n_labels = 0
    first = 0
    for c in chunks:
        if not len(c):
            continue
        if c.dtype != EVENT_DTYPE:
            raise TypeError(f"events must have schemas.EVENT_DTYPE, got {c.dtype}")
        if np.any(np.diff(c["ts"]) < 0):
            raise ValueError("events are not sorted by ts (labels need time order)")
        need = n_labels + int(np.count_nonzero(c["side"] > 0))
        if need > len(lab_i):  # grow geometrically: chunks stream, labels accumulate
            size = max(need, 2 * len(lab_i))
            lab_i = np.concatenate([lab_i, np.full((size - len(lab_i), 7), -1, np.int64)])
            lab_f = np.concatenate([lab_f, np.full((size - len(lab_f), 3), np.nan)])
        n_labels = nb.label_buys_nb(
            c, first, p.horizon_ns, p.tp, p.sl, state, lab_i, lab_f, n_labels
        )
        first += len(c)
    dropped = int(state[6][nb.C_DROPPED])
    if dropped:
        raise RuntimeError(f"{dropped} buys were dropped: pending capacity {capacity} is too small")
    lab_i, lab_f = lab_i[:n_labels], lab_f[:n_labels]
    status = lab_i[:, 4]
    df = pd.DataFrame(
        {
            "event": lab_i[:, 0],
            "wallet_id": lab_i[:, 1].astype(np.int32),
            "mint_id": lab_i[:, 2].astype(np.int32),
            "ts": lab_i[:, 3],
            "status": status.astype(np.int8),
            "resolved_ts": lab_i[:, 5],
            "resolved_event": lab_i[:, 6],
            "ref_vwap": lab_f[:, 0],
            "ret_at_resolution": lab_f[:, 1],
            "sol": lab_f[:, 2],
        }
    )
    df["outcome"] = pd.Categorical.from_codes(
        np.searchsorted([-3, 0, 1], status), categories=["unresolved", "loss", "win"]
    )
    df["win"] = status == nb.STATUS_WIN
    df.attrs["label_params"] = asdict(p)
    return df


def pending_capacity(ts: np.ndarray, is_buy: np.ndarray, params: LabelParams) -> int:
    """Most buys ever pending at once (buys inside any horizon-long window): a ring this size
    never drops a buy."""
    buy_ts = np.sort(np.asarray(ts)[np.asarray(is_buy, dtype=bool)])
    return max(1, int(nb.max_buys_within_nb(buy_ts, np.ones(len(buy_ts), bool), params.horizon_ns)))


def label_lake(
    lake: Lake | str,
    start: int | None = None,
    end: int | None = None,
    params: LabelParams | None = None,
    with_addresses: bool = True,
) -> pd.DataFrame:
    """Labels for every buy in a lake's ``[start, end)``; adds full ``wallet`` and ``mint`` strings."""
    lake = lake if isinstance(lake, Lake) else Lake(lake)
    lake.require()
    p = params or LabelParams()
    mints = lake.dictionary("mints")
    # Two light columns size the pending ring exactly; the events then stream partition by
    # partition, so only one partition of events is in memory at a time.
    light = lake.read("swaps", columns=["ts", "side"], start=start, end=end)
    capacity = pending_capacity(
        light.column("ts").to_numpy(), light.column("side").to_numpy() > 0, p
    )
    del light
    df = label_events(lake.iter_events(start, end), len(mints), p, capacity=capacity)
    if with_addresses:
        add_addresses(lake, df)
    return df


def add_addresses(lake: Lake, df: pd.DataFrame, categorical: bool = False) -> pd.DataFrame:
    """Add the full base58 ``mint`` / ``wallet`` strings for the id columns present (in place).

    ``categorical=True`` stores them as a pandas Categorical over the lake dictionary (codes =
    the dense ids): one string per address instead of one per row, for tables of millions of buys.
    """
    for id_col, col, kind in (("mint_id", "mint", "mints"), ("wallet_id", "wallet", "wallets")):
        if id_col in df.columns:
            ids = df[id_col].to_numpy()
            if categorical:
                names = lake.dictionary(kind).to_numpy(zero_copy_only=False)
                df[col] = pd.Categorical.from_codes(ids.astype(np.int64), categories=names)
            else:
                df[col] = lake.addresses(kind, ids)
    return df
