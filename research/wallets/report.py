"""HTML reports of wallet research: score distribution, top wallets with intervals, cluster graph.

Plotly, self-contained (plotly.js inlined once per file: reports open offline).
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


def _figs_to_html(title: str, blocks: list[tuple[str, Any]], facts: dict[str, Any]) -> str:
    import plotly.io as pio

    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title>",
        "<style>body{font-family:sans-serif;margin:2em;max-width:1200px}"
        "table{border-collapse:collapse}td,th{padding:2px 10px;text-align:right}</style>",
        f"</head><body><h1>{html.escape(title)}</h1><table>",
    ]
    for k, v in facts.items():
        value = f"{v:,.4g}" if isinstance(v, float) else html.escape(str(v))
        parts.append(f"<tr><th>{html.escape(k)}</th><td>{value}</td></tr>")
    parts.append("</table>")
    first = True
    for heading, fig in blocks:
        parts.append(f"<h2>{html.escape(heading)}</h2>")
        parts.append(pio.to_html(fig, include_plotlyjs=first, full_html=False))
        first = False
    parts.append("</body></html>")
    return "\n".join(parts)


def score_figures(scores: pd.DataFrame, top_n: int = 30, min_resolved: int = 5) -> list:
    """(heading, figure) pairs: score histogram by tier and the top wallets with intervals."""
    import plotly.graph_objects as go

    blocks = []
    hist = go.Figure()
    for tier in ("low", "mid", "top"):
        sel = scores[(scores["tier"] == tier) & (scores["resolved"] >= min_resolved)]
        hist.add_trace(go.Histogram(x=sel["score"], name=tier, nbinsx=60, opacity=0.75))
    hist.update_layout(
        barmode="overlay",
        xaxis_title="posterior mean win rate",
        yaxis_title=f"wallets (>= {min_resolved} resolved buys)",
    )
    blocks.append(("Score distribution by tier", hist))
    top = (
        scores[scores["resolved"] >= min_resolved]
        .sort_values(["low", "score"], ascending=False)
        .head(top_n)
        .iloc[::-1]
    )
    labels = [
        f"{w[:6]}…{w[-4:]} ({n})" for w, n in zip(top["wallet"], top["resolved"], strict=True)
    ]
    bar = go.Figure(
        go.Scatter(
            x=top["score"],
            y=labels,
            mode="markers",
            error_x={
                "type": "data",
                "symmetric": False,
                "array": top["high"] - top["score"],
                "arrayminus": top["score"] - top["low"],
            },
            text=top["wallet"],
            hovertemplate="%{text}<br>score %{x:.3f}<extra></extra>",
        )
    )
    bar.update_layout(
        height=max(400, 22 * len(top)),
        xaxis_title="posterior mean with 95% credible interval",
        yaxis_title="wallet (resolved buys)",
    )
    blocks.append((f"Top {len(top)} wallets by lower credible bound", bar))
    return blocks


def cluster_figure(clusters: pd.DataFrame, edges: pd.DataFrame, max_clusters: int = 40):
    """Sybil clusters as a graph: one ring per cluster on a grid, kept wallet highlighted."""
    import plotly.graph_objects as go

    sel = clusters[clusters["cluster"] < max_clusters]
    pos: dict[int, tuple[float, float]] = {}
    cols = max(1, int(np.ceil(np.sqrt(max(1, sel["cluster"].nunique())))))
    for c, grp in sel.groupby("cluster"):
        cx, cy = (c % cols) * 3.0, -(c // cols) * 3.0
        k = len(grp)
        for r, w in enumerate(grp["wallet_idx"]):
            angle = 2 * np.pi * r / k
            pos[int(w)] = (cx + np.cos(angle), cy + np.sin(angle))
    ex: list[float | None] = []
    ey: list[float | None] = []
    for i, j in zip(edges["i"], edges["j"], strict=True):
        if int(i) in pos and int(j) in pos:
            ex += [pos[int(i)][0], pos[int(j)][0], None]
            ey += [pos[int(i)][1], pos[int(j)][1], None]
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(x=ex, y=ey, mode="lines", line={"width": 0.5, "color": "#999"}, name="co-buy")
    )
    for keep, color, name in ((False, "#d62728", "dropped"), (True, "#2ca02c", "kept")):
        part = sel[sel["keep"] == keep]
        fig.add_trace(
            go.Scatter(
                x=[pos[int(w)][0] for w in part["wallet_idx"]],
                y=[pos[int(w)][1] for w in part["wallet_idx"]],
                mode="markers",
                marker={"size": 8, "color": color},
                name=name,
                text=[
                    f"{w} (cluster {c})"
                    for w, c in zip(part["wallet"], part["cluster"], strict=True)
                ],
                hovertemplate="%{text}<extra></extra>",
            )
        )
    fig.update_layout(
        height=700,
        xaxis={"visible": False},
        yaxis={"visible": False, "scaleanchor": "x"},
        title=f"{min(max_clusters, clusters['cluster'].nunique())} largest clusters "
        "(edges: Jaccard above the threshold)",
    )
    return fig


def write_report(
    path: str | Path,
    title: str,
    facts: dict[str, Any],
    scores: pd.DataFrame | None = None,
    clusters: pd.DataFrame | None = None,
    edges: pd.DataFrame | None = None,
    smart: pd.DataFrame | None = None,
) -> Path:
    """Write one self-contained HTML report from whichever parts are given."""
    import plotly.graph_objects as go

    blocks: list[tuple[str, Any]] = []
    if scores is not None and len(scores):
        blocks += score_figures(scores)
    if smart is not None and len(smart):
        top = smart.head(30).iloc[::-1]
        fig = go.Figure(
            go.Bar(
                x=top["rate_low"],
                y=[
                    f"{w[:6]}…{w[-4:]} ({n})"
                    for w, n in zip(top["wallet"], top["tokens"], strict=True)
                ],
                orientation="h",
                text=top["good"],
            )
        )
        fig.update_layout(
            height=max(400, 22 * len(top)),
            xaxis_title="lower credible bound of the rate of early tokens that did well",
        )
        blocks.append(("Smart money: early on many tokens that did well", fig))
    if clusters is not None and len(clusters) and edges is not None:
        blocks.append(("Sybil clusters", cluster_figure(clusters, edges)))
    path = Path(path)
    path.write_text(_figs_to_html(title, blocks, facts))
    return path
