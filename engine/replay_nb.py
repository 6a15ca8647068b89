"""The compiled replay core: one pass over events in time order, all state in explicit arrays.

Per event, in this fixed order (``docs/engine.md`` has the diagram):

1. periods: roll the day/week when the clock crosses midnight UTC (risk limits reset);
2. landing (``land_due_nb``): in-flight orders whose landing time has come are filled by the
   fill model (``simulate_fill_nb``) and booked (``book_fill_nb``), against the reserves as left
   by every earlier event; with external fills the loop pauses here instead and the wrapper
   books the executor's report through the same ``book_fill_nb``;
3. market: the event's reserves and price become its pool's state (rug: liquidity pulled);
4. exits (``exits_phase_nb``): mark the open position of the event's mint on its own pool and
   run its exits; ``time_exits_nb`` sends max-hold exits of quiet positions when one is due;
5. strategy: publish the knobs (risk, observable evidence, inputs), call ``on_event``;
6. risk and orders (``entry_phase_nb``, ``request_phase_nb``): check, size and send the entry or
   close the strategy asked for (on its event's pool, or any pool through a request);
7. equity: sample the curve on its time grid.

A tick (``KIND_TICK``) runs 1, 2, the deadline part of 4, and 7. The loop stops early (returning
the index it reached) when a record buffer is nearly full (the wrapper drains it to its sink)
or an order is due under external fills; it also stops at the end of a chunk.
"""

from __future__ import annotations

import numpy as np
from memelab.datasets.schemas import KIND_LIQUIDITY, KIND_TICK
from memelab.engine.config import MAX_SLOTS, V_CURVE, V_DEPTH_MULT, V_MAX_SLIP, V_MIN_LIQ
from memelab.engine.exits_nb import NO_EXIT, exit_decision_nb
from memelab.engine.fills_nb import (
    buy_price_nb,
    buy_tokens_out_nb,
    pool_reserves_nb,
    sell_price_nb,
    sell_sol_out_nb,
    shift_by_own_sol_nb,
    spot_price_nb,
    venue_fee_nb,
)
from memelab.engine.records import (
    EXIT_ARB,
    EXIT_END,
    EXIT_HONEYPOT,
    EXIT_MAX_HOLD,
    EXIT_RUG,
    EXIT_SIGNAL,
    FILL_FAILED_HONEYPOT,
    FILL_FAILED_NO_LIQUIDITY,
    FILL_FAILED_NO_PROFIT,
    FILL_FAILED_SLIPPAGE,
    FILL_OK,
    SLOT_FREE,
    SLOT_OPEN,
    SLOT_PENDING_ARB,
    SLOT_PENDING_BUY,
)
from memelab.engine.risk import (
    A_CASH,
    A_DAY_START_EQ,
    A_FAILED_ENTRY_FEES,
    A_MARK,
    A_WEEK_START_EQ,
    ACCEPTED,
    I_EVENTS,
    I_EXPOSURE_NS,
    I_FIRST_TS,
    I_LAST_TS,
    I_N_EQUITY,
    I_N_FILLS,
    I_N_ORDERS,
    I_N_TRADES,
    I_NEXT_DAY_TS,
    I_NEXT_DEADLINE,
    I_NEXT_LAND,
    I_NEXT_POSITION,
    I_NEXT_SAMPLE_TS,
    I_NEXT_WEEK_TS,
    I_OPEN,
    I_STARTED,
    KNOB_FREE_SELL_AGE_S,
    KNOB_INPUTS,
    KNOB_OWN_SELL_FAILS,
    KNOB_POOL_RUGGED,
    KNOB_REQ_POOL,
    KNOB_REQ_POOL2,
    KNOB_REQ_SIZE,
    REJECT_IN_POSITION,
    REJECT_MIN_LIQUIDITY,
    REJECT_RUGGED,
)
from memelab.engine.risk_nb import (
    entry_verdict_nb,
    equity_nb,
    record_close_nb,
    record_entry_nb,
    roll_periods_nb,
    update_knobs_nb,
)
from numba import njit

# Market state columns (one row per pool).
M_VSOL = 0
M_VTOK = 1
M_PRICE = 2
M_VENUE = 3
M_RUGGED = 4
M_MINT = 5  # the mint the pool trades (-1 before its first event): fixed for a pool's life
M_CREATOR = 6  # its mint's creator wallet (-1 unknown): tells a creator's sell from others'
M_LAST_FREE_SELL = 7  # ts (ns, as float) of the last sell by a wallet other than the creator
M_SELL_FAILS = 8  # our failed sells on this pool
MARKET_FIELDS = 9

NEVER = np.iinfo(np.int64).max
# Records one event can produce at most (entry + one exit per slot); buffers keep this headroom.
HEADROOM = 2 * MAX_SLOTS + 4


@njit(cache=True)
def _pool(pool: int, market, venues, cfg, own_sol: float) -> tuple[float, float, float, int]:
    """(vsol, vtok, venue fee, venue) to price a fill in ``pool`` now, ``own_sol`` of ours in it.

    The fee is a function of the pool's state (``fills_nb.venue_fee_nb``: flat or by market cap).
    """
    venue = int(market[pool, M_VENUE])
    s, t = pool_reserves_nb(
        market[pool, M_VSOL],
        market[pool, M_VTOK],
        market[pool, M_PRICE],
        venues[venue, V_CURVE],
        venues[venue, V_DEPTH_MULT],
        cfg["fallback_depth"],
    )
    s, t = shift_by_own_sol_nb(s, t, own_sol)
    return s, t, venue_fee_nb(venues, venue, s, t), venue


