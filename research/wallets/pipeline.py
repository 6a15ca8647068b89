"""End-to-end wallet research runs behind ``memelab wallets``: files in, tables and a report out.

``score_lake``: causal labels -> one row per wallet over all resolved buys in the range (the
research summary: the rolling window belongs to the live vote, not here) -> empirical-Bayes
posterior, credible interval, q-value, tier -> sybil cluster from the co-buy graph.
``graph_lake`` / ``graph_kam1cadzee``: co-buy graph, sybil clusters and smart money.
"""

from __future__ import annotations

import resource
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from memelab.datasets.jsonio import write_json
from memelab.datasets.lake import Lake
from memelab.research.wallets.graph import (
    BuyerSets,
    CoBuy,
    audit_wallets,
    buyer_sets_from_lake,
    cobuy_similarity,
    load_kam1cadzee,
    smart_money,
    sybil_clusters,
)
from memelab.research.wallets.labels import LabelParams, add_addresses, label_lake
from memelab.research.wallets.report import write_report
from memelab.research.wallets.scoring import summarize_wallets

SCORE_COLUMNS = [
    "wallet",
    "wallet_id",
    "buys",
    "resolved",
    "wins",
    "win_rate",
    "score",
    "low",
    "high",
    "pep",
    "qvalue",
    "top",
    "tier",
    "q_top",
    "q_low",
    "cluster",
    "sybil_keep",
]


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _labels_task(root: str, start, end, label_params) -> pd.DataFrame:
    """Runs on a worker: label every buy of the lake at ``root`` (the worker opens it)."""
    return label_lake(Lake(root), start, end, label_params, with_addresses=False)


def _cobuy_task(root: str, start, end, window_s: float, min_common: int) -> tuple[Any, CoBuy]:
    """Runs on a worker: the buyer sets and their co-buy similarity (independent of labels)."""
    sets = buyer_sets_from_lake(Lake(root), start, end)
    return sets, cobuy_similarity(sets, window_s=window_s, min_common=min_common)


def _labels_and_cobuy(lake: Lake, start, end, label_params, window_s, min_common, scheduler,
                      client):  # fmt: skip
    """The two heavy, independent stages: in process, or as two tasks on a Dask cluster (both
    run at once on two workers; a lost worker's task is resubmitted)."""
    if client is None and not scheduler:
        labels = _labels_task(lake.root, start, end, label_params)
        return (labels, *_cobuy_task(lake.root, start, end, window_s, min_common))
    from memelab.research.sweeps.distributed import TASK_RETRIES, connect

    own = client is None
    client = connect(scheduler) if own else client
    try:
        root = str(Path(lake.root).resolve())
        f_labels = client.submit(_labels_task, root, start, end, label_params, pure=False,
                                 retries=TASK_RETRIES)  # fmt: skip
        f_cobuy = client.submit(_cobuy_task, root, start, end, window_s, min_common, pure=False,
                                retries=TASK_RETRIES)  # fmt: skip
        labels = f_labels.result()
        sets, cobuy = f_cobuy.result()
    finally:
        if own:
            client.close()
    return labels, sets, cobuy


