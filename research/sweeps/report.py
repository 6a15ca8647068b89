"""HTML report of a sweep: heatmaps over pairs of params, metric distributions, the top
combinations and the overfitting gates of the selection (plotly, self-contained, offline)."""

from __future__ import annotations

import html
import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

_DIST_METRICS = (
    "total_return",
    "bucket_sharpe",
    "max_drawdown",
    "n_trades",
    "win_rate",
    "profit_factor",
)


def swept_params(table: pd.DataFrame, space: np.ndarray) -> list[str]:
    """Params that take more than one value in the sweep, in declaration order."""
    return [n for n in space.dtype.names if table[n].nunique() > 1]


def _figures(table: pd.DataFrame, swept: list[str], metric: str, gates: dict) -> list[Any]:
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    figs = []
    for a, b in list(itertools.combinations(swept, 2))[:6]:
        pivot = table.pivot_table(index=a, columns=b, values=metric, aggfunc="mean")
        z = pivot.to_numpy(dtype=float)
        fig = go.Figure(
            go.Heatmap(
                z=z,
                x=[str(v) for v in pivot.columns],
                y=[str(v) for v in pivot.index],
                colorscale="Cividis",  # perceptually uniform and colour-blind safe
                colorbar={"title": metric},
                text=[[f"{v:.3g}" if np.isfinite(v) else "" for v in row] for row in z],
                texttemplate="%{text}",  # the value in every cell
                hovertemplate=f"{a}=%{{y}}<br>{b}=%{{x}}<br>{metric}=%{{z:.4g}}<extra></extra>",
            )
        )
        fig.update_layout(
            title=f"{metric} (mean over the other params) by {a} x {b}",
            xaxis_title=b,
            yaxis_title=a,
            height=420,
        )
        figs.append(fig)
    if len(swept) == 1:
        g = table.groupby(swept[0])[metric].mean()
        figs.append(
            go.Figure(go.Bar(x=[str(v) for v in g.index], y=g.to_numpy())).update_layout(
                title=f"{metric} by {swept[0]}", height=380
            )
        )
    present = [m for m in _DIST_METRICS if m in table.columns]
    dist = make_subplots(rows=2, cols=3, subplot_titles=present)
    for i, m in enumerate(present):
        vals = table[m].replace([np.inf, -np.inf], np.nan).dropna()
        dist.add_trace(
            go.Histogram(x=vals, name=m, showlegend=False), row=i // 3 + 1, col=i % 3 + 1
        )
    dist.update_layout(title="Metric distributions over all combinations", height=560)
    figs.append(dist)
    if "pbo_logits" in gates:
        logits = gates["pbo_logits"]
        perf_is, perf_oos = gates["pbo_perf"]
        g = make_subplots(
            rows=1,
            cols=2,
            subplot_titles=(
                "CSCV: logit of the IS-best's OOS rank (<= 0: overfit)",
                "IS vs OOS Sharpe of the IS-best (performance degradation)",
            ),
        )
        g.add_trace(go.Histogram(x=logits, showlegend=False), row=1, col=1)
        g.add_trace(
            go.Scattergl(
                x=perf_is, y=perf_oos, mode="markers", marker={"size": 3}, showlegend=False
            ),
            row=1,
            col=2,
        )
        g.add_vline(x=0.0, line_dash="dash", row=1, col=1)
        g.update_layout(height=420)
        figs.append(g)
    return figs


def _gates_html(gates: dict) -> str:
    rows = []
    d = gates.get("dsr")
    if d:
        verdict = "pass" if d["passed"] else "FAIL"
        rows.append(
            f"<tr><td>Deflated Sharpe ratio</td><td>{d['dsr']:.3f}</td><td>&ge; 0.95</td>"
            f"<td>{verdict}</td><td>bucket Sharpe {d['sharpe']:.3f} vs expected max of "
            f"{d.get('n_trials', gates['n_trials'])} unskilled trials (every trial on this lake and "
            f"strategy so far) {d['sr0']:.3f}; skew {d['skew']:.2f}, "
            f"kurtosis {d['kurtosis']:.2f}, {d['n_obs']} buckets</td></tr>"
        )
    p = gates.get("pbo")
    if p:
        verdict = "pass" if p["passed"] else "FAIL"
        rows.append(
            f"<tr><td>Probability of backtest overfitting (CSCV)</td><td>{p['pbo']:.3f}</td>"
            f"<td>&lt; 0.5</td><td>{verdict}</td><td>S={p['n_blocks']} blocks, "
            f"{p['n_splits']} splits; degradation slope {p['degradation_slope']:.3f}; "
            f"P(OOS loss) {p['prob_oos_loss']:.3f}</td></tr>"
        )
    if not rows:
        return "<p>Not enough combinations or buckets for the gates.</p>"
    return (
        "<table><tr><th>gate</th><th>value</th><th>threshold</th><th>verdict</th><th>detail</th>"
        "</tr>" + "".join(rows) + "</table>"
    )


def write_sweep_report(
    path: str | Path,
    table: pd.DataFrame,
    space: np.ndarray,
    gates: dict,
    meta: dict,
    select_by: str = "bucket_sharpe",
    top: int = 20,
    extra_html: str = "",
) -> Path:
    """One self-contained HTML file (plotly.js inlined once, works offline)."""
    path = Path(path)
    swept = swept_params(table, space)
    figs = _figures(table, swept, select_by, gates)
    parts = []
    for i, fig in enumerate(figs):
        parts.append(fig.to_html(full_html=False, include_plotlyjs=(i == 0)))
    top_rows = table.sort_values([select_by, "combo"], ascending=[False, True]).head(top)
    show = [
        "combo",
        *swept,
        "n_trades",
        "win_rate",
        "total_return",
        "bucket_sharpe",
        "max_drawdown",
    ]
    show = [c for c in dict.fromkeys(show) if c in top_rows.columns]
    top_html = top_rows[show].to_html(index=False, float_format=lambda v: f"{v:.4g}")
    title = f"Sweep of {html.escape(str(meta.get('strategy', '')))}"
    summary = (
        f"{meta.get('combos', len(table))} combinations over {meta.get('events', '?')} events "
        f"in {meta.get('seconds', 0.0):.1f} s; selection by <b>{html.escape(select_by)}</b>, "
        f"selected combo {gates.get('selected_combo')}; gates "
        f"<b>{'PASS' if gates.get('passed') else 'FAIL'}</b>."
    )
    doc = f"""<!doctype html><html><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif;margin:24px;max-width:1200px}}
table{{border-collapse:collapse;font-size:13px}}td,th{{border:1px solid #ccc;padding:3px 8px}}
</style></head><body><h1>{title}</h1><p>{summary}</p>
<h2>Overfitting gates of the selection</h2>{_gates_html(gates)}
{extra_html}
<h2>Top {top} combinations by {html.escape(select_by)}</h2>{top_html}
<h2>Parameter heatmaps and distributions</h2>{"".join(parts)}
</body></html>"""
    path.write_text(doc)
    return path
