"""Sweep parameter spaces: grids, random draws, constraints."""

from __future__ import annotations

import numpy as np
import pytest
from memelab.research.sweeps.params import (
    ParamError,
    build_space,
    constraint_mask,
    grid_space,
    parse_grid_arg,
    random_space,
)

DT = np.dtype([("fast", np.int64), ("slow", np.int64), ("stop", np.float64)])
DEF = {"fast": 5, "slow": 20, "stop": 0.2}


def test_grid_arg_parses_lists_and_inclusive_ranges():
    assert parse_grid_arg("fast=1,2,5") == ("fast", [1.0, 2.0, 5.0])
    name, vals = parse_grid_arg("stop=0.1:0.3:0.1")
    assert name == "stop" and np.allclose(vals, [0.1, 0.2, 0.3])
    with pytest.raises(ParamError, match="NAME="):
        parse_grid_arg("fast")
    with pytest.raises(ParamError, match="step"):
        parse_grid_arg("fast=1:5:0")


def test_grid_is_the_lexicographic_product_with_defaults_elsewhere():
    s = grid_space(DT, DEF, {"slow": [10, 30], "fast": [1, 2, 3]})
    assert len(s) == 6
    assert s["fast"].tolist() == [1, 1, 2, 2, 3, 3]
    assert s["slow"].tolist() == [10, 30] * 3
    assert np.all(s["stop"] == 0.2)


def test_grid_rejects_unknown_params_and_fractional_ints_by_name():
    with pytest.raises(ParamError, match="'speed'"):
        grid_space(DT, DEF, {"speed": [1]})
    with pytest.raises(ParamError, match="'fast' is an integer"):
        grid_space(DT, DEF, {"fast": [1.5]})


def test_random_draw_is_seeded_subset_of_the_grid_in_grid_order():
    g = {"fast": list(range(10)), "slow": list(range(10, 20))}
    full = grid_space(DT, DEF, g)
    a = random_space(DT, DEF, g, 17, seed=4)
    b = random_space(DT, DEF, g, 17, seed=4)
    assert np.array_equal(a, b) and len(a) == 17
    keys = set(zip(full["fast"].tolist(), full["slow"].tolist(), strict=True))
    got = list(zip(a["fast"].tolist(), a["slow"].tolist(), strict=True))
    assert set(got) <= keys and len(set(got)) == 17 and got == sorted(got)
    assert not np.array_equal(a, random_space(DT, DEF, g, 17, seed=5))


def test_constraint_skips_invalid_combinations():
    s = grid_space(DT, DEF, {"fast": [1, 5, 10], "slow": [5, 10, 20], "stop": [0.1, 0.3]})
    m = constraint_mask(s, "fast < slow and not stop > 0.2")
    want = (s["fast"] < s["slow"]) & ~(s["stop"] > 0.2)
    assert np.array_equal(m, want)
    chained = constraint_mask(s, "1 < fast <= 5 or abs(slow - 2 * fast) == 0")
    assert np.array_equal(
        chained, ((s["fast"] > 1) & (s["fast"] <= 5)) | (s["slow"] == 2 * s["fast"])
    )


def test_constraint_refuses_unknown_names_and_code():
    s = grid_space(DT, DEF, {"fast": [1, 2]})
    with pytest.raises(ParamError, match="unknown parameter 'fats'"):
        constraint_mask(s, "fats < 3")
    with pytest.raises(ParamError, match="unsupported"):
        constraint_mask(s, "__import__('os').system('true')")
    with pytest.raises(ParamError, match="no combination"):
        build_space(DT, DEF, {"fast": [1, 2]}, constraint="fast > 5")
