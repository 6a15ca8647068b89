"""Checks that the planted structure is recoverable: alpha wallets win more, sybils co-buy.

These are measurements on a generated lake, used by the tests and the docs; research code has
its own, causal scoring. Outcome rule (SPEC): a buy wins when the VWAP of the mint's last 20
trades reaches +20% before -8% within 15 minutes of the buy.
"""

from __future__ import annotations

import numpy as np
from memelab.datasets.lake import Lake
from numba import njit

WIN_UP = 0.20
LOSS_DOWN = 0.08
HORIZON_NS = 15 * 60 * 1_000_000_000
VWAP_TRADES = 20


@njit(cache=True)
def buy_outcomes_nb(
    mint: np.ndarray, ts: np.ndarray, side: np.ndarray, sol: np.ndarray, tokens: np.ndarray
) -> np.ndarray:
    """Outcome of every event in (mint, ts)-sorted arrays: 1 win, 0 loss/timeout, -1 not a buy.

    A buy resolved as a timeout before the data ends (less than 15 min of data after it) is
    marked -2 (unresolved).
    """
    n = mint.shape[0]
    vwap = np.full(n, np.nan)
    out = np.full(n, -1, dtype=np.int8)
    ring_s = np.zeros(VWAP_TRADES)
    ring_t = np.zeros(VWAP_TRADES)
    start = 0
    while start < n:
        end = start
        while end < n and mint[end] == mint[start]:
            end += 1
        k = 0
        s_sum = 0.0
        t_sum = 0.0
        for i in range(start, end):
            if side[i] != 0 and tokens[i] > 0.0:
                slot = k % VWAP_TRADES
                s_sum += sol[i] - ring_s[slot]
                t_sum += tokens[i] - ring_t[slot]
                ring_s[slot] = sol[i]
                ring_t[slot] = tokens[i]
                k += 1
            if t_sum > 0.0:
                vwap[i] = s_sum / t_sum
        ring_s[:] = 0.0
        ring_t[:] = 0.0
        last_ts = ts[end - 1]
        for i in range(start, end):
            if side[i] != 1:
                continue
            ref = vwap[i]
            res = -2 if ts[i] + HORIZON_NS > last_ts else 0
            for j in range(i + 1, end):
                if ts[j] - ts[i] > HORIZON_NS:
                    res = 0
                    break
                if vwap[j] >= ref * (1.0 + WIN_UP):
                    res = 1
                    break
                if vwap[j] <= ref * (1.0 - LOSS_DOWN):
                    res = 0
                    break
            out[i] = res
        start = end
    return out


def wallet_win_rates(lake: Lake, min_resolved: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """(wallet ids, win rate over resolved buys) for wallets with >= ``min_resolved`` of them."""
    ev = lake.load_events()
    order = np.lexsort((np.arange(len(ev)), ev["ts"], ev["mint"]))
    ev = ev[order]
    res = buy_outcomes_nb(ev["mint"], ev["ts"], ev["side"], ev["sol"], ev["tokens"])
    resolved = res >= 0
    trader = ev["trader"][resolved]
    wins = np.bincount(trader, weights=res[resolved], minlength=int(ev["trader"].max()) + 1)
    counts = np.bincount(trader, minlength=len(wins))
    ids = np.flatnonzero(counts >= min_resolved)
    return ids, wins[ids] / counts[ids]


def alpha_auc(lake: Lake, min_resolved: int = 20) -> tuple[float, int, int]:
    """ROC AUC of per-wallet win rate separating alpha wallets from all others.

    Returns (auc, alpha wallets scored, other wallets scored).
    """
    from sklearn.metrics import roc_auc_score

    ids, rate = wallet_win_rates(lake, min_resolved)
    truth = lake.read("wallets_truth", columns=["wallet_id", "kind"]).to_pandas()
    kind = truth.set_index("wallet_id")["kind"].reindex(ids).to_numpy()
    is_alpha = kind == "alpha"
    if is_alpha.all() or not is_alpha.any():
        return float("nan"), int(is_alpha.sum()), int((~is_alpha).sum())
    return float(roc_auc_score(is_alpha, rate)), int(is_alpha.sum()), int((~is_alpha).sum())


def cobuy_clusters_ari(lake: Lake, window_s: float = 10.0, min_share: float = 0.5) -> float:
    """Adjusted Rand of sybil clusters recovered by a simple co-buy graph vs the truth.

    Two wallets are linked when at least ``min_share`` of the smaller one's mints were bought by
    both within ``window_s`` seconds; clusters are connected components. Scored over the wallets
    that are sybils in truth or end up in a recovered cluster.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from sklearn.metrics import adjusted_rand_score

    pairs = lake.sql(
        f"""
        with b as (select distinct trader_id as w, mint_id as m, min(ts) as t
                   from swaps where side = 1 group by all),
        n as (select w, count(*) as k from b group by w),
        co as (select a.w as w1, c.w as w2, count(*) as nboth
               from b a join b c on a.m = c.m and a.w < c.w
                    and abs(a.t - c.t) <= {int(window_s * 1e9)}
               group by all having count(*) >= 3)
        select w1, w2 from co join n n1 on n1.w = co.w1 join n n2 on n2.w = co.w2
        where nboth >= {min_share} * least(n1.k, n2.k)
        """
    )
    truth = lake.read("wallets_truth", columns=["wallet_id", "cluster"]).to_pandas()
    n_w = int(truth["wallet_id"].max()) + 1
    w1, w2 = pairs["w1"].to_numpy(), pairs["w2"].to_numpy()
    graph = coo_matrix((np.ones(len(w1)), (w1, w2)), shape=(n_w, n_w))
    _, labels = connected_components(graph, directed=False)
    cluster = np.full(n_w, -1)
    cluster[truth["wallet_id"].to_numpy()] = truth["cluster"].to_numpy()
    sizes = np.bincount(labels)
    in_found = sizes[labels] > 1
    scope = (cluster >= 0) | in_found
    found = np.where(in_found, labels, -1 - np.arange(n_w))  # singletons stay apart
    true = np.where(cluster >= 0, cluster, -1 - np.arange(n_w) - n_w)
    return float(adjusted_rand_score(true[scope], found[scope]))