def score_lake(
    lake: Lake | str,
    out: str | Path,
    start: int | None = None,
    end: int | None = None,
    label_params: LabelParams | None = None,
    prior: str | tuple[float, float] = "eb",
    fdr: float = 0.1,
    threshold: float | None = None,
    cobuy_window_s: float = 10.0,
    sybil_threshold: float = 0.7,
    min_common: int = 3,
    audit_per_tier: int = 10,
    seed: int = 0,
    scheduler: str | None = None,
    client: Any = None,
) -> dict[str, Any]:
    """Write ``wallet_scores.parquet``, ``wallet_labels.parquet``, ``clusters.parquet``,
    ``audit.parquet`` (stratified audit of ``audit_per_tier`` wallets per tier on their last 10
    resolved buys), ``summary.json`` and ``report.html`` into ``out``; returns the summary.

    With ``scheduler`` (``tcp://host:port``) or a Dask ``client``, labelling and the co-buy
    graph run as tasks on the cluster's workers, which read the lake from the same path."""
    t0 = time.perf_counter()
    lake = lake if isinstance(lake, Lake) else Lake(lake)
    lake.require()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    labels, sets, cobuy = _labels_and_cobuy(
        lake, start, end, label_params, cobuy_window_s, min_common, scheduler, client
    )
    if labels.empty:
        raise ValueError(f"no buys in {lake.root} for the requested range: nothing to score")
    scores, fitted = summarize_wallets(labels, prior=prior, threshold=threshold, fdr=fdr)
    perf = np.full(len(sets.wallets), np.nan)
    perf[scores["wallet_id"].to_numpy()] = scores["score"].to_numpy()
    clusters = sybil_clusters(cobuy, sybil_threshold, min_common, performance=perf)
    cl = clusters.set_index("wallet_idx")
    scores["cluster"] = (
        cl["cluster"].reindex(scores["wallet_id"]).fillna(-1).astype(np.int32).to_numpy()
    )
    keep = cl["keep"].reindex(scores["wallet_id"]).to_numpy(dtype=object)
    scores["sybil_keep"] = np.where(pd.isna(keep), True, keep).astype(bool)
    audit = audit_wallets(scores, labels, per_tier=audit_per_tier, seed=seed)
    add_addresses(lake, audit)
    audit.to_parquet(out / "audit.parquet", index=False)
    add_addresses(lake, scores)
    scores = scores[SCORE_COLUMNS]
    scores.to_parquet(out / "wallet_scores.parquet", index=False)
    add_addresses(lake, labels, categorical=True)
    labels.to_parquet(out / "wallet_labels.parquet", index=False)
    clusters = clusters.assign(wallet=sets.wallets[clusters["wallet_idx"].to_numpy()])
    clusters.to_parquet(out / "clusters.parquet", index=False)
    resolved = labels["status"] >= 0
    summary = {
        "lake": str(lake.root),
        "start": start,
        "end": end,
        "label_params": asdict(label_params or LabelParams()),
        "buys": int(len(labels)),
        "resolved": int(resolved.sum()),
        "wins": int(labels["win"].sum()),
        "wallets": int(len(scores)),
        "prior": {"alpha": fitted.alpha, "beta": fitted.beta, "method": fitted.method},
        "fdr": fdr,
        "top_wallets": int(scores["top"].sum()),
        "tiers": {k: int(v) for k, v in scores["tier"].value_counts().items()},
        "clusters": int(clusters["cluster"].nunique()),
        "clustered_wallets": int(len(clusters)),
        "audit": {k: int(v) for k, v in audit["action"].value_counts().items()},
        "seconds": round(time.perf_counter() - t0, 3),
        "peak_rss_mb": round(_peak_rss_mb(), 1),
    }
    write_json(out / "summary.json", summary)
    edges = _cluster_edges(cobuy, clusters)
    facts = {k: v for k, v in summary.items() if not isinstance(v, dict)}
    facts["prior"] = f"Beta({fitted.alpha:.3g}, {fitted.beta:.3g}) [{fitted.method}]"
    write_report(out / "report.html", "memelab wallet scores", facts, scores=scores,
                 clusters=clusters, edges=edges)  # fmt: skip
    return summary


def _cluster_edges(cobuy: CoBuy, clusters: pd.DataFrame) -> pd.DataFrame:
    members = np.zeros(len(cobuy.degree), dtype=bool)
    members[clusters["wallet_idx"].to_numpy()] = True
    cluster_of = np.full(len(cobuy.degree), -1)
    cluster_of[clusters["wallet_idx"].to_numpy()] = clusters["cluster"].to_numpy()
    sel = members[cobuy.i] & (cluster_of[cobuy.i] == cluster_of[cobuy.j])
    return pd.DataFrame({"i": cobuy.i[sel], "j": cobuy.j[sel], "jaccard": cobuy.jaccard[sel]})


