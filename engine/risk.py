"""Risk-manager constants: the knobs strategies read, the reasons entries are refused, and the
layout of the account state arrays the compiled loop carries between chunks.

Strategies read ``knobs[KNOB_*]`` (written by the engine before each strategy call) to become more
selective as the day goes badly: e.g. a copy-trading strategy only follows wallets scoring at
least ``knobs[KNOB_MIN_SCORE]``.
"""

from __future__ import annotations

# Knobs: float64 array of adaptive selectivity settings written by the risk manager.
KNOB_TIER = 0  # daily P&L tier: 0 normal, 1 <= -2%, 2 <= -4%, 3 <= -6%
KNOB_MIN_SCORE = 1  # minimum wallet score an entry should have at this tier (0.60 from tier 1)
KNOB_DAILY_PNL = 2  # today's P&L as a fraction of the day's starting equity
KNOB_SPACING_S = 3  # minimum seconds between entries at this tier
KNOB_ENTRIES_LEFT = 4  # entries still allowed today
KNOB_EQUITY = 5  # equity in SOL (cash + open positions at mark)
KNOB_OPEN = 6  # positions open or in flight
# Observable evidence about the current event's pool: what a live trader could know by now
# (never ground truth; see docs/engine.md "What a strategy sees").
KNOB_POOL_RUGGED = 7  # 1 once a liquidity event pulled the pool's SOL
KNOB_OWN_SELL_FAILS = 8  # our sells on this pool that failed so far (honeypots show here)
KNOB_FREE_SELL_AGE_S = 9  # seconds since a wallet other than the creator sold here (inf: never)
# Request slots (``engine.requests_nb``): written by ``on_event``, read and cleared by the engine.
KNOB_REQ_POOL = 10  # pool id of an entry or exit request; -1 none
KNOB_REQ_SIZE = 11  # > 0: entry at this multiple of the base size; < 0: close
KNOB_REQ_POOL2 = 12  # >= 0: the entry is an atomic arbitrage selling on this pool; -1 none
N_KNOBS = 13
KNOB_NAMES = (
    "tier", "min_score", "daily_pnl", "spacing_s", "entries_left", "equity", "open",
    "pool_rugged", "own_sell_fails", "free_sell_age_s", "req_pool", "req_size",
    "req_pool2",
)  # fmt: skip
# External per-event inputs (an input stage's columns, e.g. a model's probability) follow the
# risk knobs: ``knobs[KNOB_INPUTS + j]`` holds column j for the current event.
KNOB_INPUTS = N_KNOBS

# Verdicts on an entry request: 0 accepted, else the reason it was refused.
ACCEPTED = 0
REJECT_IN_POSITION = 1
REJECT_MAX_OPEN = 2
REJECT_PORTFOLIO_STOP = 3
REJECT_WEEKLY_DD = 4
REJECT_DAILY_DD = 5
REJECT_COOLDOWN = 6
REJECT_DAILY_CAP = 7
REJECT_SPACING = 8
REJECT_RUGGED = 9
REJECT_MIN_LIQUIDITY = 10
REJECT_SIZE = 11  # nothing left to size (no cash, or Kelly sees no edge)
N_REJECT = 12
REJECT_REASONS = (
    "accepted",
    "in_position",
    "max_open_positions",
    "portfolio_stop",
    "weekly_drawdown",
    "daily_drawdown",
    "cooldown",
    "daily_trade_cap",
    "min_spacing",
    "rugged",
    "min_liquidity",
    "size",
)

# Float account state (acct).
A_CASH = 0
A_MARK = 1  # open positions at mark price
A_DAY_START_EQ = 2
A_WEEK_START_EQ = 3
A_SUM_R = 4  # closed-trade returns, for Kelly
A_SUM_R2 = 5
A_SUM_WIN_R = 6
A_SUM_LOSS_R = 7
A_FAILED_ENTRY_FEES = 8  # fees paid by entries that failed (no position)
N_ACCT = 9

# Integer account state (iacct): times in ns, counters.
I_NEXT_DAY_TS = 0
I_NEXT_WEEK_TS = 1
I_DAY_TRADES = 2
I_LAST_ENTRY_TS = 3
I_CONSEC_LOSS = 4
I_COOLDOWN_UNTIL = 5
I_HALTED = 6
I_N_CLOSED = 7
I_N_WIN = 8
I_NEXT_POSITION = 9
I_NEXT_SAMPLE_TS = 10
I_NEXT_DEADLINE = 11  # earliest max-hold deadline among open positions
I_NEXT_LAND = 12  # earliest landing time among in-flight orders
I_N_ORDERS = 13
I_N_FILLS = 14
I_N_TRADES = 15
I_N_EQUITY = 16
I_LAST_TS = 17
I_OPEN = 18  # slots in use (open or in flight)
I_STARTED = 19
I_EXPOSURE_NS = 20  # time with at least one position open
I_FIRST_TS = 21
I_EVENTS = 22  # events replayed so far (the global index of the next one)
N_IACCT = 23
