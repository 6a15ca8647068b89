"""``memelab wallets score|graph``: files, columns and figures on a small planted market."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from _wallet_events import alpha_market, base58_name, write_lake
from memelab.cli.main import app
from typer.testing import CliRunner

runner = CliRunner()


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    return write_lake(alpha_market(seed=2, n_mints=16), tmp_path_factory.mktemp("wl") / "lake")


def test_score_writes_one_row_per_wallet_with_posterior_columns(lake, tmp_path):
    res = runner.invoke(app, ["wallets", "score", "--lake", str(lake.root), "--out",
                              str(tmp_path), "--prior", "3,5", "--json"])  # fmt: skip
    assert res.exit_code == 0, res.output
    summary = json.loads(res.output)
    scores = pd.read_parquet(tmp_path / "wallet_scores.parquet")
    labels = pd.read_parquet(tmp_path / "wallet_labels.parquet")
    for col in ("wallet", "buys", "wins", "score", "low", "high", "qvalue", "tier", "cluster"):
        assert col in scores.columns
    assert scores.wallet.is_unique and len(scores) == summary["wallets"]
    resolved = labels[labels.status >= 0]
    by_wallet = resolved.groupby("wallet").win.agg(["sum", "size"])
    row = scores.set_index("wallet").loc[base58_name("Wa", 0)]
    assert (row.wins, row.resolved) == tuple(by_wallet.loc[base58_name("Wa", 0)])
    assert row.score == pytest.approx((3 + row.wins) / (8 + row.resolved))
    assert row.low < row.score < row.high
    # The planted alpha wallets (ids 0-4) lead the ranking.
    best = scores.sort_values("score", ascending=False).wallet.head(5)
    assert set(best) == {base58_name("Wa", i) for i in range(5)}
    audit = pd.read_parquet(tmp_path / "audit.parquet")
    assert set(audit.tier_before) <= {"top", "mid", "low"} and audit.wallet.notna().all()
    assert sum(summary["audit"].values()) == len(audit) > 0
    html = (tmp_path / "report.html").read_text()
    assert "Score distribution" in html and "plotly" in html.lower()


def test_score_range_and_bad_prior_are_handled(lake, tmp_path):
    res = runner.invoke(app, ["wallets", "score", "--lake", str(lake.root), "--out",
                              str(tmp_path), "--prior", "three"])  # fmt: skip
    assert res.exit_code == 2 and "--prior" in res.output
    res = runner.invoke(app, ["wallets", "score", "--lake", str(lake.root), "--out", str(tmp_path),
                              "--from", "2030-01-01"])  # fmt: skip
    assert res.exit_code == 2 and "no buys" in res.output


def test_graph_on_a_lake_and_on_kam1cadzee_files(lake, tmp_path):
    res = runner.invoke(app, ["wallets", "graph", "--lake", str(lake.root), "--out",
                              str(tmp_path / "g"), "--json"])  # fmt: skip
    assert res.exit_code == 0, res.output
    summary = json.loads(res.output)
    assert summary["wallets_in_graph"] > 0 and (tmp_path / "g" / "report.html").exists()
    smart = pd.read_parquet(tmp_path / "g" / "smart_money.parquet")
    assert smart.wallet.head(5).isin([base58_name("Wa", i) for i in range(5)]).sum() >= 4
    traders = [base58_name("Tr", i) for i in range(4)]
    recs = [{"mint": base58_name("Mi", m), "mc": 50.0 if m < 3 else 31.0, "traders": traders}
            for m in range(6)]  # fmt: skip
    kdir = tmp_path / "kam"
    kdir.mkdir()
    (kdir / "statistic_01.01.2024.json").write_text(json.dumps(recs))
    res = runner.invoke(app, ["wallets", "graph", "--kam1cadzee", str(kdir), "--out",
                              str(tmp_path / "k"), "--json"])  # fmt: skip
    assert res.exit_code == 0, res.output
    k = json.loads(res.output)
    assert k["clusters"] == 1 and k["clustered_wallets"] == 4 and k["wallets_dropped_as_sybil"] == 3
    clusters = pd.read_parquet(tmp_path / "k" / "clusters.parquet")
    assert sorted(clusters.wallet) == sorted(traders) and clusters.keep.sum() == 1
    assert np.all(clusters.max_jaccard == 1.0)


def test_graph_needs_exactly_one_source(tmp_path):
    res = runner.invoke(app, ["wallets", "graph", "--out", str(tmp_path)])
    assert res.exit_code == 2 and "exactly one" in res.output