@njit(cache=True)
def liquidation_price_nb(pool: int, held: float, own_sol: float, market, venues, cfg) -> float:
    """SOL per token we would get selling all ``held`` tokens now (fee and impact included).

    Positions are marked at this price, so exits fire on what a sale would really return and the
    equity curve never counts our own price impact as profit.
    """
    s, t, fee, _ = _pool(pool, market, venues, cfg, own_sol)
    if s <= 0.0:
        return 0.0
    if held <= 0.0:
        return s / t * (1.0 - fee)
    return sell_price_nb(s, t, held, fee)


@njit(cache=True)
def log_order_nb(
    orders, iacct, signal_id, ts, mint, pool, side, reason, verdict, signal, sol, tokens
):
    k = iacct[I_N_ORDERS]
    o = orders[k]
    o["signal_id"] = signal_id
    o["ts"] = ts
    o["mint"] = mint
    o["pool"] = pool
    o["side"] = side
    o["reason"] = reason
    o["verdict"] = verdict
    o["signal"] = signal
    o["sol"] = sol
    o["tokens"] = tokens
    iacct[I_N_ORDERS] = k + 1


@njit(cache=True)
def _write_fill(fills, iacct, pos, ts, gidx, side, status, sol, tokens, price, venue_fee, tx_fee):
    k = iacct[I_N_FILLS]
    f = fills[k]
    f["signal_id"] = pos["signal_id"]
    f["position"] = pos["position"]
    f["sent_ts"] = pos["sent_ts"]
    f["ts"] = ts
    f["event"] = gidx
    f["mint"] = pos["mint"]
    f["pool"] = pos["pool"]
    f["side"] = side
    f["status"] = status
    f["reason"] = pos["order_reason"]
    f["sol"] = sol
    f["tokens"] = tokens
    f["price"] = price
    f["quote_price"] = pos["quote_price"]
    f["venue_fee"] = venue_fee
    f["tx_fee"] = tx_fee
    iacct[I_N_FILLS] = k + 1


@njit(cache=True)
def unit_hash_nb(a: int, b: int, seed: float) -> float:
    """A deterministic uniform [0, 1) from (a, b, seed): splitmix64 finaliser."""
    x = np.uint64(a) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(b) * np.uint64(0xBF58476D1CE4E5B9)
    x += np.uint64(int(seed)) * np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(30)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return float(x >> np.uint64(11)) / 9007199254740992.0


@njit(cache=True)
def send_order_nb(pos, side, sol, tokens, reason, ts, cfg, venues, market, iacct):
    """Queue the position's order: quote it now, land it at the first event >= ts + latency."""
    s, t, fee, _ = _pool(pos["pool"], market, venues, cfg, pos["pool_sol"])
    pos["pending"] = side
    pos["order_sol"] = sol
    pos["order_tokens"] = tokens
    pos["order_reason"] = reason
    pos["quote_price"] = (
        buy_price_nb(s, t, sol, fee) if side > 0 else sell_price_nb(s, t, tokens, fee)
    )
    pos["sent_ts"] = ts
    land = ts + int(cfg["latency_ns"])
    if cfg["latency_jitter_ns"] > 0.0:
        # per transaction: position, its sells so far, its attempts, and the side
        salt = pos["n_sells"] * 4096 + pos["attempts"] * 2 + (1 if side > 0 else 0)
        land += int(cfg["latency_jitter_ns"] * unit_hash_nb(pos["position"], salt, cfg["seed"]))
    pos["land_ts"] = land
    if land < iacct[I_NEXT_LAND]:
        iacct[I_NEXT_LAND] = land


@njit(cache=True)
def refresh_schedules_nb(slots, iacct, cfg):
    """Recompute the earliest landing time and max-hold deadline over all slots."""
    land = NEVER
    deadline = NEVER
    hold = int(cfg["max_hold_ns"])
    for j in range(slots.shape[0]):
        p = slots[j]
        if p["state"] == SLOT_FREE:
            continue
        if p["pending"] != 0:
            if p["land_ts"] < land:
                land = p["land_ts"]
        elif p["state"] == SLOT_OPEN:
            d = p["entry_ts"] + hold
            if d < deadline:
                deadline = d
    iacct[I_NEXT_LAND] = land
    iacct[I_NEXT_DEADLINE] = deadline


@njit(cache=True)
def _free_slot(pos, mint_slot, iacct):
    mint_slot[pos["mint"]] = -1
    pos["state"] = SLOT_FREE
    pos["pending"] = 0
    iacct[I_OPEN] -= 1


@njit(cache=True)
def close_position_nb(pos, ts, reason, mint_slot, acct, iacct, trades, cfg):
    """Write the trade record, book it with the risk manager, free the slot."""
    k = iacct[I_N_TRADES]
    tr = trades[k]
    cost = pos["cost"]
    pnl = pos["proceeds"] - cost
    tr["position"] = pos["position"]
    tr["signal_id"] = pos["signal_id"]
    tr["mint"] = pos["mint"]
    tr["pool"] = pos["pool"]
    tr["exit_reason"] = reason
    tr["entry_ts"] = pos["entry_ts"]
    tr["exit_ts"] = ts
    tr["entry_sol"] = cost
    tr["exit_sol"] = pos["proceeds"]
    tr["tokens"] = pos["tokens0"]
    tr["entry_price"] = pos["entry_price"]
    tr["exit_price"] = pos["proceeds"] / pos["tokens0"] if pos["tokens0"] > 0.0 else 0.0
    tr["fees_sol"] = pos["fees"]
    tr["peak_return"] = pos["peak"] / pos["entry_price"] - 1.0
    tr["n_sells"] = pos["n_sells"]
    iacct[I_N_TRADES] = k + 1
    acct[A_MARK] -= pos["tokens"] * pos["mark"]
    pos["tokens"] = 0.0
    record_close_nb(ts, pnl, pnl / cost if cost > 0.0 else 0.0, acct, iacct, cfg)
    _free_slot(pos, mint_slot, iacct)


