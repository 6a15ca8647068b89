"""Record dtypes the replay kernel writes (orders, fills, trades, equity) and its code tables.

Kernels write packed NumPy records (no strings, no objects); ``results`` turns them into pandas
and derives every metric from them. Codes are small ints with a name table beside them.
"""

from __future__ import annotations

import numpy as np

# Why a position was (partly) closed.
EXIT_SIGNAL = 0  # the strategy asked to close
EXIT_STOP = 1  # hard stop loss
EXIT_TP1 = 2
EXIT_TP2 = 3
EXIT_TP3 = 4
EXIT_TRAIL = 5  # peak trailing stop
EXIT_BREAKEVEN = 6  # break-even stop inside its window
EXIT_MAX_HOLD = 7
EXIT_RUG = 8  # liquidity pulled: sold into what was left
EXIT_HONEYPOT = 9  # could not sell after max_sell_attempts: written off at zero
EXIT_END = 10  # still open when the data ended: marked at the last price, no fill
EXIT_ARB = 11  # an atomic two-leg arbitrage: bought on one pool, sold on another, one tx
EXIT_REASONS = (
    "signal",
    "stop_loss",
    "tp1",
    "tp2",
    "tp3",
    "trailing",
    "breakeven",
    "max_hold",
    "rug",
    "honeypot",
    "end_of_data",
    "arbitrage",
)

# Fill status: every transaction we send lands as one fill record, failed ones included.
FILL_OK = 0
FILL_FAILED_SLIPPAGE = 1  # worse than tolerance: reverted, priority fee paid
FILL_FAILED_HONEYPOT = 2  # the token refuses sells: reverted, priority fee paid
FILL_FAILED_NO_LIQUIDITY = 3  # pool empty (rugged to zero)
FILL_FAILED_NO_PROFIT = 4  # an atomic arbitrage that would not end in profit: reverted whole
FILL_STATUS = (
    "ok", "failed_slippage", "failed_honeypot", "failed_no_liquidity", "failed_no_profit",
)  # fmt: skip

# Order outcome at decision time (the risk manager's verdict) -- see risk.REJECT_REASONS.
ORDER_DTYPE = np.dtype(
    [
        ("signal_id", np.int64),  # global index of the event that triggered it
        ("ts", np.int64),  # decision time (the event's ts)
        ("mint", np.int32),
        ("pool", np.int32),  # the pool the order trades on
        ("side", np.int8),  # +1 buy, -1 sell
        ("reason", np.int8),  # buys: 0; sells: exit reason code
        ("verdict", np.int8),  # 0 accepted, else risk reject code
        ("signal", np.float64),  # the strategy's return value (buys) or fraction to sell
        ("sol", np.float64),  # buys: SOL into the swap (sized by risk); sells: 0
        ("tokens", np.float64),  # sells: tokens to sell
    ]
)

FILL_DTYPE = np.dtype(
    [
        ("signal_id", np.int64),
        ("position", np.int64),  # position (trade) number, -1 for a failed entry
        ("sent_ts", np.int64),
        ("ts", np.int64),  # landing time
        ("event", np.int64),  # global index of the event (or clock tick) it landed at
        ("mint", np.int32),
        ("pool", np.int32),
        ("side", np.int8),
        ("status", np.int8),
        ("reason", np.int8),
        ("sol", np.float64),  # SOL in (buy, gross of venue fee) or out (sell, net of venue fee)
        ("tokens", np.float64),
        ("price", np.float64),  # effective SOL per token incl. venue fee and our impact
        ("quote_price", np.float64),  # what the same size would have cost at send time
        ("venue_fee", np.float64),
        ("tx_fee", np.float64),  # priority fee (+ tip when it landed)
    ]
)

TRADE_DTYPE = np.dtype(
    [
        ("position", np.int64),
        ("signal_id", np.int64),
        ("mint", np.int32),
        ("pool", np.int32),  # the pool it was bought and sold on (its marks come from it)
        ("exit_reason", np.int8),
        ("entry_ts", np.int64),
        ("exit_ts", np.int64),
        ("entry_sol", np.float64),  # all SOL spent: swap input, tx fees, failed attempts
        ("exit_sol", np.float64),  # all SOL received net of venue and tx fees
        ("tokens", np.float64),
        ("entry_price", np.float64),
        ("exit_price", np.float64),  # SOL-weighted average effective exit price
        ("fees_sol", np.float64),  # venue + tx fees paid on this position
        ("peak_return", np.float64),  # best mark return seen while open
        ("n_sells", np.int64),
    ]
)

EQUITY_DTYPE = np.dtype([("ts", np.int64), ("equity", np.float64), ("exposure", np.float64)])

# Position slots: at most cfg.max_open at once, state kept across chunks.
SLOT_FREE = 0
SLOT_PENDING_BUY = 1
SLOT_OPEN = 2
SLOT_PENDING_ARB = 3  # an atomic two-leg arbitrage in flight (no position, no mint_slot entry)
POS_DTYPE = np.dtype(
    [
        ("state", np.int64),
        ("position", np.int64),
        ("signal_id", np.int64),
        ("mint", np.int64),
        ("pool", np.int64),  # the pool it trades on: marks, exits and fills use this pool only
        ("entry_ts", np.int64),
        ("tp_hit", np.int64),  # 0..3 ladder steps done
        ("fast_trail", np.int64),  # peak >= trail_fast_gain reached inside the window
        ("be_armed_ts", np.int64),  # 0: not armed
        ("attempts", np.int64),  # failed sells so far for the pending order
        ("pending", np.int64),  # 0 none, +1 buy in flight, -1 sell in flight
        ("sent_ts", np.int64),
        ("land_ts", np.int64),
        ("order_reason", np.int64),
        ("order_sol", np.float64),
        ("order_tokens", np.float64),
        ("quote_price", np.float64),
        ("tokens", np.float64),  # held now
        ("tokens0", np.float64),  # bought
        ("entry_price", np.float64),
        ("cost", np.float64),  # entry_sol so far
        ("proceeds", np.float64),  # exit_sol so far
        ("fees", np.float64),
        ("pool_sol", np.float64),  # our SOL in the pool (buy input after fee, less sells)
        ("mark", np.float64),  # liquidation price per token
        ("peak", np.float64),
        ("last_reason", np.int64),
        ("n_sells", np.int64),
        ("pool2", np.int64),  # an arbitrage's second leg: the pool it sells on (-1 none)
    ]
)
