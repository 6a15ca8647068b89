"""Training benchmark: samples per second of the sequence model per device, and of the baselines.

Prints one JSON line::

    {"workload", "samples", "devices": {"cpu": {"samples_per_sec", "seconds", ...},
     "cuda": {...} or null}, "logreg_seconds", "gbm_seconds", "torch", "machine", "cpus"}

A tensor file is made from random features with a planted linear signal (``--samples`` rows),
so the figure is the trainer's throughput, not the data's. The transformer trains ``--epochs``
epochs on each available device (CUDA with bfloat16 autocast when present); the baselines fit
once on the CPU. Usage: ``python bench/train.py [--samples 50000] [--epochs 2]``. Figures depend
on the machine and its load: say which when you quote them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=50_000)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    import numpy as np
    import torch
    from memelab.research.features.features_nb import N_FEATURES, N_SEQ, SEQ_LEN
    from memelab.research.models import transformer as tfm
    from memelab.research.models.baselines import fit_gbm, fit_logreg

    rng = np.random.default_rng(args.seed)
    n = args.samples
    x = rng.normal(size=(n, N_FEATURES)).astype(np.float32)
    seq = rng.normal(size=(n, SEQ_LEN, N_SEQ)).astype(np.float32)
    y = (x[:, 0] + 0.5 * seq[:, -1, 1] + rng.normal(size=n) > 0).astype(np.int8)
    idx = np.arange(n)
    data = {"x": x, "seq": seq, "y": y, "train": idx[: int(0.8 * n)], "valid": idx[int(0.8 * n) :]}
    devices = {"cpu": None, "cuda": None}
    for dev in ("cpu", "cuda"):
        if dev == "cuda" and not torch.cuda.is_available():
            continue
        params = {"epochs": args.epochs, "patience": args.epochs + 1, "threads": args.threads}
        _, s = tfm.train(data, None, dev, args.seed, params)
        devices[dev] = {
            "samples_per_sec": round(s["samples_per_s"]),
            "seconds": round(s["seconds"], 3),
            "mixed_precision": s["mixed_precision"],
            "threads": args.threads if dev == "cpu" else None,
        }
    tr, va = data["train"], data["valid"]
    t = time.perf_counter()
    fit_logreg(x[tr], y[tr], x[va], y[va], args.seed)
    logreg_s = time.perf_counter() - t
    t = time.perf_counter()
    fit_gbm(x[tr], y[tr], x[va], y[va], args.seed)
    gbm_s = time.perf_counter() - t
    print(json.dumps({
        "workload": f"transformer training, {args.epochs} epochs (incl. validation passes)",
        "samples": n,
        "devices": devices,
        "logreg_seconds": round(logreg_s, 3),
        "gbm_seconds": round(gbm_s, 3),
        "torch": torch.__version__,
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
