"""Calibration of the post-stopping estimate of the two-arm paired win test.

Simulates stopped tests on correlated win pairs (numpy draws, independent of the compiled
simulator) at a few true effects and prints, per effect, how often the median-unbiased point
estimate and the naive mean lie above the truth (0.5 is median-unbiased) and how often the 95%
interval covers it.

    .venv/bin/python bench/sprt_estimate.py [--runs 100] [--sims 300]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

import numpy as np


def main() -> None:
    from memelab.research.sprt.twoarm import TwoArmSPRT

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=100, help="stopped tests per effect")
    ap.add_argument("--sims", type=int, default=300, help="simulated tests per bisection step")
    ap.add_argument("--rho", type=float, default=0.6, help="share of randomness the pair shares")
    ap.add_argument("--seed", type=int, default=5)
    args = ap.parse_args()
    test = TwoArmSPRT()
    rng = np.random.default_rng(args.seed)
    out = {"workload": vars(args) | {"p_control": 0.32, "test": test.params()}, "effects": {}}
    t0 = time.perf_counter()
    for effect in (0.0, 0.04, 0.08):
        above = naive_above = covered = 0
        decisions: dict[str, int] = {}
        used = []
        for r in range(args.runs):
            u1, u2, v = rng.random(4000), rng.random(4000), rng.random(4000)
            ut = np.where(v < args.rho, u1, u2)
            x = (ut < 0.32 + effect).astype(float) - (u1 < 0.32).astype(float)
            st = test.update(x)
            est = test.estimate(x, n_seq=args.sims, seed=r)
            above += est.point > effect
            naive_above += est.naive > effect
            covered += est.lo <= effect <= est.hi
            decisions[st.decision] = decisions.get(st.decision, 0) + 1
            used.append(st.n)
        out["effects"][str(effect)] = {
            "share_estimate_above_truth": above / args.runs,
            "share_naive_above_truth": naive_above / args.runs,
            "ci95_coverage": covered / args.runs,
            "decisions": decisions,
            "mean_units": float(np.mean(used)),
        }
    out["seconds"] = round(time.perf_counter() - t0, 2)
    out["machine"] = {"platform": platform.platform(), "cpus": os.cpu_count(),
                      "note": "shared machine; timings are indicative only"}  # fmt: skip
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
