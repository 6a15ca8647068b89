"""The backtest tear sheet: one self-contained plotly HTML page (works offline, no images).

Sections: provenance, headline metrics, equity against an equal-weight buy-and-hold benchmark
with drawdown and exposure, daily P&L and rolling Sharpe, the distribution of trade returns,
trades by exit reason, the worst drawdowns, costs broken down, and the trade log. Figures come
from ``engine/tearsheet.py``; colours are the Okabe-Ito palette (colour-blind safe).
"""

from __future__ import annotations

import html
import json
import os
from typing import Any

import numpy as np
import pandas as pd

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
TRADE_LOG_ROWS = 500
STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2em;color:#222}"
    "table{border-collapse:collapse;margin:0.5em 0 1.5em}"
    "th,td{padding:2px 10px;text-align:left;border-bottom:1px solid #eee;font-size:13px}"
    "td.n{text-align:right;font-variant-numeric:tabular-nums}h2{margin-top:1.5em}"
    ".grid{display:grid;grid-template-columns:1fr 1fr;gap:2em}details{margin:0.5em 0}"
)


def _table(df: pd.DataFrame, formats: dict[str, Any] | None = None) -> str:
    formats = formats or {}
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    body = []
    for row in df.itertuples(index=False):
        cells = []
        for col, v in zip(df.columns, row, strict=True):
            text = formats[col](v) if col in formats else ("" if v is None else str(v))
            num = isinstance(v, int | float | np.integer | np.floating)
            cells.append(f"<td{' class=n' if num else ''}>{html.escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def write_report(result: Any, path: str | os.PathLike[str]) -> None:
    """Write the tear sheet of a :class:`BacktestResult` to ``path``."""
    import plotly.graph_objects as go
    from memelab.engine import tearsheet as ts_
    from memelab.engine.metrics import format_metric, label
    from plotly.subplots import make_subplots

    eq = result.equity
    t = result.trades
    m = result.metrics
    init = result.config.initial_equity
    x = pd.to_datetime(eq["ts"], unit="ns", utc=True)
    curve = eq["equity"].to_numpy()
    layout = {"template": "plotly_white", "colorway": PALETTE, "font": {"size": 12}}

    # 1. equity vs benchmark, drawdown, exposure
    f1 = make_subplots(
        rows=3, cols=1, shared_xaxes=True, vertical_spacing=0.05, row_heights=[0.5, 0.25, 0.25],
        subplot_titles=("Equity (SOL)", "Drawdown (%)", "Exposure: open positions at mark (SOL)"),
    )  # fmt: skip
    f1.add_trace(go.Scatter(x=x, y=curve, name=result.strategy, line={"width": 1.6}), 1, 1)
    bench = ts_.benchmark_curve(result, eq["ts"].to_numpy())
    if bench is not None:
        f1.add_trace(
            go.Scatter(x=bench.index, y=bench.to_numpy(), name="equal-weight buy & hold of the "
                       "traded mints", line={"width": 1.2, "dash": "dot"}), 1, 1,
        )  # fmt: skip
    if len(curve):
        dd = curve / np.maximum.accumulate(np.maximum(curve, init)) - 1.0
        f1.add_trace(
            go.Scatter(x=x, y=dd * 100, name="drawdown", fill="tozeroy", showlegend=False,
                       line={"color": PALETTE[3]}), 2, 1,
        )  # fmt: skip
    f1.add_trace(
        go.Scatter(x=x, y=eq["exposure"], name="exposure", showlegend=False,
                   line={"color": PALETTE[2], "shape": "hv"}), 3, 1,
    )  # fmt: skip
    f1.update_xaxes(title_text="time (UTC)", row=3, col=1)
    f1.update_layout(height=760, legend={"orientation": "h", "y": 1.06}, **layout)

    # 2. daily P&L and rolling Sharpe
    daily = ts_.daily_pnl(eq["ts"].to_numpy(), curve, init)
    roll = ts_.rolling_sharpe(eq["ts"].to_numpy(), curve, init)
    f2 = make_subplots(
        rows=1, cols=2, subplot_titles=("P&L per UTC day (SOL)",
                                        "Rolling Sharpe, 24 h of hourly returns (per hour)"),
    )  # fmt: skip
    f2.add_trace(
        go.Bar(x=daily.index, y=daily.to_numpy(), showlegend=False,
               marker_color=np.where(daily.to_numpy() >= 0, PALETTE[2], PALETTE[3])), 1, 1,
    )  # fmt: skip
    f2.add_trace(go.Scatter(x=roll.index, y=roll.to_numpy(), showlegend=False), 1, 2)
    f2.update_xaxes(title_text="day (UTC)", row=1, col=1)
    f2.update_xaxes(title_text="time (UTC)", row=1, col=2)
    f2.update_layout(height=360, **layout)

    # 3. trades: return distribution, return vs hold by exit reason, exit reasons
    f3 = make_subplots(
        rows=1, cols=3, column_widths=[0.35, 0.4, 0.25],
        subplot_titles=("Trade returns (%)", "Return vs hold time", "Exit reasons"),
    )  # fmt: skip
    f3.add_trace(
        go.Histogram(x=t["return_pct"], nbinsx=40, showlegend=False, marker_color=PALETTE[0]), 1, 1
    )
    for k, (reason, grp) in enumerate(t.groupby("exit_reason")):
        f3.add_trace(
            go.Scatter(
                x=grp["hold_s"], y=grp["return_pct"], mode="markers", name=str(reason),
                text=grp["mint"], marker={"color": PALETTE[k % len(PALETTE)], "size": 6},
                hovertemplate="%{text}<br>hold %{x:.0f}s<br>return %{y:.1f}%",
            ), 1, 2,
        )  # fmt: skip
    counts = t["exit_reason"].value_counts()
    f3.add_trace(
        go.Bar(x=counts.index.astype(str), y=counts.to_numpy(), showlegend=False,
               marker_color=PALETTE[5], text=counts.to_numpy(), textposition="outside"), 1, 3,
    )  # fmt: skip
    f3.update_xaxes(title_text="return (%)", row=1, col=1)
    f3.update_yaxes(title_text="trades", row=1, col=1)
    f3.update_xaxes(title_text="hold (s)", row=1, col=2)
    f3.update_yaxes(title_text="return (%)", row=1, col=2)
    f3.update_layout(height=400, **layout)

    keys = [
        "trades", "win_rate", "total_return", "pnl_sol", "ev_per_trade_sol", "profit_factor",
        "sharpe", "sortino", "sharpe_hourly", "psr", "max_drawdown", "var_95_daily",
        "var_95_trade", "exposure", "avg_winner_pct", "avg_loser_pct", "max_consecutive_wins",
        "max_consecutive_losses", "failed_tx", "fees_sol", "rejections",
    ]  # fmt: skip
    metrics = "".join(
        f"<tr><th>{html.escape(label(k, m))}</th><td class=n>"
        f"{html.escape(format_metric(k, m.get(k), m))}</td></tr>"
        for k in keys
    )
    if bench is not None and len(bench):
        metrics += (
            "<tr><th>benchmark return (buy &amp; hold)</th><td class=n>"
            f"{bench.iloc[-1] / init * 100 - 100:,.2f}%</td></tr>"
        )
    dds = ts_.drawdown_periods(eq["ts"].to_numpy(), curve, init)
    costs = ts_.cost_breakdown(result.raw.fills)
    cost_rows = pd.DataFrame(
        {
            "cost": ["venue fees", "priority fees and tips (landed)", "failed transactions' fees",
                     "total fees", "slippage against the quote at send time"],
            "SOL": [costs["venue_fees"], costs["priority_fees_and_tips"], costs["failed_tx_fees"],
                    costs["venue_fees"] + costs["priority_fees_and_tips"] + costs["failed_tx_fees"],
                    costs["slippage_vs_quote"]],
        }
    )  # fmt: skip
    cost_rows["% of initial equity"] = cost_rows["SOL"] / init * 100
    log = t[["position", "mint", "entry_ts", "exit_ts", "entry_sol", "exit_sol", "pnl_sol",
             "return_pct", "exit_reason", "n_sells", "hold_s"]].head(TRADE_LOG_ROWS).copy()  # fmt: skip
    for c in ("entry_ts", "exit_ts"):
        log[c] = pd.to_datetime(log[c], unit="ns", utc=True).dt.strftime("%Y-%m-%d %H:%M:%S")
    prov = ts_.provenance(result)
    num4 = lambda v: f"{v:,.4f}"  # noqa: E731
    pct2 = lambda v: f"{v * 100:,.2f}%"  # noqa: E731
    body = "".join(
        [
            f"<h1>{html.escape(result.strategy)} on {html.escape(result.source)}</h1>",
            f"<p>params: {html.escape(', '.join(f'{k}={v}' for k, v in result.params.items()))}"
            f"<br>seed {prov['seed']} &middot; memelab {html.escape(str(prov['memelab']))} "
            f"&middot; source hash {prov['source_hash']} &middot; lake swaps content hash "
            f"{html.escape(str(prov.get('lake_content_hash')))}</p>",
            "<details><summary>engine config and full provenance</summary><pre>"
            + html.escape(json.dumps(prov, indent=1, default=str))
            + "</pre></details>",
            f"<p>Returns: {html.escape(str(m.get('returns_convention')))}. Fractions are shown as "
            "percent.</p>",
            f"<h2>Headline</h2><table>{metrics}</table>",
            "<h2>Equity, drawdown, exposure</h2>",
            f1.to_html(full_html=False, include_plotlyjs=True),
            "<h2>Daily P&amp;L and rolling Sharpe</h2>",
            f2.to_html(full_html=False, include_plotlyjs=False),
            "<h2>Trades</h2>",
            f3.to_html(full_html=False, include_plotlyjs=False),
            "<div class=grid><div><h2>Worst drawdowns</h2>",
            _table(dds, {"depth": pct2, "duration": str}) if len(dds) else "<p>none</p>",
            "</div><div><h2>Costs</h2>",
            _table(cost_rows, {"SOL": num4, "% of initial equity": lambda v: f"{v:,.3f}%"}),
            f"<p>{costs['failed_tx']} failed transaction(s). Fees add up to fees_sol.</p></div>"
            "</div>",
            f"<h2>Trade log</h2><p>{len(t)} trades"
            + (f", the first {TRADE_LOG_ROWS} shown" if len(t) > TRADE_LOG_ROWS else "")
            + " (all of them in trades.parquet).</p>",
            _table(log, {"entry_sol": num4, "exit_sol": num4, "pnl_sol": num4,
                         "return_pct": lambda v: f"{v:,.2f}%", "hold_s": lambda v: f"{v:,.0f}"}),
        ]
    )  # fmt: skip
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>memelab backtest: "
        f"{html.escape(result.strategy)}</title><style>{STYLE}</style></head><body>{body}"
        "</body></html>"
    )
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(page)
