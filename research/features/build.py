"""The training-set builder: features (the live kernel) + forward labels, sampled, saved as one
tensor file that the trainers read without the lake.

Labels look ahead by construction (the horizon ``h``); each sample records its time so the
splitter can purge samples whose label window crosses a period boundary. Chunks stream by date
partition: a chunk's labels wait for the next chunk's first ``h`` seconds.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from memelab.datasets.schemas import EVENT_DTYPE
from memelab.research.features.labels_nb import forward_labels_nb
from memelab.research.features.spec import FEATURE_NAMES, feature_spec
from memelab.research.features.stream import FeatureStream

DATASET_FILE = "dataset.npz"
DATASET_META = "dataset.json"


@dataclass
class Dataset:
    """Samples in time order: features ``x``, sequences ``seq``, labels ``y`` and where they are."""

    x: np.ndarray  # (n, N_FEATURES) float32
    seq: np.ndarray  # (n, SEQ_LEN, N_SEQ) float32
    y: np.ndarray  # (n,) int8: forward return > 0
    fwd_ret: np.ndarray  # (n,) float64 log return over the horizon (outcome, for reports)
    ts: np.ndarray  # (n,) int64 ns
    mint: np.ndarray  # (n,) int32
    gidx: np.ndarray  # (n,) int64 global event index
    meta: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.y)

    def save(self, out_dir: str | os.PathLike[str]) -> Path:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        path = out / DATASET_FILE
        tmp = out / (DATASET_FILE + ".tmp.npz")
        np.savez(
            tmp, x=self.x, seq=self.seq, y=self.y, fwd_ret=self.fwd_ret, ts=self.ts,
            mint=self.mint, gidx=self.gidx,
        )  # fmt: skip
        os.replace(tmp, path)
        (out / DATASET_META).write_text(json.dumps(self.meta, indent=2, sort_keys=True))
        return path


def load_dataset(path: str | os.PathLike[str]) -> Dataset:
    """A dataset saved by :meth:`Dataset.save` (a directory or its ``dataset.npz``)."""
    p = Path(path)
    npz = p / DATASET_FILE if p.is_dir() else p
    if not npz.exists():
        raise FileNotFoundError(f"no dataset at {npz} (build one with `memelab features build`)")
    meta_path = npz.parent / DATASET_META
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    with np.load(npz) as z:
        return Dataset(**{k: z[k] for k in z.files}, meta=meta)


def lake_identity(lake: Any) -> dict[str, Any]:
    """Content hash and time range of a lake's swaps (what a model was trained on)."""
    man = lake.manifest("swaps")
    return {
        "path": str(lake.root),
        "swaps_hash": man.get("content_hash"),
        "time_range": man.get("time_range"),
        "rows": man.get("rows"),
    }


def _chunks(source: Any) -> tuple[Iterator[np.ndarray], FeatureStream, dict[str, Any]]:
    if isinstance(source, np.ndarray):
        if source.dtype != EVENT_DTYPE:
            raise TypeError(f"events must have EVENT_DTYPE, got {source.dtype}")
        n_m = int(source["mint"].max()) + 1 if len(source) else 1
        n_w = int(source["trader"].max()) + 1 if len(source) else 1
        ident = {"path": None, "swaps_hash": _array_hash(source), "time_range": _range(source)}
        return iter([source]), FeatureStream(n_m, n_w), ident
    from memelab.datasets.lake import Lake
    from memelab.engine.replay import _context_from_lake

    lake = source if isinstance(source, Lake) else Lake(os.fspath(source))
    lake.require()
    ctx = _context_from_lake(lake, None)
    return (
        lake.iter_events(),
        FeatureStream(ctx.n_mints, ctx.n_wallets, ctx.creator),
        (lake_identity(lake)),
    )


def _array_hash(events: np.ndarray) -> str:
    import hashlib

    return hashlib.sha256(np.ascontiguousarray(events).tobytes()).hexdigest()


def _range(events: np.ndarray) -> list[int] | None:
    return [int(events["ts"][0]), int(events["ts"][-1])] if len(events) else None


