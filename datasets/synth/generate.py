"""``synthesize``: build a synthetic memecoin lake, day by day, with its ground truth.

Wallets and tokens are drawn up front (small), then the compiled market simulates the tokens
created on each day; events that spill past midnight are carried into the next day's partition,
so memory holds at most about two days of events whatever ``days`` is.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from memelab.datasets import schemas
from memelab.datasets.lake import NS_PER_DAY, Lake, LakeError
from memelab.datasets.synth import base58_nb, market_nb, pools_nb
from memelab.datasets.synth.config import (
    CURVE_VTOK0,
    TOKEN_SUPPLY,
    SynthConfig,
    kernel_params,
    scenario_config,
)

SOURCE = "synthetic"  # manifests read "synthetic:<scenario>"
SYNTH_META = "synth.json"  # the generator's arguments, beside the tables (read by calibrate)
SLOT_NS = 400_000_000  # Solana slots are ~400 ms
SLOT_EPOCH_NS = 1_735_689_600 * 1_000_000_000  # 2025-01-01: slot 310,000,000 (approximately)
SLOT_AT_EPOCH = 310_000_000
_BUFFER_EVENTS = 2_000_000
_ROWS_PER_PART = 1_000_000


@dataclass(frozen=True)
class Population:
    """The wallets: ids are positions in ``addresses``; kinds/clusters/skills are ground truth."""

    addresses: pa.StringArray
    kind: np.ndarray  # int8, schemas.WALLET_KIND_ID
    cluster: np.ndarray  # int32, -1 when not sybil
    skill: np.ndarray  # float64
    bag_p: np.ndarray  # float64: chance that a retail/sybil buy is held as a slow bag
    full_p: np.ndarray  # float64: chance that a sell closes the whole position
    hold_mult: np.ndarray  # float64: the wallet's patience (x hold_mean_s)
    moonbag: (
        np.ndarray
    )  # float64: share of each position kept unless the token graduates (0 for most)


@dataclass(frozen=True)
class Launches:
    """The tokens: ids are positions in ``mints``."""

    mints: pa.StringArray
    t0_ns: np.ndarray
    creator: np.ndarray
    quality: np.ndarray
    honeypot: np.ndarray
    bundled: np.ndarray
    rug_age_s: np.ndarray  # +inf when the token is not planned to rug


def _rng(seed: int, stream: str) -> np.random.Generator:
    return np.random.default_rng([seed & 0xFFFFFFFF, seed >> 32 & 0xFFFFFFFF, hash_stream(stream)])


def hash_stream(name: str) -> int:
    """A stable small integer for a stream name (Python's ``hash`` is salted per process)."""
    return int.from_bytes(name.encode()[:8].ljust(8, b"\0"), "little") & 0xFFFFFFFF


def make_population(n_wallets: int, seed: int, cfg: SynthConfig) -> Population:
    """Wallet kinds, sybil clusters and skills; kinds are shuffled over ids."""
    if n_wallets < 50:
        raise ValueError(f"wallets={n_wallets}: need at least 50 wallets")
    rng = _rng(seed, "wallets")
    counts = {
        "alpha": max(2, round(cfg.frac_alpha * n_wallets)),
        "insider": max(2, round(cfg.frac_insider * n_wallets)),
        "sniper": max(1, round(cfg.frac_sniper * n_wallets)) if cfg.frac_sniper > 0 else 0,
        "sybil": round(cfg.frac_sybil * n_wallets),
    }
    kind = np.zeros(n_wallets, dtype=np.int8)  # retail
    order = rng.permutation(n_wallets)
    pos = 0
    for name, c in counts.items():
        kind[order[pos : pos + c]] = schemas.WALLET_KIND_ID[name]
        pos += c
    cluster = np.full(n_wallets, -1, dtype=np.int32)
    sybils = np.sort(np.flatnonzero(kind == schemas.WALLET_KIND_ID["sybil"]))
    rng.shuffle(sybils)
    i = cid = 0
    while i < len(sybils):
        size = int(rng.integers(cfg.sybil_cluster_min, cfg.sybil_cluster_max + 1))
        members = sybils[i : i + size]
        if len(members) < 2:  # a lone leftover is plain retail
            kind[members] = schemas.WALLET_KIND_ID["retail"]
            break
        cluster[members] = cid
        cid += 1
        i += size
    skill = np.zeros(n_wallets)
    is_alpha = kind == schemas.WALLET_KIND_ID["alpha"]
    skill[is_alpha] = rng.uniform(0.7, 1.0, is_alpha.sum())
    bag_p = rng.beta(cfg.bag_a, cfg.bag_b, n_wallets)
    conc = cfg.sell_full_conc
    full_p = rng.beta(cfg.sell_full_p * conc, (1.0 - cfg.sell_full_p) * conc, n_wallets)
    hold_mult = np.exp(cfg.hold_sigma * rng.standard_normal(n_wallets))
    keeps = rng.random(n_wallets) < cfg.frac_moonbag
    moonbag = np.where(keeps, rng.uniform(cfg.moonbag_min, cfg.moonbag_max, n_wallets), 0.0)
    addresses = base58_nb.keys_b58(seed, base58_nb.STREAM_WALLET, np.arange(n_wallets))
    return Population(
        addresses=addresses,
        kind=kind,
        cluster=cluster,
        skill=skill,
        bag_p=bag_p,
        full_p=full_p,
        hold_mult=hold_mult,
        moonbag=moonbag,
    )


def make_launches(
    n_tokens: int, days: int, seed: int, cfg: SynthConfig, pop: Population
) -> Launches:
    """Creation times (sorted), creators, latent quality and planned fates of the tokens."""
    rng = _rng(seed, "tokens")
    start_ns = start_of(cfg)
    t0 = np.sort(rng.integers(start_ns, start_ns + days * NS_PER_DAY, n_tokens))
    insiders = np.flatnonzero(pop.kind == schemas.WALLET_KIND_ID["insider"])
    creator = insiders[rng.integers(0, len(insiders), n_tokens)].astype(np.int32)
    quality = rng.beta(cfg.quality_a, cfg.quality_b, n_tokens)
    honeypot = rng.random(n_tokens) < cfg.p_honeypot
    bundled = (rng.random(n_tokens) < cfg.p_bundled) & ~honeypot
    rug = (rng.random(n_tokens) < cfg.p_rug) & ~honeypot & ~bundled
    if cfg.creator_dump_sigma > 0:  # a rug is a creator's dump too: the same timing
        dump = cfg.creator_dump_median_s * np.exp(
            cfg.creator_dump_sigma * rng.standard_normal(n_tokens)
        )
        rug_age = np.where(rug, dump + 1.0, np.inf)
    else:
        rug_age = np.where(rug, rng.exponential(cfg.rug_mean_age_s, n_tokens) + 5.0, np.inf)
    mints = base58_nb.pump_mints(seed, n_tokens)
    return Launches(mints, t0.astype(np.int64), creator, quality, honeypot, bundled, rug_age)


def start_of(cfg: SynthConfig) -> int:
    try:
        d = dt.datetime.fromisoformat(cfg.start).replace(tzinfo=dt.UTC)
    except ValueError as exc:
        raise ValueError(f"SynthConfig.start={cfg.start!r} is not an ISO date") from exc
    return int(d.timestamp()) * 1_000_000_000


class _Market:
    """Drives the compiled kernel over a token range, growing nothing: fixed event buffers."""

    FIELDS = (
        "ts",
        "mint",
        "trader",
        "side",
        "venue",
        "sol",
        "tokens",
        "price",
        "vsol",
        "vtok",
        "fee",
        "seq",
        "slot",
    )

    def __init__(
        self, pop: Population, launches: Launches, seed: int, cfg: SynthConfig, horizon_ns: int
    ):
        self.pop, self.launches, self.seed, self.cfg, self.horizon = (
            pop,
            launches,
            seed,
            cfg,
            horizon_ns,
        )
        self.params = kernel_params(cfg)
        k = schemas.WALLET_KIND_ID
        retail = np.flatnonzero(pop.kind == k["retail"]).astype(np.int32)
        rng = _rng(seed, "activity")
        # heavy-tailed activity: a few retail wallets trade a lot, most trade a little; capped,
        # or one wallet's traits (drawn once) would steer a seed's whole market
        weights = rng.pareto(cfg.retail_activity_pareto, len(retail)) + 1.0
        np.minimum(weights, cfg.retail_activity_cap, out=weights)
        fomo = rng.random(len(retail)) < cfg.frac_fomo
        if fomo.all():
            fomo[0] = False
        self.retail_ids, self.retail_cdf = retail[~fomo], np.cumsum(weights[~fomo])
        self.fomo_ids, self.fomo_cdf = retail[fomo], np.cumsum(weights[fomo])
        alpha = np.flatnonzero(pop.kind == k["alpha"]).astype(np.int32)
        skill = pop.skill[alpha]
        self.alpha_ids, self.alpha_weight = alpha, skill / max(skill.sum(), 1e-300)
        self.sniper_ids = np.flatnonzero(pop.kind == k["sniper"]).astype(np.int32)
        self.insider_ids = np.flatnonzero(pop.kind == k["insider"]).astype(np.int32)
        sybil = np.flatnonzero(pop.cluster >= 0)
        order = sybil[np.argsort(pop.cluster[sybil], kind="stable")]
        n_clusters = int(pop.cluster.max()) + 1 if len(sybil) else 0
        counts = np.bincount(pop.cluster[order], minlength=n_clusters)
        self.cluster_ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self.cluster_members = order.astype(np.int32)
        n_tok = len(launches.t0_ns)
        self.grad_ns = np.full(n_tok, -1, dtype=np.int64)
        self.rug_ns = np.full(n_tok, -1, dtype=np.int64)
        self.fate = np.zeros(n_tok, dtype=np.int8)
        # the extra pool of each mint (venue -1: none), filled by the pools kernel
        self.pool_venue = np.full(n_tok, -1, dtype=np.int8)
        self.pool_ts = np.full(n_tok, -1, dtype=np.int64)
        self.pool_fee = np.zeros(n_tok)
        self.multipool = cfg.p_extra_pool > 0.0
        self.pool_params = np.array([float(getattr(cfg, k)) for k in pools_nb.POOL_KNOBS])
        cap = max(_BUFFER_EVENTS, 2 * cfg.max_events_per_token)
        self.buf = {
            "ts": np.empty(cap, np.int64),
            "mint": np.empty(cap, np.int32),
            "trader": np.empty(cap, np.int32),
            "side": np.empty(cap, np.int8),
            "venue": np.empty(cap, np.int8),
            "sol": np.empty(cap, np.float64),
            "tokens": np.empty(cap, np.float64),
            "price": np.empty(cap, np.float64),
            "vsol": np.empty(cap, np.float64),
            "vtok": np.empty(cap, np.float64),
            "fee": np.empty(cap, np.float64),
            "seq": np.empty(cap, np.int32),
        }

    def simulate(self, lo: int, hi: int) -> dict[str, np.ndarray]:
        """Events of tokens ``lo..hi-1`` (in token order, each token in time order)."""
        L, b = self.launches, self.buf
        chunks = []
        tok = lo
        while tok < hi:
            n, tok = market_nb.simulate_tokens_nb(
                tok, hi, L.t0_ns, L.creator, L.quality, L.honeypot, L.bundled, L.rug_age_s,
                np.int64(self.horizon), np.int64(self.seed), self.params,
                self.retail_cdf, self.retail_ids, self.fomo_cdf, self.fomo_ids, self.pop.bag_p, self.pop.full_p, self.pop.hold_mult, self.pop.moonbag, self.alpha_ids, self.alpha_weight,
                self.sniper_ids, self.insider_ids, self.cluster_ptr, self.cluster_members,
                b["ts"], b["mint"], b["trader"], b["side"], b["venue"], b["sol"], b["tokens"],
                b["price"], b["vsol"], b["vtok"], b["fee"], b["seq"],
                self.grad_ns, self.rug_ns, self.fate, int(self.cfg.max_events_per_token),
            )  # fmt: skip
            if self.multipool:
                chunks.append(self._extra_pools(n))
            else:
                ev = {f: b[f][:n].copy() for f in self.FIELDS[:-1]}
                ev["slot"] = np.minimum(ev["venue"], 1).astype(np.int8)
                chunks.append(ev)
        if not chunks:
            ev = {f: b[f][:0].copy() for f in self.FIELDS[:-1]}
            ev["slot"] = np.zeros(0, np.int8)
            return ev
        return {f: np.concatenate([c[f] for c in chunks]) for f in self.FIELDS}

    def _extra_pools(self, n: int) -> dict[str, np.ndarray]:
        """The kernel's ``n`` events with extra pools and arbitrage (``pools_nb``)."""
        b = self.buf
        cap = 3 * n + 8 * (int(b["mint"][n - 1]) - int(b["mint"][0]) + 1) if n else 0
        out = {f: np.empty(cap, b[f].dtype) for f in self.FIELDS[:-1]}
        out["slot"] = np.empty(cap, np.int8)
        m = pools_nb.extra_pools_nb(
            *(b[f] for f in self.FIELDS[:-1]), n, np.int64(self.seed), self.pool_params,
            self.launches.creator, self.sniper_ids, np.int64(self.horizon),
            *(out[f] for f in self.FIELDS), self.pool_venue, self.pool_ts, self.pool_fee,
        )  # fmt: skip
        return {f: v[:m] for f, v in out.items()}


def _concat(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {f: np.concatenate([a[f], b[f]]) for f in a}


def _take(ev: dict[str, np.ndarray], idx: np.ndarray) -> dict[str, np.ndarray]:
    return {f: v[idx] for f, v in ev.items()}


def swaps_table(
    ev: dict[str, np.ndarray],
    seed: int,
    mints: pa.StringArray,
    wallets: pa.StringArray,
    pools: np.ndarray | None = None,
) -> pa.Table:
    """Events -> a ``swaps`` Arrow table (ids given, so the lake does no dictionary lookups).

    ``pools`` (bool per mint): the mints with several pools, whose rows carry their pool's
    address (``pool_address``); other rows leave ``pool`` null and the lake keys them to
    ``"<mint>:<venue>"`` (one pool per mint and venue).
    """
    sig = base58_nb.keys_b58(seed, base58_nb.STREAM_SIGNATURE, ev["mint"], ev["seq"], nbytes=64)
    venue_dict = pa.array(list(schemas.VENUES), pa.string())
    venue = pa.DictionaryArray.from_arrays(pa.array(ev["venue"].astype(np.int32)), venue_dict)
    slot = SLOT_AT_EPOCH + (ev["ts"] - SLOT_EPOCH_NS) // SLOT_NS
    n = len(ev["ts"])
    extra = {}
    if pools is not None and pools.any():
        addr = pool_address(seed, ev["mint"], ev["slot"])
        extra = {"pool": pc.if_else(pa.array(pools[ev["mint"]]), addr, pa.nulls(n, pa.string()))}
    return pa.table(
        {
            "ts": ev["ts"],
            "slot": slot.astype(np.int64),
            "signature": sig,
            "ix_index": np.zeros(n, np.int32),
            "mint": mints.take(pa.array(ev["mint"])),
            "mint_id": ev["mint"],
            "venue": venue.cast(pa.string()),
            "trader": wallets.take(pa.array(ev["trader"])),
            "trader_id": ev["trader"],
            "side": ev["side"],
            "sol_amount": ev["sol"],
            "token_amount": ev["tokens"],
            "price": ev["price"],
            "virtual_sol_reserves": ev["vsol"],
            "virtual_token_reserves": ev["vtok"],
            "fee": ev["fee"],
            **extra,
        }
    )


def pool_address(seed: int, mint: np.ndarray, slot: np.ndarray) -> pa.StringArray:
    """The synthetic address of a mint's pool ``slot`` (0 curve, 1 PumpSwap, 2 extra pool)."""
    return base58_nb.keys_b58(seed, base58_nb.STREAM_POOL, np.asarray(mint), np.asarray(slot))


def synthesize(
    out: str | Path,
    tokens: int = 400,
    wallets: int = 2_000,
    days: int = 2,
    seed: int = 7,
    config: SynthConfig | None = None,
    overwrite: bool = False,
    on_day: Callable[[str, int], None] | None = None,
    scenario: str | None = None,
) -> Lake:
    """Generate a synthetic market into a new lake at ``out`` and return the lake.

    Tables: ``swaps`` (one partition per day), ``launches``, ``wallets_truth``, ``tokens_truth``.
    Same (tokens, wallets, days, seed, config) -> the same bytes (identical manifest hashes).
    ``on_day(date, swaps_written)`` is called after each day (for progress bars). ``scenario``
    picks a preset (``calibrated`` by default, ``null``, ``planted``) when ``config`` is None;
    the scenario is recorded in ``synth.json`` and in every table manifest's source
    (``synthetic:<scenario>``).
    """
    if config is None:
        cfg = scenario_config(scenario or "calibrated")
    else:
        cfg = config
        if scenario is not None and scenario != cfg.scenario:
            raise ValueError(f"scenario={scenario!r} but config.scenario={cfg.scenario!r}")
    cfg.validate()
    if tokens < 1 or days < 1:
        raise ValueError(f"need tokens >= 1 and days >= 1 (got tokens={tokens}, days={days})")
    if not 0 <= seed < 2**63:
        raise ValueError(f"seed={seed}: need 0 <= seed < 2**63")
    lake = Lake(out)
    if lake.root.exists() and any(lake.root.iterdir()):
        if not (overwrite and lake.exists()):
            raise LakeError(
                f"{lake.root} is not empty: synthesize writes a fresh lake "
                "(pass overwrite=True / --overwrite to replace an existing lake)"
            )
        shutil.rmtree(lake.root)
    lake = Lake(out)
    pop = make_population(wallets, seed, cfg)
    launches = make_launches(tokens, days, seed, cfg, pop)
    # Register addresses first, so a mint's id is its token index and a wallet's id its index.
    lake.ids_for("wallets", pop.addresses)
    lake.ids_for("mints", launches.mints)
    start_ns = start_of(cfg)
    horizon = start_ns + days * NS_PER_DAY
    market = _Market(pop, launches, seed, cfg, horizon)
    source = f"{SOURCE}:{cfg.scenario}"
    carry = None
    for d in range(days):
        day_lo, day_hi = start_ns + d * NS_PER_DAY, start_ns + (d + 1) * NS_PER_DAY
        lo, hi = np.searchsorted(launches.t0_ns, [day_lo, day_hi])
        ev = market.simulate(int(lo), int(hi))
        if carry is not None:
            ev = _concat(carry, ev)
        order = np.argsort(ev["ts"], kind="stable")
        ev = _take(ev, order)
        cut = int(np.searchsorted(ev["ts"], day_hi))
        today, carry = _take(ev, slice(0, cut)), _take(ev, slice(cut, None))
        date = str(lake_date(day_lo))
        # written in time-ordered parts, so the string columns of a busy day never all sit
        # in memory at once
        for lo_row in range(0, len(today["ts"]), _ROWS_PER_PART):
            part = _take(today, slice(lo_row, lo_row + _ROWS_PER_PART))
            multi = market.pool_venue >= 0
            table = swaps_table(part, seed, launches.mints, pop.addresses, multi)
            lake.write("swaps", table, source, dedupe=False, assign_ids=False)
            del table
        _write_launches(lake, launches, market, pop, int(lo), int(hi), source)
        if on_day is not None:
            on_day(date, len(today["ts"]))
        del ev, today
    _write_truth(lake, launches, market, pop, source)
    _write_pools_truth(lake, launches, market)
    meta = {
        "generator": "memelab.datasets.synth",
        "tokens": tokens,
        "wallets": wallets,
        "days": days,
        "seed": seed,
        "scenario": cfg.scenario,
        "start_ns": start_ns,
        "horizon_ns": horizon,
        "config": asdict(cfg),
    }
    (lake.root / SYNTH_META).write_text(json.dumps(meta, indent=2, sort_keys=True))
    return lake


def lake_date(ts_ns: int) -> str:
    return str(np.datetime64(int(ts_ns), "ns").astype("datetime64[D]"))


def _write_launches(
    lake: Lake, L: Launches, m: _Market, pop: Population, lo: int, hi: int, source: str
) -> None:
    if hi <= lo:
        return
    idx = np.arange(lo, hi)
    grad = m.grad_ns[idx]
    names = pa.array([f"Synthetic {i}" for i in idx])
    symbols = pa.array([f"SYN{i}" for i in idx])
    table = pa.table(
        {
            "mint": L.mints.take(pa.array(idx)),
            "creator": pop.addresses.take(pa.array(L.creator[idx])),
            "created_ts": L.t0_ns[idx],
            "name": names,
            "symbol": symbols,
            "supply": np.full(len(idx), TOKEN_SUPPLY),
            "venue": pa.array(["pumpfun"] * len(idx)),
            "graduated_ts": pa.array(grad, mask=grad < 0),
            "signature": base58_nb.keys_b58(
                m.seed, base58_nb.STREAM_SIGNATURE, idx, np.zeros(len(idx)), nbytes=64
            ),
        }
    )
    lake.write("launches", table, source, dedupe=False)


POOLS_TRUTH = "pools_truth.parquet"  # beside the tables (not a lake table: schemas has none)


def _write_pools_truth(lake: Lake, L: Launches, m: _Market) -> None:
    """Every pool of every mint: the curve, the PumpSwap pool of a graduate, extra pools.

    ``pool`` is the address the swaps rows carry (mints with several pools), or the key the lake
    derives when ``pool`` is null, ``"<mint>:<venue>"``.
    """
    n = len(L.t0_ns)
    grad = m.grad_ns >= 0
    extra = m.pool_venue >= 0
    mint = np.concatenate([np.arange(n), np.flatnonzero(grad), np.flatnonzero(extra)])
    slot = np.concatenate([np.zeros(n), np.ones(grad.sum()), np.full(extra.sum(), 2)])
    venue = np.concatenate([np.zeros(n), np.ones(grad.sum()), m.pool_venue[extra]]).astype(np.int64)
    created = np.concatenate([L.t0_ns, m.grad_ns[grad], m.pool_ts[extra]])
    fee = np.concatenate(
        [
            np.full(n, m.cfg.curve_fee),
            np.full(grad.sum(), m.cfg.amm_fee),
            m.pool_fee[extra],
        ]
    )
    order = np.lexsort((slot, mint))
    mint, slot, venue, created, fee = (
        mint[order],
        slot[order],
        venue[order],
        created[order],
        fee[order],
    )
    mints = L.mints.take(pa.array(mint))
    venues = pa.array(np.array(schemas.VENUES)[venue])
    derived = pc.binary_join_element_wise(mints, venues, ":")
    addr = pool_address(m.seed, mint, slot.astype(np.int64))
    pool = pc.if_else(pa.array(extra[mint]), addr, derived)
    table = pa.table(
        {
            "mint": mints,
            "pool": pool,
            "venue": venues,
            "created_ts": created.astype(np.int64),
            "fee": fee,
        }
    )
    pq.write_table(table, lake.root / POOLS_TRUTH)


def pools_truth(lake: Lake | str | Path) -> pa.Table:
    """The ``pools_truth`` ground truth of a synthetic lake: mint, pool, venue, created_ts, fee."""
    root = lake.root if isinstance(lake, Lake) else Path(lake)
    path = root / POOLS_TRUTH
    if not path.exists():
        raise LakeError(f"{root}: no {POOLS_TRUTH} (not a synthetic lake, or an older one)")
    return pq.read_table(path)


def _write_truth(lake: Lake, L: Launches, m: _Market, pop: Population, source: str) -> None:
    kinds = np.array(schemas.WALLET_KINDS)
    lake.write(
        "wallets_truth",
        pa.table(
            {
                "wallet": pop.addresses,
                "kind": pa.array(kinds[pop.kind]),
                "cluster": pop.cluster,
                "skill": pop.skill,
            }
        ),
        source,
        dedupe=False,
    )
    fates = np.array(schemas.TOKEN_FATES)
    rug = m.rug_ns
    lake.write(
        "tokens_truth",
        pa.table(
            {
                "mint": L.mints,
                "fate": pa.array(fates[m.fate]),
                "honeypot": L.honeypot,
                "rug_ts": pa.array(rug, mask=rug < 0),
                "quality": L.quality,
            }
        ),
        source,
        dedupe=False,
    )


__all__ = ["SynthConfig", "synthesize", "pools_truth", "pool_address", "CURVE_VTOK0"]