@njit(cache=True)
def simulate_buy_nb(pos, cfg, venues, market):
    """The fill model for a buy landing now: (status, sol, tokens, price, venue_fee, tx_fee,
    pool_sol) -- pool_sol is the SOL that entered the pool. Reads the market, writes nothing."""
    s, t, fee, venue = _pool(pos["pool"], market, venues, cfg, 0.0)
    sol = pos["order_sol"]
    prio = cfg["priority_fee"]
    price = np.inf
    if market[pos["pool"], M_RUGGED] != 0.0 or s <= 0.0:
        return FILL_FAILED_NO_LIQUIDITY, sol, 0.0, price, 0.0, prio, 0.0
    tokens = buy_tokens_out_nb(s, t, sol, fee)
    price = sol / tokens if tokens > 0.0 else np.inf
    tol = min(cfg["slippage_tol"], venues[venue, V_MAX_SLIP])
    if not price <= pos["quote_price"] * (1.0 + tol):
        return FILL_FAILED_SLIPPAGE, sol, 0.0, price, 0.0, prio, 0.0
    return FILL_OK, sol, tokens, price, sol * fee, prio + cfg["tip"], sol * (1.0 - fee)


@njit(cache=True)
def simulate_sell_nb(pos, cfg, venues, market, honeypot):
    """The fill model for a sell landing now: (status, sol, tokens, price, venue_fee, tx_fee,
    pool_sol) -- sol is net of the venue fee, pool_sol the gross SOL that left the pool. The
    ground truth (``honeypot``) decides whether the token lets us sell."""
    m = pos["mint"]
    s, t, fee, venue = _pool(pos["pool"], market, venues, cfg, pos["pool_sol"])
    qty = min(pos["order_tokens"], pos["tokens"])
    prio = cfg["priority_fee"]
    if honeypot[m] != 0:
        return FILL_FAILED_HONEYPOT, 0.0, qty, 0.0, 0.0, prio, 0.0
    if s <= 0.0:
        return FILL_FAILED_NO_LIQUIDITY, 0.0, qty, 0.0, 0.0, prio, 0.0
    sol = sell_sol_out_nb(s, t, qty, fee)
    price = sol / qty if qty > 0.0 else 0.0
    last_try = pos["attempts"] >= cfg["max_sell_attempts"] - 1
    tol = min(cfg["exit_slippage_tol"], venues[venue, V_MAX_SLIP])
    if not last_try and price < pos["quote_price"] * (1.0 - tol):
        return FILL_FAILED_SLIPPAGE, 0.0, qty, price, 0.0, prio, 0.0
    gross = sol / (1.0 - fee)
    return FILL_OK, sol, qty, price, gross * fee, prio + cfg["tip"], gross


@njit(cache=True)
def simulate_fill_nb(pos, cfg, venues, market, honeypot):
    """The fill model for the position's in-flight order (buy or sell), landing now."""
    if pos["pending"] > 0:
        return simulate_buy_nb(pos, cfg, venues, market)
    return simulate_sell_nb(pos, cfg, venues, market, honeypot)


@njit(cache=True)
def book_buy_nb(
    pos, ts, gidx, status, sol, tokens, price, venue_fee, tx_fee, pool_sol,
    cfg, venues, market, mint_slot, acct, iacct, fills,
):  # fmt: skip
    """Book a landed buy, simulated or reported by an executor: cash, fill record, position."""
    if status != FILL_OK:
        acct[A_CASH] -= tx_fee
        acct[A_FAILED_ENTRY_FEES] += tx_fee
        _write_fill(fills, iacct, pos, ts, gidx, 1, status, sol, tokens, price, venue_fee, tx_fee)
        _free_slot(pos, mint_slot, iacct)
        return
    acct[A_CASH] -= sol + tx_fee
    _write_fill(fills, iacct, pos, ts, gidx, 1, status, sol, tokens, price, venue_fee, tx_fee)
    mark = liquidation_price_nb(pos["pool"], tokens, pool_sol, market, venues, cfg)
    pos["state"] = SLOT_OPEN
    pos["pending"] = 0
    pos["tokens"] = tokens
    pos["tokens0"] = tokens
    pos["entry_price"] = price
    pos["entry_ts"] = ts
    pos["cost"] = sol + tx_fee
    pos["proceeds"] = 0.0
    pos["fees"] = venue_fee + tx_fee
    pos["pool_sol"] = pool_sol
    pos["mark"] = mark
    pos["peak"] = price
    acct[A_MARK] += tokens * mark


