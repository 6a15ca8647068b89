"""The wallet graph: co-buy similarity, sybil clusters, smart-money ranking, stratified audit.

Everything starts from *buyer sets*: (wallet, mint[, time]) pairs, one per wallet and mint (its
first buy). Two sources give them: a lake (``buyer_sets_from_lake``: optionally only the buys in
the first ``early_s`` seconds of each mint) and the real early-buyer lists of the Kam1Cadzee sniper
bot (``load_kam1cadzee``: 66k tokens, 87k wallets, no times).

Co-buy similarity is Jaccard over mints: |A n B| / |A u B|, where a mint is *co-bought* when both
wallets bought it (and, with times, within about ``window_s`` of each other: first buys are put in
``window_s`` buckets and pairs in the same or adjacent buckets count). It is computed with scipy
sparse products over the wallet x (mint, bucket) incidence matrix, only for wallets with at least
``min_mints`` mints, so the cost is the number of co-buying pairs, not wallets squared.

Sybil clusters are the connected components of the graph whose edges are pairs with Jaccard >
``threshold`` (SPEC: 70%) and at least ``min_common`` shared mints; in each cluster only the best
performer is kept for voting. Smart money are wallets early on many tokens that later did well,
ranked by the lower bound of an empirical-Bayes credible interval of that rate.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

BASE58_ADDRESS = re.compile(r"^[1-9A-HJ-NP-Za-km-z]{32,44}$")


@dataclass
class BuyerSets:
    """(wallet, mint) first-buy pairs with dense indices into ``wallets`` / ``mints``.

    ``ts`` (ns) is the first-buy time when known (None for timeless sources); ``mint_good`` marks
    mints that later did well, and ``pair_good`` pairs whose buy later did well (either may be None).
    """

    wallets: np.ndarray  # object array of base58 strings
    mints: np.ndarray
    wallet_idx: np.ndarray  # int32, per pair
    mint_idx: np.ndarray
    ts: np.ndarray | None = None
    mint_good: np.ndarray | None = None
    pair_good: np.ndarray | None = None
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def n_pairs(self) -> int:
        return int(len(self.wallet_idx))


# ------------------------------------------------------------------ loaders
def load_kam1cadzee(path: str | Path, good_mc: float = 40.0) -> BuyerSets:
    """Early-buyer lists of ``statistic_*.json`` files (a folder or one file).

    Records of the same mint are merged (union of traders, highest ``mc``). Trader entries that
    are not base58 addresses (about 1%: strings the bot split into characters) are dropped and
    counted in ``info``. A mint ``did well`` when its market cap reached ``good_mc`` SOL.
    """
    path = Path(path)
    files = sorted(path.glob("statistic_*.json")) if path.is_dir() else [path]
    if not files:
        raise FileNotFoundError(f"no statistic_*.json files in {path}")
    mint_of: dict[str, int] = {}
    mc: list[float] = []
    farm: list[bool] = []
    wallet_of: dict[str, int] = {}
    pair_w: list[int] = []
    pair_m: list[int] = []
    records = bad = 0
    for f in files:
        try:
            data = json.loads(f.read_text())
        except json.JSONDecodeError as exc:
            raise ValueError(f"{f}: not valid JSON ({exc})") from exc
        if not isinstance(data, list):
            raise ValueError(f"{f}: expected a JSON list of token records")
        for row, rec in enumerate(data):
            mint = rec.get("mint") if isinstance(rec, dict) else None
            if not isinstance(mint, str) or not BASE58_ADDRESS.match(mint):
                raise ValueError(f"{f}: record {row}: field 'mint' is not a base58 address")
            records += 1
            m = mint_of.get(mint)
            if m is None:
                m = mint_of[mint] = len(mc)
                mc.append(-np.inf)
                farm.append(False)
            value = rec.get("mc")
            if isinstance(value, int | float) and np.isfinite(value):
                mc[m] = max(mc[m], float(value))
            farm[m] = farm[m] or bool(rec.get("isFarm", False))
            for trader in rec.get("traders") or ():
                if not isinstance(trader, str) or not BASE58_ADDRESS.match(trader):
                    bad += 1
                    continue
                w = wallet_of.get(trader)
                if w is None:
                    w = wallet_of[trader] = len(wallet_of)
                pair_w.append(w)
                pair_m.append(m)
    w_idx = np.asarray(pair_w, dtype=np.int64)
    m_idx = np.asarray(pair_m, dtype=np.int64)
    key = np.unique(w_idx * len(mc) + m_idx)  # one pair per (wallet, mint)
    mc_arr = np.asarray(mc, dtype=np.float64)
    return BuyerSets(
        wallets=np.asarray(list(wallet_of), dtype=object),
        mints=np.asarray(list(mint_of), dtype=object),
        wallet_idx=(key // len(mc)).astype(np.int32),
        mint_idx=(key % len(mc)).astype(np.int32),
        mint_good=mc_arr >= good_mc,
        info={
            "files": len(files),
            "records": records,
            "mints": len(mint_of),
            "wallets": len(wallet_of),
            "bad_trader_entries": bad,
            "farm_mints": int(np.sum(farm)),
            "good_mc": good_mc,
        },
    )


def buyer_sets_from_lake(
    lake: Any,
    start: int | None = None,
    end: int | None = None,
    early_s: float | None = None,
    labels: pd.DataFrame | None = None,
) -> BuyerSets:
    """First buy of each (wallet, mint) in a lake, optionally only within ``early_s`` seconds of
    the mint's first trade. With ``labels`` (from ``research.labels``), ``pair_good`` is whether
    that first buy won."""
    con = lake.connect()
    try:
        where = ["side = 1"]
        if start is not None:
            where.append(f"ts >= {int(start)}")
        if end is not None:
            where.append(f"ts < {int(end)}")
        cond = " AND ".join(where)
        early = ""
        if early_s is not None:
            early = f"WHERE b.ts <= f.t0 + {int(early_s * 1e9)}"
        q = f"""
            WITH b AS (SELECT trader_id, mint_id, min(ts) AS ts FROM swaps WHERE {cond}
                       GROUP BY trader_id, mint_id),
                 f AS (SELECT mint_id, min(ts) AS t0 FROM swaps
                       {"WHERE " + cond.replace("side = 1", "TRUE")} GROUP BY mint_id)
            SELECT b.trader_id, b.mint_id, b.ts FROM b JOIN f USING (mint_id) {early}
            ORDER BY b.trader_id, b.mint_id
        """
        pairs = con.sql(q).df()
    finally:
        con.close()
    wallets = lake.dictionary("wallets").to_numpy(zero_copy_only=False).astype(object)
    mints = lake.dictionary("mints").to_numpy(zero_copy_only=False).astype(object)
    sets = BuyerSets(
        wallets=wallets,
        mints=mints,
        wallet_idx=pairs["trader_id"].to_numpy(np.int32),
        mint_idx=pairs["mint_id"].to_numpy(np.int32),
        ts=pairs["ts"].to_numpy(np.int64),
        info={"pairs": len(pairs), "early_s": early_s},
    )
    if labels is not None and len(pairs):
        first = labels.sort_values("ts", kind="stable").drop_duplicates(["wallet_id", "mint_id"])
        won = first.set_index(["wallet_id", "mint_id"])["status"]
        idx = pd.MultiIndex.from_arrays([sets.wallet_idx, sets.mint_idx])
        status = won.reindex(idx).to_numpy(dtype=np.float64, na_value=np.nan)
        sets.pair_good = np.where(status >= 0, (status == 1).astype(np.float64), np.nan)
    return sets


# --------------------------------------------------------------- similarity
@dataclass
class CoBuy:
    """Upper-triangle wallet pairs that co-bought: indices, shared mints, Jaccard."""

    i: np.ndarray
    j: np.ndarray
    common: np.ndarray
    jaccard: np.ndarray
    degree: np.ndarray  # distinct mints per wallet (all wallets)


def cobuy_similarity(
    sets: BuyerSets,
    window_s: float | None = None,
    min_mints: int = 3,
    min_common: int = 1,
    max_item_buyers: int | None = None,
    block_rows: int = 4096,
) -> CoBuy:
    """Jaccard co-buy similarity of every pair of wallets sharing a mint (sparse products).

    With ``window_s`` and times, a shared mint counts only when the two first buys fall in the
    same or adjacent ``window_s`` buckets (always within ``window_s``, never beyond 2x). Only pairs
    with >= ``min_common`` shared mints are returned; the product runs in blocks of
    ``block_rows`` wallets, so memory is bounded by the pairs kept, not by all co-buying pairs.
    ``max_item_buyers`` drops crowded (mint, bucket) items (a crowd buying one hot token in the
    same seconds says little about who is a sybil and costs the square of its size).
    """
    n_w = len(sets.wallets)
    w = sets.wallet_idx.astype(np.int64)
    m = sets.mint_idx.astype(np.int64)
    degree = np.bincount(w, minlength=n_w).astype(np.int64)
    keep = degree[w] >= min_mints
    w, m = w[keep], m[keep]
    timed = window_s is not None and sets.ts is not None
    if timed:
        if window_s <= 0:
            raise ValueError(f"window_s must be > 0, got {window_s}")
        bucket = sets.ts[keep] // int(window_s * 1e9)
        item = (m << 32) | (bucket - bucket.min() if len(bucket) else bucket)
    else:
        item = m
    items, col, counts = np.unique(item, return_inverse=True, return_counts=True)
    if max_item_buyers is not None:
        ok = counts[col] <= max_item_buyers
        w, col, item = w[ok], col[ok], item[ok]
    ones = np.ones(len(w), np.float32)
    B = sparse.csr_matrix((ones, (w, col)), shape=(n_w, len(items)))
    Bt = B.T.tocsr()
    S = St = None
    if timed:
        nxt = np.searchsorted(items, item + 1)  # (mint, bucket + 1), where someone bought
        has = (nxt < len(items)) & (items[np.minimum(nxt, len(items) - 1)] == item + 1)
        S = sparse.csr_matrix(
            (np.ones(int(has.sum()), np.float32), (w[has], nxt[has])), shape=(n_w, len(items))
        )
        St = S.T.tocsr()
    parts_i, parts_j, parts_c = [], [], []
    active = np.flatnonzero(np.diff(B.indptr) > 0)
    for k in range(0, len(active), block_rows):
        rows = active[k : k + block_rows]
        Cb = B[rows] @ Bt
        if timed:
            Cb = Cb + B[rows] @ St + S[rows] @ Bt
        Cb = Cb.tocoo()
        gi = rows[Cb.row]
        sel = (Cb.col > gi) & (Cb.data >= min_common - 0.5)
        parts_i.append(gi[sel].astype(np.int32))
        parts_j.append(Cb.col[sel].astype(np.int32))
        parts_c.append(np.rint(Cb.data[sel]).astype(np.int64))
    i = np.concatenate(parts_i) if parts_i else np.empty(0, np.int32)
    j = np.concatenate(parts_j) if parts_j else np.empty(0, np.int32)
    common = np.concatenate(parts_c) if parts_c else np.empty(0, np.int64)
    union = degree[i] + degree[j] - common
    jac = common / np.maximum(union, 1)
    order = np.lexsort((j, i))
    return CoBuy(i[order], j[order], common[order], jac[order], degree)


def sybil_clusters(
    cobuy: CoBuy,
    threshold: float = 0.7,
    min_common: int = 3,
    performance: np.ndarray | None = None,
) -> pd.DataFrame:
    """Wallets in co-buy clusters (Jaccard > ``threshold``, >= ``min_common`` shared mints).

    One row per clustered wallet: ``wallet_idx``, ``cluster`` (0.. by size, then lowest member),
    ``size``, ``keep`` (the cluster's best performer by ``performance``, then most mints, then
    lowest index), ``max_jaccard`` to a cluster mate.
    """
    from scipy.sparse.csgraph import connected_components

    n = len(cobuy.degree)
    edge = (cobuy.jaccard > threshold) & (cobuy.common >= min_common)
    i, j = cobuy.i[edge], cobuy.j[edge]
    if len(i) == 0:
        return pd.DataFrame(
            {
                "wallet_idx": np.empty(0, np.int32),
                "cluster": np.empty(0, np.int32),
                "size": np.empty(0, np.int64),
                "keep": np.empty(0, bool),
                "max_jaccard": np.empty(0),
            }
        )
    g = sparse.coo_matrix((np.ones(len(i)), (i, j)), shape=(n, n))
    _, comp = connected_components(g, directed=False)
    members = np.unique(np.concatenate([i, j]))
    best_j = np.zeros(n)
    np.maximum.at(best_j, i, cobuy.jaccard[edge])
    np.maximum.at(best_j, j, cobuy.jaccard[edge])
    df = pd.DataFrame({"wallet_idx": members.astype(np.int32), "comp": comp[members]})
    df["size"] = df.groupby("comp")["wallet_idx"].transform("size").astype(np.int64)
    first = df.groupby("comp")["wallet_idx"].transform("min")
    df["_first"] = first
    order = df.drop_duplicates("comp").sort_values(["size", "_first"], ascending=[False, True])
    cluster_of = dict(zip(order["comp"], range(len(order)), strict=True))
    df["cluster"] = df["comp"].map(cluster_of).astype(np.int32)
    perf = (
        np.zeros(n)
        if performance is None
        else np.nan_to_num(np.asarray(performance, np.float64), nan=-np.inf)
    )
    df["_perf"] = perf[df["wallet_idx"]]
    df["_deg"] = cobuy.degree[df["wallet_idx"]]
    ranked = df.sort_values(
        ["cluster", "_perf", "_deg", "wallet_idx"], ascending=[True, False, False, True]
    )
    keepers = ranked.drop_duplicates("cluster")["wallet_idx"]
    df["keep"] = df["wallet_idx"].isin(keepers)
    df["max_jaccard"] = best_j[df["wallet_idx"]]
    return (
        df[["wallet_idx", "cluster", "size", "keep", "max_jaccard"]]
        .sort_values(["cluster", "wallet_idx"])
        .reset_index(drop=True)
    )


# -------------------------------------------------------------- smart money
def smart_money(sets: BuyerSets, min_tokens: int = 5, credible: float = 0.90) -> pd.DataFrame:
    """Wallets early on many tokens that later did well, best first.

    Per wallet: ``tokens`` (early on), ``good`` (of those that did well), the empirical-Bayes
    posterior ``rate`` and its lower credible bound ``rate_low`` (the ranking key: many good
    tokens beat a lucky few). A pair is good by ``pair_good`` when given, else ``mint_good``.
    """
    from memelab.research.wallets.scoring import BetaPrior, eb_summary, fit_beta_prior

    if sets.pair_good is not None:
        good = np.asarray(sets.pair_good, dtype=np.float64)
    elif sets.mint_good is not None:
        good = sets.mint_good[sets.mint_idx].astype(np.float64)
    else:
        raise ValueError("smart_money needs mint_good or pair_good on the buyer sets")
    known = ~np.isnan(good)
    w = sets.wallet_idx[known]
    n_w = len(sets.wallets)
    tokens = np.bincount(w, minlength=n_w)
    wins = np.bincount(w, weights=good[known], minlength=n_w).round().astype(np.int64)
    sel = np.flatnonzero(tokens >= min_tokens)
    if len(sel) >= 3:
        prior = fit_beta_prior(wins[sel], tokens[sel], min_n=min_tokens)
    else:
        prior = BetaPrior(1.0, 1.0, "fixed", len(sel))
    post = eb_summary(wins[sel], tokens[sel], prior, credible=credible)
    out = pd.DataFrame(
        {
            "wallet_idx": sel.astype(np.int32),
            "wallet": sets.wallets[sel],
            "tokens": tokens[sel],
            "good": wins[sel],
            "rate": post["score"].to_numpy(),
            "rate_low": post["low"].to_numpy(),
            "rate_high": post["high"].to_numpy(),
        }
    )
    out = out.sort_values(["rate_low", "tokens", "wallet_idx"], ascending=[False, False, True])
    out["rank"] = np.arange(1, len(out) + 1)
    out.attrs["prior"] = {"alpha": prior.alpha, "beta": prior.beta, "method": prior.method}
    return out.reset_index(drop=True)


# -------------------------------------------------------------------- audit
def audit_wallets(
    summary: pd.DataFrame,
    labels: pd.DataFrame,
    per_tier: int = 10,
    last_k: int = 10,
    promote: float = 0.55,
    demote: float = 0.30,
    seed: int = 0,
) -> pd.DataFrame:
    """Stratified audit: sample ``per_tier`` wallets of each tier (top/mid/low in ``summary``),
    measure the win rate of each one's last ``last_k`` *resolved* buys, and promote one tier when
    it is > ``promote`` or demote one tier when it is < ``demote``. Seeded: same inputs, same
    sample."""
    order = ["low", "mid", "top"]
    if not {"wallet_id", "tier"} <= set(summary.columns):
        raise ValueError("summary needs columns wallet_id and tier (see summarize_wallets)")
    rng = np.random.default_rng(seed)
    resolved = labels[labels["status"] >= 0].sort_values(
        ["wallet_id", "resolved_ts"], kind="stable"
    )
    recent = (
        resolved.groupby("wallet_id").tail(last_k).groupby("wallet_id")["win"].agg(["sum", "size"])
    )
    rows = []
    for tier in ("top", "mid", "low"):
        pool = summary.loc[summary["tier"] == tier, "wallet_id"].to_numpy()
        pool = pool[np.isin(pool, recent.index.to_numpy())]
        pick = np.sort(rng.choice(pool, size=min(per_tier, len(pool)), replace=False))
        for wid in pick:
            wins, n = recent.loc[wid]
            rate = wins / n
            level = order.index(tier)
            action = "keep"
            if rate > promote and level < 2:
                level, action = level + 1, "promote"
            elif rate < demote and level > 0:
                level, action = level - 1, "demote"
            rows.append((int(wid), tier, int(n), int(wins), rate, order[level], action))
    return pd.DataFrame(
        rows,
        columns=["wallet_id", "tier_before", "audited", "wins", "win_rate", "tier_after", "action"],
    )
