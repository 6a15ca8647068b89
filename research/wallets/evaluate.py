"""Score wallet research against a synthetic lake's ground truth (``wallets_truth``).

Two figures: ROC AUC of the wallet score for planted alpha wallets against every other kind,
among wallets with at least ``min_resolved`` resolved buys (with the empirical-Bayes prior, and
with SPEC's fixed Beta(3, 5)); and the adjusted Rand index of the
recovered sybil clusters against the planted ones. For the ARI, every wallet outside a cluster is
its own singleton, on both sides; it is reported over the wallets that are in a planted or a
recovered cluster (``ari``) and over all wallets (``ari_all``, inflated by agreeing singletons).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from memelab.datasets.lake import Lake
from memelab.research.wallets.graph import buyer_sets_from_lake, cobuy_similarity, sybil_clusters
from memelab.research.wallets.labels import LabelParams, label_lake
from memelab.research.wallets.scoring import summarize_wallets


def _with_singletons(labels: np.ndarray) -> np.ndarray:
    out = labels.astype(np.int64).copy()
    lone = out < 0
    out[lone] = out.max(initial=0) + 1 + np.arange(int(lone.sum()))
    return out


def evaluate_on_truth(
    lake: Lake | str,
    min_resolved: int = 20,
    label_params: LabelParams | None = None,
    cobuy_window_s: float = 10.0,
    threshold: float = 0.7,
    min_common: int = 3,
) -> dict[str, Any]:
    """AUC of score (alpha vs rest, >= ``min_resolved`` resolved buys) and ARI of sybil clusters."""
    from sklearn.metrics import adjusted_rand_score, roc_auc_score

    lake = lake if isinstance(lake, Lake) else Lake(lake)
    if "wallets_truth" not in lake.tables():
        raise ValueError(f"{lake.root} has no wallets_truth table (not a synthetic lake)")
    truth = lake.read("wallets_truth").to_pandas().sort_values("wallet_id")
    labels = label_lake(lake, params=label_params, with_addresses=False)
    scores, prior = summarize_wallets(labels, prior="eb")
    scored = scores.merge(truth[["wallet_id", "kind", "cluster"]], on="wallet_id")
    eligible = scored[scored["resolved"] >= min_resolved]
    is_alpha = (eligible["kind"] == "alpha").to_numpy()
    auc = (
        float(roc_auc_score(is_alpha, eligible["score"]))
        if 0 < is_alpha.sum() < len(is_alpha)
        else float("nan")
    )
    fixed, _ = summarize_wallets(labels, prior=(3.0, 5.0))
    fixed = fixed.set_index("wallet_id").loc[eligible["wallet_id"], "score"].to_numpy()
    auc_fixed = (
        float(roc_auc_score(is_alpha, fixed))
        if 0 < is_alpha.sum() < len(is_alpha)
        else float("nan")
    )
    sets = buyer_sets_from_lake(lake)
    cobuy = cobuy_similarity(sets, window_s=cobuy_window_s, min_common=min_common)
    perf = np.full(len(sets.wallets), np.nan)
    perf[scores["wallet_id"].to_numpy()] = scores["score"].to_numpy()
    clusters = sybil_clusters(cobuy, threshold, min_common, performance=perf)
    n = len(sets.wallets)
    planted = np.full(n, -1)
    planted[truth["wallet_id"].to_numpy()] = truth["cluster"].to_numpy()
    found = np.full(n, -1)
    found[clusters["wallet_idx"].to_numpy()] = clusters["cluster"].to_numpy()
    union = (planted >= 0) | (found >= 0)
    ari = adjusted_rand_score(_with_singletons(planted[union]), _with_singletons(found[union]))
    ari_all = adjusted_rand_score(_with_singletons(planted), _with_singletons(found))
    by_kind = eligible.groupby("kind")["score"].median().round(4).to_dict()
    return {
        "auc_alpha_vs_rest": auc,
        "auc_alpha_vs_rest_beta35": auc_fixed,
        "min_resolved": min_resolved,
        "eligible_wallets": int(len(eligible)),
        "eligible_alpha": int(is_alpha.sum()),
        "median_score_by_kind": by_kind,
        "prior": {"alpha": prior.alpha, "beta": prior.beta, "method": prior.method},
        "ari": float(ari),
        "ari_all": float(ari_all),
        "planted_clusters": int(len(np.unique(planted[planted >= 0]))),
        "found_clusters": int(clusters["cluster"].nunique()),
        "planted_sybils": int((planted >= 0).sum()),
        "clustered_wallets": int(len(clusters)),
        "buys": int(len(labels)),
    }