def sample_mask(
    ts: np.ndarray, mint: np.ndarray, valid: np.ndarray, gap_ns: int, last: dict[int, int]
) -> np.ndarray:
    """Labelled events, at most one per token per ``gap_ns`` (neighbouring events share almost
    all of their label window; thinning them keeps the sample honest and small)."""
    keep = np.zeros(len(ts), dtype=bool)
    if gap_ns <= 0:
        return valid.astype(bool)
    for i in np.flatnonzero(valid):
        m = int(mint[i])
        t = int(ts[i])
        if t - last.get(m, -(1 << 62)) >= gap_ns:
            keep[i] = True
            last[m] = t
    return keep


def build_dataset(
    source: Any,
    horizon_s: float = 60.0,
    sample_gap_s: float = 5.0,
    with_seq: bool = True,
    progress: Callable[[Iterable], Iterable] | None = None,
) -> Dataset:
    """Features and labels of a lake (or an ``EVENT_DTYPE`` array), sampled into a Dataset."""
    if horizon_s <= 0:
        raise ValueError(f"horizon_s must be > 0, got {horizon_s}")
    h_ns = int(horizon_s * 1e9)
    chunks, stream, ident = _chunks(source)
    if progress is not None:
        chunks = iter(progress(chunks))
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("x", "seq", "y", "r", "ts", "m", "g")}
    last_sample: dict[int, int] = {}
    offset = 0
    n_events = 0

    def emit(chunk: np.ndarray, ahead: np.ndarray, first: int, data_end: int) -> None:
        x, seq = stream.update(chunk, with_seq=with_seq)
        both = np.concatenate([chunk, ahead]) if len(ahead) else chunk
        lab = np.zeros(len(both), np.int8)
        ret = np.zeros(len(both))
        val = np.zeros(len(both), np.uint8)
        forward_labels_nb(both, h_ns, lab, ret, val)
        n = len(chunk)
        # a label needs its whole horizon inside the data: drop the ones the data ends before
        ok = val[:n].astype(bool) & (chunk["ts"] + h_ns <= data_end)
        keep = sample_mask(chunk["ts"], chunk["mint"], ok, int(sample_gap_s * 1e9), last_sample)
        idx = np.flatnonzero(keep)
        parts["x"].append(x[idx])
        parts["seq"].append(seq[idx] if with_seq else seq)
        parts["y"].append(lab[idx])
        parts["r"].append(ret[idx])
        parts["ts"].append(chunk["ts"][idx])
        parts["m"].append(chunk["mint"][idx])
        parts["g"].append(first + idx.astype(np.int64))

    pending: np.ndarray | None = None
    for chunk in chunks:
        chunk = np.array(chunk, copy=True)  # stream buffers are reused
        n_events += len(chunk)
        if pending is not None:
            ahead = chunk[chunk["ts"] <= pending["ts"][-1] + h_ns]
            emit(pending, ahead, offset, int(chunk["ts"][-1]) if len(chunk) else 0)
            offset += len(pending)
        pending = chunk if len(chunk) else pending
    if pending is not None:
        emit(pending, np.zeros(0, EVENT_DTYPE), offset, int(pending["ts"][-1]))

    def cat(key: str, dtype: Any, shape: tuple[int, ...] = ()) -> np.ndarray:
        return np.concatenate(parts[key]) if parts[key] else np.zeros((0, *shape), dtype)

    from memelab.research.features import features_nb as fnb

    seq = cat("seq", np.float32, (fnb.SEQ_LEN, fnb.N_SEQ))
    if not with_seq:
        seq = np.zeros((0, fnb.SEQ_LEN, fnb.N_SEQ), np.float32)
    meta = {
        "feature_spec": feature_spec(),
        "feature_names": list(FEATURE_NAMES),
        "horizon_s": float(horizon_s),
        "sample_gap_s": float(sample_gap_s),
        "label": "sign of the log return to the token's last trade in (t, t + h]; "
        "no trade in the horizon or a zero return: no sample",
        "lake": ident,
        "events": n_events,
    }
    ds = Dataset(
        x=cat("x", np.float32, (fnb.N_FEATURES,)),
        seq=seq,
        y=cat("y", np.int8),
        fwd_ret=cat("r", np.float64),
        ts=cat("ts", np.int64),
        mint=cat("m", np.int32),
        gidx=cat("g", np.int64),
        meta=meta,
    )
    meta["samples"] = len(ds)
    meta["positives"] = int(ds.y.sum())
    return ds
