"""HTML report of one or more registered models: ROC, calibration curve, feature importances,
training history. Plotly, self-contained (plotly.js inlined once: opens offline)."""

from __future__ import annotations

import html
import os
from pathlib import Path
from typing import Any

from memelab.research.models.registry import read_entry


def _page(title: str, facts: list[dict[str, Any]], blocks: list[tuple[str, Any]]) -> str:
    import plotly.io as pio

    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title>",
        "<style>body{font-family:sans-serif;margin:2em;max-width:1200px}"
        "table{border-collapse:collapse}td,th{padding:2px 10px;text-align:right}</style>",
        f"</head><body><h1>{html.escape(title)}</h1><table>",
    ]
    if facts:
        keys = list(facts[0])
        parts.append("<tr>" + "".join(f"<th>{html.escape(k)}</th>" for k in keys) + "</tr>")
        for row in facts:
            cells = []
            for k in keys:
                v = row.get(k)
                cells.append(f"{v:,.4g}" if isinstance(v, float) else html.escape(str(v)))
            parts.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    parts.append("</table>")
    first = True
    for heading, fig in blocks:
        parts.append(f"<h2>{html.escape(heading)}</h2>")
        parts.append(pio.to_html(fig, include_plotlyjs=first, full_html=False))
        first = False
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(model_dirs: list[str | os.PathLike[str]], out: str | os.PathLike[str]) -> Path:
    """One HTML page comparing the models at ``model_dirs`` on their test periods."""
    import plotly.graph_objects as go

    entries = [(Path(d), read_entry(d)) for d in model_dirs]
    roc, cal, imp, hist = go.Figure(), go.Figure(), go.Figure(), go.Figure()
    roc.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="chance",
                             line={"dash": "dot", "color": "grey"}))  # fmt: skip
    cal.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="perfect",
                             line={"dash": "dot", "color": "grey"}))  # fmt: skip
    facts = []
    for d, e in entries:
        label = f"{e['kind']} ({d.name})"
        test = e["metrics"]["test"]
        facts.append({
            "model": label, "test AUC": test.get("auc"), "valid AUC": e["metrics"]["valid"].get("auc"),
            "log loss": test.get("log_loss"), "constant log loss": test.get("log_loss_constant"),
            "Brier": test.get("brier"), "precision@5%": (test.get("precision_at") or {}).get("0.05"),
            "n test": test.get("n"), "device": e.get("device"), "seed": e.get("seed"),
            "code": (e.get("code_version") or "")[:12],
        })  # fmt: skip
        if test.get("roc"):
            roc.add_trace(go.Scatter(x=test["roc"]["fpr"], y=test["roc"]["tpr"], mode="lines",
                                     name=f"{label} AUC {test['auc']:.3f}"))  # fmt: skip
        if test.get("calibration"):
            c = test["calibration"]
            cal.add_trace(go.Scatter(x=[b["mean_p"] for b in c], y=[b["frac_pos"] for b in c],
                                     mode="lines+markers", name=label,
                                     text=[f"n={b['n']}" for b in c]))  # fmt: skip
        items = sorted(e.get("importance", {}).items(), key=lambda kv: -(kv[1] or 0.0))
        imp.add_trace(go.Bar(x=[k for k, _ in items], y=[v for _, v in items], name=label))
        if e.get("history"):
            h = e["history"]
            hist.add_trace(go.Scatter(x=[r["epoch"] for r in h], y=[r["valid_loss"] for r in h],
                                      mode="lines+markers", name=f"{label} valid"))  # fmt: skip
            hist.add_trace(go.Scatter(x=[r["epoch"] for r in h], y=[r["train_loss"] for r in h],
                                      mode="lines", name=f"{label} train"))  # fmt: skip
    roc.update_layout(xaxis_title="false positive rate", yaxis_title="true positive rate")
    cal.update_layout(xaxis_title="predicted probability", yaxis_title="observed frequency")
    imp.update_layout(barmode="group", yaxis_title="importance (per model's own scale)")
    hist.update_layout(xaxis_title="epoch", yaxis_title="log loss")
    blocks = [("ROC (test period)", roc), ("Calibration (test period)", cal),
              ("Feature importances", imp)]  # fmt: skip
    if hist.data:
        blocks.append(("Training history", hist))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(_page("memelab models", facts, blocks))
    return out