@njit(cache=True)
def book_sell_nb(
    pos, ts, gidx, status, sol, tokens, price, venue_fee, tx_fee, pool_sol,
    cfg, venues, market, mint_slot, acct, iacct, fills, trades,
):  # fmt: skip
    """Book a landed sell: a failure pays its fee and is retried (written off after
    ``max_sell_attempts``); a success books proceeds, re-marks or closes the position."""
    if status != FILL_OK:
        market[pos["pool"], M_SELL_FAILS] += 1.0
        acct[A_CASH] -= tx_fee
        pos["cost"] += tx_fee
        pos["fees"] += tx_fee
        pos["attempts"] += 1
        _write_fill(fills, iacct, pos, ts, gidx, -1, status, sol, tokens, price, 0.0, tx_fee)
        if pos["attempts"] >= cfg["max_sell_attempts"]:
            reason = EXIT_HONEYPOT if status == FILL_FAILED_HONEYPOT else EXIT_RUG
            close_position_nb(pos, ts, reason, mint_slot, acct, iacct, trades, cfg)
        else:
            send_order_nb(pos, -1, 0.0, tokens, pos["order_reason"], ts, cfg, venues, market, iacct)
        return
    net = sol - tx_fee
    acct[A_CASH] += net
    _write_fill(fills, iacct, pos, ts, gidx, -1, status, sol, tokens, price, venue_fee, tx_fee)
    pos["proceeds"] += net
    pos["fees"] += venue_fee + tx_fee
    pos["tokens"] -= tokens
    pos["pool_sol"] -= pool_sol
    acct[A_MARK] -= tokens * pos["mark"]
    pos["n_sells"] += 1
    pos["pending"] = 0
    pos["attempts"] = 0
    if pos["tokens"] <= pos["tokens0"] * 1e-9:
        close_position_nb(pos, ts, pos["order_reason"], mint_slot, acct, iacct, trades, cfg)
    else:  # what is left is worth its own (smaller-impact) liquidation price
        mark = liquidation_price_nb(
            pos["pool"], pos["tokens"], pos["pool_sol"], market, venues, cfg
        )
        acct[A_MARK] += pos["tokens"] * (mark - pos["mark"])
        pos["mark"] = mark


@njit(cache=True)
def book_fill_nb(
    slots, j, ts, gidx, status, sol, tokens, price, venue_fee, tx_fee, pool_sol,
    cfg, venues, market, mint_slot, acct, iacct, fills, trades,
):  # fmt: skip
    """Book the landing of slot ``j``'s in-flight order -- the one booking path for simulated
    fills and for fills an external executor reports."""
    p = slots[j]
    if p["pending"] > 0:
        book_buy_nb(
            p, ts, gidx, status, sol, tokens, price, venue_fee, tx_fee, pool_sol,
            cfg, venues, market, mint_slot, acct, iacct, fills,
        )  # fmt: skip
    else:
        book_sell_nb(
            p, ts, gidx, status, sol, tokens, price, venue_fee, tx_fee, pool_sol,
            cfg, venues, market, mint_slot, acct, iacct, fills, trades,
        )  # fmt: skip
        if p["state"] != SLOT_FREE and p["pending"] != 0 and p["land_ts"] <= ts:
            p["land_ts"] = ts + max(int(cfg["latency_ns"]), 1)  # resend lands strictly later


@njit(cache=True)
def next_due_slot_nb(slots, ts) -> int:
    """The slot whose in-flight order lands next at ``ts`` (oldest send first), or -1."""
    best = -1
    for j in range(slots.shape[0]):
        p = slots[j]
        if p["state"] != SLOT_FREE and p["pending"] != 0 and p["land_ts"] <= ts:
            if best < 0 or p["sent_ts"] < slots[best]["sent_ts"]:
                best = j
    return best


@njit(cache=True)
def land_due_nb(
    ts, gidx, cfg, venues, market, honeypot, mint_slot, slots, acct, iacct, fills, trades
):
    """Phase 2 (landing), simulated: every in-flight order whose landing time is <= ts is
    filled by the fill model and booked, oldest send first."""
    while True:
        j = next_due_slot_nb(slots, ts)
        if j < 0:
            break
        if slots[j]["pending"] == 2:  # an atomic arbitrage: both legs land together
            arb = simulate_arb_nb(slots[j], cfg, venues, market, honeypot)
            book_arb_nb(slots[j], ts, gidx, arb, acct, iacct, fills, trades, cfg)
            continue
        status, sol, tokens, price, venue_fee, tx_fee, pool_sol = simulate_fill_nb(
            slots[j], cfg, venues, market, honeypot
        )
        book_fill_nb(
            slots, j, ts, gidx, status, sol, tokens, price, venue_fee, tx_fee, pool_sol,
            cfg, venues, market, mint_slot, acct, iacct, fills, trades,
        )  # fmt: skip
    refresh_schedules_nb(slots, iacct, cfg)


@njit(cache=True)
def time_exits_nb(ts, cfg, venues, market, slots, iacct, orders):
    """Send max-hold exits for positions whose mint has gone quiet."""
    hold = int(cfg["max_hold_ns"])
    for j in range(slots.shape[0]):
        p = slots[j]
        if p["state"] == SLOT_OPEN and p["pending"] == 0 and ts - p["entry_ts"] >= hold:
            log_order_nb(
                orders,
                iacct,
                p["signal_id"],
                ts,
                p["mint"],
                p["pool"],
                -1,
                EXIT_MAX_HOLD,
                0,
                1.0,
                0.0,
                p["tokens"],
            )
            send_order_nb(p, -1, 0.0, p["tokens"], EXIT_MAX_HOLD, ts, cfg, venues, market, iacct)
    refresh_schedules_nb(slots, iacct, cfg)


