"""Feature benchmark: stream >= 10 M events through the compiled feature kernel.

Prints one JSON line::

    {"workload", "events", "seconds", "events_per_sec", "seq_events", "seq_events_per_sec",
     "tokens", "wallets", "chunk", "peak_rss_mb", "machine", "cpus"}

Events come from a vectorised generator (tokens, wallets, sides, sizes and pump.fun curve
reserves drawn at random; chunks of ``--chunk`` events in time order), made outside the timed
region: ``seconds`` is ``FeatureStream.update`` alone (all 37 features, including the streaming
wallet scorer), as the backtest input stage and the builder call it. ``seq_*`` adds the sequence
model's last-16-event windows on the first ``--seq-events``. Usage:
``python bench/features.py [--events 10000000] [--tokens 20000] [--wallets 200000]``.
Figures depend on the machine and its load: say which when you quote them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import time


def make_chunk(rng, n: int, t0: int, tokens: int, wallets: int):
    import numpy as np
    from memelab.datasets.schemas import EVENT_DTYPE

    ev = np.zeros(n, EVENT_DTYPE)
    ev["ts"] = t0 + np.cumsum(rng.integers(1, 20_000_000, n))
    ev["mint"] = rng.integers(0, tokens, n)
    ev["trader"] = rng.integers(0, wallets, n)
    ev["side"] = np.where(rng.random(n) < 0.55, 1, -1)
    ev["sol"] = np.exp(rng.normal(-2.5, 1.4, n))
    vtok = rng.uniform(280e6, 1.07e9, n)
    ev["vtok"] = vtok
    ev["vsol"] = 3.219e10 / vtok
    ev["price"] = ev["vsol"] / vtok
    ev["tokens"] = ev["sol"] / ev["price"]
    if "pool" in EVENT_DTYPE.names:
        ev["pool"] = ev["mint"]
    return ev


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=10_000_000)
    ap.add_argument("--seq-events", type=int, default=1_000_000)
    ap.add_argument("--tokens", type=int, default=20_000)
    ap.add_argument("--wallets", type=int, default=200_000)
    ap.add_argument("--chunk", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    import numpy as np
    from memelab.research.features.stream import FeatureStream

    rng = np.random.default_rng(args.seed)
    FeatureStream(8, 8).update(make_chunk(rng, 1000, 0, 8, 8), with_seq=True)  # compile
    t_next = 1_735_689_600 * 10**9

    def run(total: int, with_seq: bool) -> float:
        nonlocal t_next
        fs = FeatureStream(args.tokens, args.wallets)
        spent, done = 0.0, 0
        while done < total:
            n = min(args.chunk, total - done)
            ev = make_chunk(rng, n, t_next, args.tokens, args.wallets)
            t_next = int(ev["ts"][-1])
            t = time.perf_counter()
            fs.update(ev, with_seq=with_seq)
            spent += time.perf_counter() - t
            done += n
        return spent

    seconds = run(args.events, False)
    seq_seconds = run(args.seq_events, True) if args.seq_events > 0 else None
    print(json.dumps({
        "workload": "FeatureStream.update: 37 causal features per event (wallet scorer included)",
        "events": args.events,
        "seconds": round(seconds, 3),
        "events_per_sec": round(args.events / seconds),
        "seq_events": args.seq_events,
        "seq_events_per_sec": round(args.seq_events / seq_seconds) if seq_seconds else None,
        "tokens": args.tokens,
        "wallets": args.wallets,
        "chunk": args.chunk,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
