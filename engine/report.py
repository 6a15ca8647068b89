"""The backtest report: one self-contained plotly HTML page (works offline, no images)."""

from __future__ import annotations

import html
import os
from typing import Any

import numpy as np
import pandas as pd


def write_report(result: Any, path: str | os.PathLike[str]) -> None:
    """Equity and drawdown, trade scatter (return vs hold, by exit reason), exit-reason bars."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    eq = result.equity
    t = result.trades
    m = result.metrics
    fig = make_subplots(
        rows=3,
        cols=2,
        specs=[[{"colspan": 2}, None], [{"colspan": 2}, None], [{}, {}]],
        subplot_titles=(
            "Equity (SOL)",
            "Drawdown (%)",
            "Trades: return vs hold time",
            "Exit reasons",
        ),
        vertical_spacing=0.09,
        row_heights=[0.38, 0.2, 0.42],
    )
    x = pd.to_datetime(eq["ts"], unit="ns")
    curve = eq["equity"].to_numpy()
    fig.add_trace(go.Scatter(x=x, y=curve, name="equity", line={"width": 1.5}), row=1, col=1)
    if len(curve):
        dd = curve / np.maximum.accumulate(curve) - 1.0
        fig.add_trace(
            go.Scatter(
                x=x, y=dd * 100, name="drawdown %", fill="tozeroy", line={"color": "#c0392b"}
            ),
            row=2,
            col=1,
        )
    for reason, grp in t.groupby("exit_reason"):
        fig.add_trace(
            go.Scatter(
                x=grp["hold_s"],
                y=grp["return_pct"],
                mode="markers",
                name=str(reason),
                text=grp["mint"],
                hovertemplate="%{text}<br>hold %{x:.0f}s<br>return %{y:.1f}%",
            ),
            row=3,
            col=1,
        )
    counts = t["exit_reason"].value_counts()
    fig.add_trace(
        go.Bar(x=counts.index.astype(str), y=counts.to_numpy(), name="exits", showlegend=False),
        row=3,
        col=2,
    )
    fig.update_xaxes(title_text="hold (s)", row=3, col=1)
    fig.update_yaxes(title_text="return %", row=3, col=1)
    fig.update_layout(
        height=1000, template="plotly_white", title=f"memelab backtest: {result.strategy}"
    )
    keys = [
        "trades", "win_rate", "total_return", "pnl_sol", "ev_per_trade_sol", "profit_factor",
        "sharpe", "sortino", "sharpe_hourly", "psr", "max_drawdown", "var_95_daily",
        "var_95_trade", "exposure", "avg_winner_pct",
        "avg_loser_pct", "max_consecutive_wins", "max_consecutive_losses", "failed_tx",
        "fees_sol", "rejections",
    ]  # fmt: skip
    from memelab.engine.metrics import format_metric, label

    rows = "".join(
        f"<tr><th>{html.escape(label(k, m))}</th><td>{html.escape(format_metric(k, m.get(k), m))}"
        "</td></tr>"
        for k in keys
    )
    params = html.escape(", ".join(f"{k}={v}" for k, v in result.params.items()))
    body = fig.to_html(full_html=False, include_plotlyjs=True)
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>memelab backtest</title>"
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "th,td{padding:2px 10px;text-align:left;border-bottom:1px solid #eee}</style></head><body>"
        f"<h1>{html.escape(result.strategy)} on {html.escape(result.source)}</h1>"
        f"<p>params: {params}</p><p>Returns: {html.escape(str(m.get('returns_convention')))}. "
        "Fractions are shown as percent.</p>"
        f"<table>{rows}</table>{body}</body></html>"
    )
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(page)
