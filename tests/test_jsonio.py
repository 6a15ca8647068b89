"""One JSON rule: strict JSON (NaN/inf -> null), numpy to Python, atomic files."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from memelab.datasets.jsonio import dumps, to_jsonable, write_json


def test_non_finite_floats_become_null_and_the_text_is_strict_json():
    doc = {"pf": math.inf, "neg": -np.inf, "nan": np.float32("nan"), "ok": np.float64(1.5)}
    text = dumps(doc)
    assert "Infinity" not in text and "NaN" not in text
    back = json.loads(text, parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}"))
    assert back == {"pf": None, "neg": None, "nan": None, "ok": 1.5}


def test_numpy_scalars_arrays_and_keys_become_python_values():
    doc = {1: np.int64(3), "a": np.array([1.0, np.inf]), "b": (np.bool_(True), None)}
    assert to_jsonable(doc) == {"1": 3, "a": [1.0, None], "b": [True, None]}


def test_write_json_is_atomic_and_leaves_no_temp_file(tmp_path):
    path = write_json(tmp_path / "x.json", {"v": np.nan})
    assert json.loads(path.read_text()) == {"v": None}
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]
    with pytest.raises(TypeError):
        write_json(tmp_path / "x.json", {"v": 1}, bogus_kw=True)
    assert json.loads(path.read_text()) == {"v": None}  # the old file survives a failed write
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]


def test_every_writer_of_results_uses_the_one_rule(tmp_path):
    """A backtest with an infinite profit factor writes null, never a bare Infinity."""
    from memelab.cli._common import emit_json
    from memelab.research.sprt.analysis import json_ready
    from memelab.research.sweeps.sweep import _py

    doc = {"profit_factor": math.inf}
    assert json_ready(doc) == _py(doc) == {"profit_factor": None}
    import io
    from contextlib import redirect_stdout

    buf = io.StringIO()
    with redirect_stdout(buf):
        emit_json(doc)
    assert json.loads(buf.getvalue()) == {"profit_factor": None}
