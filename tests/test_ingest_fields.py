"""Field parsers: timestamps in every unit, sides, numbers, base58 addresses."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st
from memelab.datasets.importers.fields import (
    Canonical,
    build_swaps,
    null_mask,
    parse_float,
    parse_side,
    parse_ts,
    signature_ordinals,
    valid_pubkey,
)
from memelab.datasets.ingest import SWAP_COLUMNS

NS = 1_700_000_000 * 10**9  # 2023-11-14T22:13:20Z


def test_ts_parses_epoch_seconds_ms_us_ns_and_iso_8601_as_utc_ns():
    col = pa.array(
        [
            "1700000000",
            "1700000000000",
            "1700000000000000",
            "1700000000000000000",
            "1700000000.5",
            "2023-11-14T22:13:20Z",
            "2023-11-14 22:13:20.000",  # naive: UTC (Flipside style)
            "2023-11-15T00:13:20+02:00",
            "2023-11-14T22:13:20.123456789Z",
        ]
    )
    ns, missing, bad = parse_ts(col)
    assert not missing.any() and not bad.any()
    assert list(ns[:4]) == [NS] * 4
    assert ns[4] == NS + 500_000_000
    assert list(ns[5:8]) == [NS] * 3
    assert ns[8] == NS + 123_456_789


def test_ts_from_numeric_and_timestamp_columns():
    ns, _, bad = parse_ts(pa.array([1_700_000_000, 1_700_000_000_000], pa.int64()))
    assert list(ns) == [NS, NS] and not bad.any()
    ns, _, _ = parse_ts(pa.array([1_700_000_000.25], pa.float64()))
    assert ns[0] == NS + 250_000_000
    _, _, bad = parse_ts(pa.array([10**16, 1_700_000_000], pa.int64()))  # 1e16 us: year 2286
    assert list(bad) == [True, False]
    ns, _, _ = parse_ts(pa.array([NS // 1000], pa.timestamp("us")))
    assert ns[0] == NS


def test_ts_flags_garbage_as_bad_and_blanks_as_missing():
    ns, missing, bad = parse_ts(pa.array(["2023-13-45", "", None, "soon", "1700000000", "9" * 30]))
    assert list(bad) == [True, False, False, True, False, True]
    assert list(missing) == [False, True, True, False, False, False]
    assert ns[4] == NS


def test_side_accepts_words_letters_and_signs_in_any_case():
    side, missing, bad = parse_side(
        pa.array(["buy", "SELL", "b", "S", "+1", "-1", "1", " Buy ", "hold", None])
    )
    assert list(side[:8]) == [1, -1, 1, -1, 1, -1, 1, 1]
    assert list(bad) == [False] * 8 + [True, False]
    assert missing[9]
    side, _, bad = parse_side(pa.array([1, -1, 0, 2], pa.int8()))
    assert list(side[:3]) == [1, -1, 0] and list(bad) == [False, False, False, True]
    side, _, bad = parse_side(pa.array(["liquidity", "0"]))
    assert list(side) == [0, 0] and not bad.any()


def test_float_parsing_separates_missing_from_unparseable():
    values, missing, bad = parse_float(pa.array(["1.5", "1e-9", "", "NaN", "abc", "2,000.5"]))
    assert values[0] == 1.5 and values[1] == 1e-9 and values[5] == 2000.5
    assert list(missing) == [False, False, True, True, False, False]
    assert list(bad) == [False, False, False, False, True, False]


def test_nulls_of_typed_float_and_large_string_columns_count_as_missing():
    # null OR false is null under plain ``or_``: these nulls were once read as present
    floats = pa.array([1.5, None, float("nan")], pa.float64())
    assert list(null_mask(floats)) == [False, True, True]
    assert list(parse_float(floats)[1]) == [False, True, True]
    text = pa.array(["1.5", None, "null"], pa.large_string())
    assert list(null_mask(text)) == [False, True, True]


def test_pubkey_check_is_strict_base58_of_32_bytes():
    ok = valid_pubkey(
        pa.array(
            [
                "So11111111111111111111111111111111111111112",
                "8W7q66RpwARjTrLcrJusFWCE424UBLJp3HFPSfDepump",
                "0W7q66RpwARjTrLcrJusFWCE424UBLJp3HFPSfDepump",  # '0' is not base58
                "8W7q66RpwARjTrLcrJusFWCE424UBLJp3HFPSfDepumpp",  # 45 chars
                "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",  # decodes to > 32 bytes
                None,
            ]
        )
    )
    assert list(ok) == [True, True, False, False, False, False]


def test_signature_ordinals_count_within_a_signature_across_batches():
    carry: dict[str, int] = {}
    first = signature_ordinals(pa.array(["a", "b", "b", "c"]), carry)
    second = signature_ordinals(pa.array(["c", "c", "d"]), carry)
    assert list(first) == [0, 0, 1, 0]
    assert list(second) == [1, 2, 0]
    assert np.issubdtype(first.dtype, np.integer)


_FIELDS = ("ts", "slot", "signature", "mint", "trader", "side", "sol_amount", "token_amount",
           "price", "virtual_sol_reserves", "virtual_token_reserves", "fee", "ix_index", "venue")  # fmt: skip
_GOOD = {
    "ts": "1700000000", "slot": "5", "signature": "5" * 88,
    "mint": "So11111111111111111111111111111111111111112",
    "trader": "8W7q66RpwARjTrLcrJusFWCE424UBLJp3HFPSfDepump", "side": "buy",
    "sol_amount": "1.5", "token_amount": "100", "price": "", "virtual_sol_reserves": "",
    "virtual_token_reserves": "", "fee": "", "ix_index": "0", "venue": "pump",
}  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.dictionaries(
            st.sampled_from(_FIELDS),
            st.one_of(
                st.none(), st.text(max_size=12), st.sampled_from(["-1", "1e400", "nan", "0"])
            ),
            max_size=4,
        ),
        min_size=1,
        max_size=20,
    )
)
def test_garbage_in_any_field_is_quarantined_never_raised_or_lost(overrides):
    rows = [{**_GOOD, **o} for o in overrides]
    columns = {f: pa.array([r[f] for r in rows], pa.string()) for f in _FIELDS}
    raw = pa.table(columns)
    result = build_swaps(Canonical(columns=columns, rows=np.arange(1, len(rows) + 1), raw=raw))
    assert result.swaps.num_rows + len(result.quarantined) == len(rows)
    assert tuple(result.swaps.column_names) == SWAP_COLUMNS  # the reader contract's columns
    untouched = [i + 1 for i, o in enumerate(overrides) if not o]
    refused = {q["row"] for q in result.quarantined}
    assert not refused & set(untouched)  # a clean row is never refused
    for q in result.quarantined:
        assert q["reason"] and q["raw"] == {f: rows[q["row"] - 1][f] for f in _FIELDS}