@njit(cache=True)
def start_nb(ts, acct, iacct, cfg):
    """First event ever: open the account."""
    acct[A_CASH] = cfg["initial_equity"]
    acct[A_MARK] = 0.0
    acct[A_DAY_START_EQ] = cfg["initial_equity"]
    acct[A_WEEK_START_EQ] = cfg["initial_equity"]
    iacct[I_STARTED] = 1
    iacct[I_FIRST_TS] = ts
    iacct[I_LAST_TS] = ts
    iacct[I_NEXT_DAY_TS] = ts  # rolls on this event
    iacct[I_NEXT_WEEK_TS] = ts
    iacct[I_NEXT_LAND] = NEVER
    iacct[I_NEXT_DEADLINE] = NEVER
    iacct[I_NEXT_SAMPLE_TS] = ts


@njit(cache=True)
def sample_equity_nb(ts, acct, iacct, equity, cfg):
    k = iacct[I_N_EQUITY]
    equity[k]["ts"] = ts
    equity[k]["equity"] = equity_nb(acct)
    equity[k]["exposure"] = acct[A_MARK]
    iacct[I_N_EQUITY] = k + 1
    every = int(cfg["equity_every_ns"])
    iacct[I_NEXT_SAMPLE_TS] = (ts // every + 1) * every


@njit(cache=True)
def scan_events_nb(events, last_ts: int) -> tuple[int, int, int, int, int, int]:
    """(min mint, max mint, min pool, max pool, max trader, first index out of time order or -1)
    in one pass; clock ticks carry no mint, pool or trader and are skipped.

    The kernel indexes per-mint and per-pool arrays without bounds checks and assumes time
    order, so both are verified before it runs (and the sizes come from the same pass).
    """
    low = np.iinfo(np.int32).max
    top = -1
    low_pool = np.iinfo(np.int32).max
    top_pool = -1
    top_trader = -1
    bad = -1
    prev = last_ts
    for i in range(events.shape[0]):
        e = events[i]
        if e["ts"] < prev and bad < 0:
            bad = i
        prev = e["ts"]
        if e["kind"] == KIND_TICK:
            continue
        m = e["mint"]
        low = min(low, m)
        top = max(top, m)
        p = e["pool"]
        low_pool = min(low_pool, p)
        top_pool = max(top_pool, p)
        top_trader = max(top_trader, e["trader"])
    return low, top, low_pool, top_pool, top_trader, bad


@njit(cache=True)
def bind_pools_nb(events, market, creator) -> int:
    """Record each pool's mint and its creator (``market[pool, M_MINT / M_CREATOR]``); the index
    of the first event whose pool already belongs to another mint, or -1. A pool trades one
    mint for its whole life, so an event array whose ``pool`` was left at 0 for every mint is
    caught here, not mispriced."""
    for i in range(events.shape[0]):
        e = events[i]
        if e["kind"] == KIND_TICK:
            continue
        p = e["pool"]
        m = market[p, M_MINT]
        if m < 0.0:
            market[p, M_MINT] = e["mint"]
            if e["mint"] < creator.shape[0]:
                market[p, M_CREATOR] = creator[e["mint"]]
        elif m != e["mint"]:
            return i
    return -1


@njit(cache=True)
def exits_phase_nb(
    m, pool, px, rug, ts, cfg, venues, market, mint_slot, slots, acct, iacct, orders
):  # fmt: skip
    """Phase 4 (exits) for the event's mint: mark its open position at the liquidation price
    and send the exit the rules ask for. Returns (the mint's slot or -1, knobs changed).

    A position is marked by the pool it was bought on (where it would be sold): an event on
    another pool of the same mint leaves it alone.
    """
    j = mint_slot[m]
    if j < 0:
        return j, False
    p = slots[j]
    if p["state"] != SLOT_OPEN or not px == px or p["pool"] != pool:
        return j, False
    if rug:
        p["pool_sol"] = 0.0  # the rugger pulled our SOL out with everyone else's
    mark = liquidation_price_nb(pool, p["tokens"], p["pool_sol"], market, venues, cfg)
    acct[A_MARK] += p["tokens"] * (mark - p["mark"])
    p["mark"] = mark
    if p["pending"] == 0:
        if rug:
            reason, qty = EXIT_RUG, p["tokens"]
        else:
            reason, qty = exit_decision_nb(p, mark, ts, cfg)
        if reason != NO_EXIT:
            log_order_nb(
                orders, iacct, p["signal_id"], ts, m, pool, -1, reason, 0, qty / p["tokens0"],
                0.0, qty,
            )  # fmt: skip
            send_order_nb(p, -1, 0.0, qty, reason, ts, cfg, venues, market, iacct)
            refresh_schedules_nb(slots, iacct, cfg)
    return j, True


@njit(cache=True)
def entry_phase_nb(
    sig, m, pool, venue, vs, ts, gidx, j, cfg, venues, market, mint_slot, slots, acct, iacct,
    rejects, orders,
) -> bool:  # fmt: skip
    """Phase 6 (risk and orders): risk-check and size an entry request on mint ``m`` in
    ``pool`` and send the order, or send the close the strategy asked for (``sig < 0``). True
    when the knobs change."""
    if sig > 0.0:
        sol = 0.0
        if j >= 0:
            verdict = REJECT_IN_POSITION
        elif market[pool, M_RUGGED] != 0.0:
            verdict = REJECT_RUGGED
        elif vs == vs and vs < venues[venue, V_MIN_LIQ]:
            verdict = REJECT_MIN_LIQUIDITY
        else:
            verdict, sol = entry_verdict_nb(ts, sig, acct, iacct, cfg)
        rejects[verdict] += 1
        log_order_nb(orders, iacct, gidx, ts, m, pool, 1, 0, verdict, sig, sol, 0.0)
        if verdict != ACCEPTED:
            return False
        k = 0
        while slots[k]["state"] != SLOT_FREE:
            k += 1
        p = slots[k]
        p["state"] = SLOT_PENDING_BUY
        p["position"] = iacct[I_NEXT_POSITION]
        iacct[I_NEXT_POSITION] += 1
        p["signal_id"] = gidx
        p["mint"] = m
        p["pool"] = pool
        p["entry_ts"] = ts
        p["tp_hit"] = 0
        p["fast_trail"] = 0
        p["be_armed_ts"] = -1
        p["attempts"] = 0
        p["n_sells"] = 0
        p["tokens"] = 0.0
        p["pool_sol"] = 0.0
        mint_slot[m] = k
        record_entry_nb(ts, iacct)
        send_order_nb(p, 1, sol, 0.0, 0, ts, cfg, venues, market, iacct)
        return True
    if sig < 0.0 and j >= 0:
        p = slots[j]
        if p["state"] == SLOT_OPEN and p["pending"] == 0:
            log_order_nb(
                orders, iacct, p["signal_id"], ts, m, p["pool"], -1, EXIT_SIGNAL, 0, 1.0, 0.0,
                p["tokens"],
            )  # fmt: skip
            send_order_nb(p, -1, 0.0, p["tokens"], EXIT_SIGNAL, ts, cfg, venues, market, iacct)
            refresh_schedules_nb(slots, iacct, cfg)
    return False


@njit(cache=True)
def request_phase_nb(
    knobs, ts, gidx, cfg, venues, market, mint_slot, slots, acct, iacct, rejects, orders
) -> bool:
    """Phase 6 for a request written with ``engine.requests_nb``: an entry or exit on any pool
    the replay has seen, through the same checks as the return value. Clears the slot."""
    pool = int(knobs[KNOB_REQ_POOL])
    size = knobs[KNOB_REQ_SIZE]
    pool2 = int(knobs[KNOB_REQ_POOL2])
    knobs[KNOB_REQ_POOL] = -1.0
    knobs[KNOB_REQ_POOL2] = -1.0
    if pool >= market.shape[0] or market[pool, M_MINT] < 0.0 or size == 0.0:
        return False
    if pool2 >= 0:
        return arb_phase_nb(
            size, pool, pool2, ts, gidx, cfg, venues, market, slots, acct, iacct, rejects, orders
        )
    m = int(market[pool, M_MINT])
    return entry_phase_nb(
        size, m, pool, int(market[pool, M_VENUE]), market[pool, M_VSOL], ts, gidx, mint_slot[m],
        cfg, venues, market, mint_slot, slots, acct, iacct, rejects, orders,
    )  # fmt: skip


@njit(cache=True)
def arb_phase_nb(
    size, pool, pool2, ts, gidx, cfg, venues, market, slots, acct, iacct, rejects, orders
) -> bool:  # fmt: skip
    """Phase 6 for an atomic arbitrage request (``requests_nb.request_arb_nb``): buy the mint
    on ``pool`` and sell what it gives on ``pool2`` in one transaction. Same risk verdict and
    sizing as an entry; it takes a slot while in flight but opens no position (the mint's own
    position, if any, is untouched). Not available with an external executor (ignored)."""
    if cfg["external_fills"] != 0.0 or pool2 >= market.shape[0] or pool2 == pool:
        return False
    m = int(market[pool, M_MINT])
    if market[pool2, M_MINT] != m:
        return False
    sol = 0.0
    if market[pool, M_RUGGED] != 0.0 or market[pool2, M_RUGGED] != 0.0:
        verdict = REJECT_RUGGED
    else:
        verdict, sol = entry_verdict_nb(ts, size, acct, iacct, cfg)
    rejects[verdict] += 1
    log_order_nb(orders, iacct, gidx, ts, m, pool, 1, EXIT_ARB, verdict, size, sol, 0.0)
    if verdict != ACCEPTED:
        return False
    k = 0
    while slots[k]["state"] != SLOT_FREE:
        k += 1
    p = slots[k]
    p["state"] = SLOT_PENDING_ARB
    p["position"] = iacct[I_NEXT_POSITION]
    iacct[I_NEXT_POSITION] += 1
    p["signal_id"] = gidx
    p["mint"] = m
    p["pool"] = pool
    p["pool2"] = pool2
    p["entry_ts"] = ts
    p["attempts"] = 0
    p["n_sells"] = 0
    p["tokens"] = 0.0
    p["pool_sol"] = 0.0
    record_entry_nb(ts, iacct)
    send_order_nb(p, 1, sol, 0.0, EXIT_ARB, ts, cfg, venues, market, iacct)
    p["pending"] = 2
    return True


@njit(cache=True)
def simulate_arb_nb(pos, cfg, venues, market, honeypot):
    """The fill model for an atomic arbitrage landing now: both legs on the pools as they are
    (buy on ``pool``, sell the tokens on ``pool2``); the transaction reverts whole (priority fee
    paid) unless the SOL out exceeds the SOL in plus priority fee and tip. Returns (status, sol
    in, tokens, buy price, buy venue fee, tx fee, SOL out net of fee, sell price, sell fee)."""
    s1, t1, f1, _ = _pool(pos["pool"], market, venues, cfg, 0.0)
    s2, t2, f2, _ = _pool(pos["pool2"], market, venues, cfg, 0.0)
    sol = pos["order_sol"]
    prio = cfg["priority_fee"]
    if market[pos["pool"], M_RUGGED] != 0.0 or market[pos["pool2"], M_RUGGED] != 0.0:
        return FILL_FAILED_NO_LIQUIDITY, sol, 0.0, np.inf, 0.0, prio, 0.0, 0.0, 0.0
    if s1 <= 0.0 or s2 <= 0.0:
        return FILL_FAILED_NO_LIQUIDITY, sol, 0.0, np.inf, 0.0, prio, 0.0, 0.0, 0.0
    tokens = buy_tokens_out_nb(s1, t1, sol, f1)
    if honeypot[pos["mint"]] != 0:
        return FILL_FAILED_HONEYPOT, sol, tokens, np.inf, 0.0, prio, 0.0, 0.0, 0.0
    out = sell_sol_out_nb(s2, t2, tokens, f2)
    buy_px = sol / tokens if tokens > 0.0 else np.inf
    sell_px = out / tokens if tokens > 0.0 else 0.0
    if not out - sol - prio - cfg["tip"] > 0.0:
        return FILL_FAILED_NO_PROFIT, sol, tokens, buy_px, 0.0, prio, out, sell_px, 0.0
    fee2 = out / (1.0 - f2) * f2
    return FILL_OK, sol, tokens, buy_px, sol * f1, prio + cfg["tip"], out, sell_px, fee2


@njit(cache=True)
def book_arb_nb(pos, ts, gidx, arb, acct, iacct, fills, trades, cfg) -> None:
    """Book a landed arbitrage: one fill record per leg (the tx fee on the first), cash, and a
    trade record (exit reason ``arbitrage``) when it went through; a reverted one costs its fee."""
    status, sol, tokens, buy_px, fee1, tx_fee, out, sell_px, fee2 = arb
    _write_fill(fills, iacct, pos, ts, gidx, 1, status, sol, tokens, buy_px, fee1, tx_fee)
    _write_fill(fills, iacct, pos, ts, gidx, -1, status, out, tokens, sell_px, fee2, 0.0)
    fills[iacct[I_N_FILLS] - 1]["pool"] = pos["pool2"]
    if status != FILL_OK:
        acct[A_CASH] -= tx_fee
        acct[A_FAILED_ENTRY_FEES] += tx_fee
    else:
        acct[A_CASH] += out - sol - tx_fee
        k = iacct[I_N_TRADES]
        tr = trades[k]
        tr["position"] = pos["position"]
        tr["signal_id"] = pos["signal_id"]
        tr["mint"] = pos["mint"]
        tr["pool"] = pos["pool"]
        tr["exit_reason"] = EXIT_ARB
        tr["entry_ts"] = ts
        tr["exit_ts"] = ts
        tr["entry_sol"] = sol + tx_fee
        tr["exit_sol"] = out
        tr["tokens"] = tokens
        tr["entry_price"] = buy_px
        tr["exit_price"] = sell_px
        tr["fees_sol"] = fee1 + fee2 + tx_fee
        tr["peak_return"] = 0.0
        tr["n_sells"] = 1
        iacct[I_N_TRADES] = k + 1
        pnl = out - sol - tx_fee
        record_close_nb(ts, pnl, pnl / (sol + tx_fee), acct, iacct, cfg)
    pos["state"] = SLOT_FREE
    pos["pending"] = 0
    pos["pool2"] = -1
    iacct[I_OPEN] -= 1


@njit(cache=False, nogil=True)
def replay_nb(
    events, start, offset, inputs, cfg, venues, honeypot, on_event, params, sstate,
    market, mint_slot, slots, acct, iacct, rejects, knobs, orders, fills, trades, equity,
):  # fmt: skip
    """Replay ``events[start:]`` through the phases; returns the index reached.

    Stops early (returning the index of the event not yet replayed) when a record buffer is
    nearly full, or -- with ``cfg["external_fills"]`` -- when an order is due to land: the
    wrapper then books the executor's fill and calls again from that index. ``offset`` is the
    global index of ``events[0]``; ``inputs[i, k]`` (one row per event) is copied into
    ``knobs[KNOB_INPUTS + k]`` before the strategy sees event ``i``. All other arguments are
    state arrays owned by the caller and updated in place.
    """
    n = events.shape[0]
    n_inputs = inputs.shape[1]
    rug_keep = 1.0 - cfg["rug_drop"]
    external = cfg["external_fills"] != 0.0
    knobs_dirty = True
    for i in range(start, n):
        if (
            iacct[I_N_ORDERS] + HEADROOM > orders.shape[0]
            or iacct[I_N_FILLS] + HEADROOM > fills.shape[0]
            or iacct[I_N_TRADES] + HEADROOM > trades.shape[0]
            or iacct[I_N_EQUITY] + HEADROOM > equity.shape[0]
        ):
            return i
        ev = events[i]
        ts = ev["ts"]
        m = ev["mint"]
        gidx = offset + i
        # 1. periods. The per-event phases (1, 3, the evidence knobs) are written out here: a
        # call with array arguments costs refcount operations on every event (measured: the
        # replay ran at half speed with them as functions). Rare work is in named kernels.
        if iacct[I_STARTED] == 0:
            start_nb(ts, acct, iacct, cfg)
        if iacct[I_OPEN] > 0:
            iacct[I_EXPOSURE_NS] += ts - iacct[I_LAST_TS]
        iacct[I_LAST_TS] = ts
        iacct[I_EVENTS] = gidx + 1
        if ts >= iacct[I_NEXT_DAY_TS]:
            roll_periods_nb(ts, acct, iacct)
            knobs_dirty = True
        # 2. landing
        if ts >= iacct[I_NEXT_LAND]:
            if external:
                return i
            land_due_nb(
                ts, gidx, cfg, venues, market, honeypot, mint_slot, slots, acct, iacct, fills,
                trades,
            )  # fmt: skip
            knobs_dirty = True
        if ev["kind"] == KIND_TICK:  # the clock only: no market, no strategy call
            if ts >= iacct[I_NEXT_DEADLINE]:
                time_exits_nb(ts, cfg, venues, market, slots, iacct, orders)
            if ts >= iacct[I_NEXT_SAMPLE_TS]:
                sample_equity_nb(ts, acct, iacct, equity, cfg)
            continue
        pool = ev["pool"]
        # 3. market: the event's reserves and price become its pool's state; a liquidity event
        # removing >= rug_drop of the pool's SOL is a rug (an event without reserves never is)
        prev_vsol = market[pool, M_VSOL]
        vs = ev["vsol"]
        px = spot_price_nb(vs, ev["vtok"], ev["price"])
        market[pool, M_VSOL] = vs
        market[pool, M_VTOK] = ev["vtok"]
        if px == px:
            market[pool, M_PRICE] = px
        market[pool, M_VENUE] = ev["venue"]
        if ev["side"] < 0 and ev["trader"] != market[pool, M_CREATOR]:
            market[pool, M_LAST_FREE_SELL] = ts
        rug = False
        if ev["kind"] == KIND_LIQUIDITY and vs == vs and prev_vsol == prev_vsol:
            rug = vs <= rug_keep * prev_vsol
            if rug:
                market[pool, M_RUGGED] = 1.0
        # 4. marks and exits (only a mint with a position has any)
        j = mint_slot[m]
        if j >= 0:
            j, marked = exits_phase_nb(
                m, pool, px, rug, ts, cfg, venues, market, mint_slot, slots, acct, iacct, orders
            )
            if marked:
                knobs_dirty = True
        if ts >= iacct[I_NEXT_DEADLINE]:
            time_exits_nb(ts, cfg, venues, market, slots, iacct, orders)
        # 5. strategy
        if knobs_dirty:
            update_knobs_nb(knobs, acct, iacct, cfg)
            knobs_dirty = False
        # observable evidence about the pool (risk.KNOB_POOL_RUGGED ..), a clear request slot
        knobs[KNOB_POOL_RUGGED] = market[pool, M_RUGGED]
        knobs[KNOB_OWN_SELL_FAILS] = market[pool, M_SELL_FAILS]
        last_free = market[pool, M_LAST_FREE_SELL]
        knobs[KNOB_FREE_SELL_AGE_S] = (ts - last_free) / 1e9 if last_free == last_free else np.inf
        knobs[KNOB_REQ_POOL] = -1.0
        knobs[KNOB_REQ_POOL2] = -1.0
        for k in range(n_inputs):
            knobs[KNOB_INPUTS + k] = inputs[i, k]
        sig = on_event(ev, params, sstate, knobs)
        # 6. risk and orders
        if sig != 0.0:
            if entry_phase_nb(
                sig, m, pool, int(ev["venue"]), ev["vsol"], ts, gidx, j, cfg, venues, market,
                mint_slot, slots, acct, iacct, rejects, orders,
            ):  # fmt: skip
                knobs_dirty = True
        if knobs[KNOB_REQ_POOL] >= 0.0:
            if request_phase_nb(
                knobs, ts, gidx, cfg, venues, market, mint_slot, slots, acct, iacct, rejects,
                orders,
            ):  # fmt: skip
                knobs_dirty = True
        # 7. equity curve
        if ts >= iacct[I_NEXT_SAMPLE_TS]:
            sample_equity_nb(ts, acct, iacct, equity, cfg)
    return n


@njit(cache=True)
def finalize_nb(cfg, venues, market, mint_slot, slots, acct, iacct, fills, trades, equity):
    """End of data: cancel in-flight buys, liquidate open positions at the last reserves.

    The liquidation is a quote (venue fee and impact, no tx fee), recorded as a fill with reason
    ``end_of_data`` so that trades, fills and equity agree to the last lamport.
    """
    ts = iacct[I_LAST_TS]
    gidx = iacct[I_EVENTS] - 1
    for j in range(slots.shape[0]):
        p = slots[j]
        if p["state"] == SLOT_PENDING_BUY:
            _free_slot(p, mint_slot, iacct)
        elif p["state"] == SLOT_OPEN:
            s, t, fee, _ = _pool(p["pool"], market, venues, cfg, p["pool_sol"])
            qty = p["tokens"]
            sol = sell_sol_out_nb(s, t, qty, fee)
            p["order_reason"] = EXIT_END
            p["sent_ts"] = ts
            p["quote_price"] = sol / qty if qty > 0.0 else 0.0
            _write_fill(
                fills,
                iacct,
                p,
                ts,
                gidx,
                -1,
                FILL_OK,
                sol,
                qty,
                p["quote_price"],
                sol / (1.0 - fee) * fee,
                0.0,
            )
            acct[A_CASH] += sol
            p["proceeds"] += sol
            p["fees"] += sol / (1.0 - fee) * fee
            p["n_sells"] += 1
            close_position_nb(p, ts, EXIT_END, mint_slot, acct, iacct, trades, cfg)
    iacct[I_NEXT_LAND] = NEVER
    iacct[I_NEXT_DEADLINE] = NEVER
    if iacct[I_STARTED] != 0:
        sample_equity_nb(ts, acct, iacct, equity, cfg)