def _graph(
    sets: BuyerSets,
    out: Path,
    title: str,
    window_s: float | None,
    threshold: float,
    min_common: int,
    min_mints: int,
    min_tokens: int,
    t0: float,
) -> dict[str, Any]:
    out.mkdir(parents=True, exist_ok=True)
    cobuy = cobuy_similarity(sets, window_s=window_s, min_mints=min_mints, min_common=min_common)
    smart = smart_money(sets, min_tokens=min_tokens) if _has_outcomes(sets) else None
    perf = np.full(len(sets.wallets), np.nan)
    if smart is not None:
        perf[smart["wallet_idx"].to_numpy()] = smart["rate_low"].to_numpy()
    clusters = sybil_clusters(cobuy, threshold, min_common, performance=perf)
    clusters = clusters.assign(wallet=sets.wallets[clusters["wallet_idx"].to_numpy()])
    clusters.to_parquet(out / "clusters.parquet", index=False)
    if smart is not None:
        smart.to_parquet(out / "smart_money.parquet", index=False)
    summary = {
        **{k: v for k, v in sets.info.items() if isinstance(v, int | float | str) or v is None},
        "pairs": sets.n_pairs,
        "wallets_in_graph": int(np.count_nonzero(cobuy.degree >= min_mints)),
        "cobuy_pairs_min_common": int(len(cobuy.i)),
        "clusters": int(clusters["cluster"].nunique()),
        "clustered_wallets": int(len(clusters)),
        "largest_cluster": int(clusters["size"].max()) if len(clusters) else 0,
        "wallets_dropped_as_sybil": int((~clusters["keep"]).sum()),
        "smart_money_ranked": 0 if smart is None else int(len(smart)),
        "threshold": threshold,
        "min_common": min_common,
        "window_s": window_s,
        "seconds": round(time.perf_counter() - t0, 3),
        "peak_rss_mb": round(_peak_rss_mb(), 1),
    }
    write_json(out / "graph.json", summary)
    write_report(out / "report.html", title, summary, clusters=clusters,
                 edges=_cluster_edges(cobuy, clusters), smart=smart)  # fmt: skip
    return summary


def _has_outcomes(sets: BuyerSets) -> bool:
    return sets.pair_good is not None or sets.mint_good is not None


def graph_lake(
    lake: Lake | str,
    out: str | Path,
    start: int | None = None,
    end: int | None = None,
    window_s: float | None = 10.0,
    early_s: float | None = None,
    threshold: float = 0.7,
    min_common: int = 3,
    min_mints: int = 3,
    min_tokens: int = 5,
) -> dict[str, Any]:
    """Co-buy graph of a lake (smart money judged by the causal label of each first buy)."""
    t0 = time.perf_counter()
    lake = lake if isinstance(lake, Lake) else Lake(lake)
    lake.require()
    labels = label_lake(lake, start, end, with_addresses=False)
    sets = buyer_sets_from_lake(lake, start, end, early_s=early_s, labels=labels)
    return _graph(sets, Path(out), "memelab wallet graph", window_s, threshold, min_common,
                  min_mints, min_tokens, t0)  # fmt: skip


def graph_kam1cadzee(
    path: str | Path,
    out: str | Path,
    good_mc: float = 40.0,
    threshold: float = 0.7,
    min_common: int = 3,
    min_mints: int = 3,
    min_tokens: int = 5,
) -> dict[str, Any]:
    """Co-buy graph of the real Kam1Cadzee early-buyer lists (no times: co-buy = same token)."""
    t0 = time.perf_counter()
    sets = load_kam1cadzee(path, good_mc=good_mc)
    return _graph(sets, Path(out), "Kam1Cadzee early-buyer graph", None, threshold, min_common,
                  min_mints, min_tokens, t0)  # fmt: skip
