"""Similar past setups: which earlier launches looked like this one in their first minutes, and
how did they end?

Each launch is described by the sequence model's pooled embedding at its last event within
``window_s`` of its first event (so the description uses only those first minutes). The index
holds, per launch, that embedding and its outcome (the log return from the end of the window to
the token's peak after it and to its last trade) with the time the outcome was known (the
token's last event). Search is exact cosine similarity in NumPy; a query ``as_of`` a time returns
only launches whose outcome was known by then.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

INDEX_FILE = "similar.npz"
WINDOW_S = 120.0


def launch_snapshots(source: Any, window_s: float = WINDOW_S, mints: set[int] | None = None):
    """Per mint: the feature row and sequence at its last event within ``window_s`` of its first,
    plus outcomes. Returns a dict of arrays (mint, t0, t_window, x, seq, peak_ret, final_ret,
    resolved_ts)."""
    from memelab.research.features.build import _chunks

    chunks, stream, _ = _chunks(source)
    w_ns = int(window_s * 1e9)
    snap: dict[int, dict[str, Any]] = {}
    for chunk in chunks:
        chunk = np.array(chunk, copy=True)
        x, seq = stream.update(chunk, with_seq=True)
        ret_launch = x[:, 3].astype(np.float64)  # log price over first price
        for i in range(len(chunk)):
            m = int(chunk["mint"][i])
            if m < 0 or (mints is not None and m not in mints):
                continue
            ts = int(chunk["ts"][i])
            s = snap.get(m)
            if s is None:
                s = snap[m] = {"t0": ts, "peak": -np.inf, "final": 0.0}
            if ts - s["t0"] <= w_ns:
                s["x"], s["seq"], s["tw"], s["base"] = x[i].copy(), seq[i].copy(), ts, ret_launch[i]
            else:
                s["peak"] = max(s["peak"], ret_launch[i])
            s["final"] = ret_launch[i]
            s["last"] = ts
    ids = sorted(snap)
    if not ids:
        raise ValueError("no launches in the source")
    first = snap[ids[0]]
    return {
        "mint": np.array(ids, np.int64),
        "t0": np.array([snap[m]["t0"] for m in ids], np.int64),
        "t_window": np.array([snap[m]["tw"] for m in ids], np.int64),
        "x": np.stack([snap[m]["x"] for m in ids]).astype(np.float32),
        "seq": np.stack([snap[m]["seq"] for m in ids])
        .astype(np.float32)
        .reshape(len(ids), *first["seq"].shape),
        "peak_ret": np.array(
            [
                snap[m]["peak"] - snap[m]["base"] if np.isfinite(snap[m]["peak"]) else 0.0
                for m in ids
            ]
        ),
        "final_ret": np.array([snap[m]["final"] - snap[m]["base"] for m in ids]),
        "resolved_ts": np.array([snap[m]["last"] for m in ids], np.int64),
    }


def build_index(model_dir: str | os.PathLike[str], source: Any, window_s: float = WINDOW_S) -> Path:
    """Embed every launch of ``source`` with the model at ``model_dir``; save the index there."""
    from memelab.research.models.inference import Predictor

    pred = Predictor(model_dir)
    snaps = launch_snapshots(source, window_s)
    emb = pred.embed(snaps["x"], snaps["seq"])
    path = Path(model_dir) / INDEX_FILE
    np.savez(path, emb=emb, window_s=np.float64(window_s),
             **{k: v for k, v in snaps.items() if k not in ("x", "seq")})  # fmt: skip
    return path


def load_index(model_dir: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    path = Path(model_dir) / INDEX_FILE
    if not path.exists():
        raise FileNotFoundError(
            f"{path}: no similar-setups index (train a transformer with --lake to build one)"
        )
    with np.load(path) as z:
        return {k: z[k] for k in z.files}


def nearest(index: dict[str, np.ndarray], query: np.ndarray, k: int = 5,
            as_of: int | None = None, exclude: int | None = None) -> list[dict[str, Any]]:  # fmt: skip
    """The ``k`` launches most similar (cosine) to the embedding ``query``."""
    emb = index["emb"].astype(np.float64)
    q = np.asarray(query, np.float64).ravel()
    sims = emb @ q / (np.linalg.norm(emb, axis=1) * np.linalg.norm(q) + 1e-12)
    ok = np.ones(len(emb), bool)
    if as_of is not None:
        ok &= index["resolved_ts"] <= as_of
    if exclude is not None:
        ok &= index["mint"] != exclude
    idx = np.flatnonzero(ok)
    top = idx[np.argsort(-sims[idx], kind="stable")[:k]]
    return [
        {"mint": int(index["mint"][j]), "similarity": float(sims[j]), "t0": int(index["t0"][j]),
         "peak_ret": float(index["peak_ret"][j]), "final_ret": float(index["final_ret"][j])}
        for j in top
    ]  # fmt: skip


def similar_launches(model_dir: str | os.PathLike[str], source: Any, mint: int,
                     k: int = 5) -> dict[str, Any]:  # fmt: skip
    """Which past launches looked like ``mint`` in its first minutes, and how they ended.

    The query's embedding uses only its first ``window_s``; only launches whose outcome was known
    by the end of that window are returned."""
    from memelab.research.models.inference import Predictor

    index = load_index(model_dir)
    window_s = float(index["window_s"])
    snaps = launch_snapshots(source, window_s, mints={int(mint)})
    if int(mint) not in set(snaps["mint"].tolist()):
        raise ValueError(f"mint id {mint} has no events in the source")
    q = Predictor(model_dir).embed(snaps["x"][:1], snaps["seq"][:1])[0]
    as_of = int(snaps["t_window"][0])
    return {"mint": int(mint), "as_of": as_of, "window_s": window_s,
            "neighbours": nearest(index, q, k, as_of=as_of, exclude=int(mint))}  # fmt: skip
