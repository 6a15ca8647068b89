"""SPRT report: one self-contained HTML page drawn from an analysis record (``sprt.json``).

Panels: the LLR path against its two boundaries (with the stopping sample), the cumulative win
rate (or mean P&L) of each arm, and the OC and ASN curves, Monte Carlo beside Wald. plotly.js is
embedded once, so the page opens offline.
"""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np

# Okabe-Ito (colour-blind safe); control and treatment also differ in dash and width.
_COLORS = {"control": "#E69F00", "treatment": "#0072B2", "mc": "#D55E00", "wald": "#009E73"}
_DASH = {"control": "dash", "treatment": "solid"}


def _fmt(v: object, digits: int = 4) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.{digits}g}"
    return html.escape(str(v))


def llr_figure(record: dict):
    import plotly.graph_objects as go

    path = np.asarray(record["llr_path"], dtype=float)
    k = np.arange(1, path.size + 1)
    up, lo = record["boundaries"]["upper"], record["boundaries"]["lower"]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=k, y=path, mode="lines", name="LLR", line={"color": "#0072B2"}))
    fig.add_hline(y=up, line_dash="dash", line_color="#009E73", annotation_text="accept H1 (A)")
    fig.add_hline(y=lo, line_dash="dash", line_color="#D55E00", annotation_text="accept H0 (B)")
    if record["decision"] != "continue" and path.size:
        n = record["n"]
        fig.add_vline(x=n, line_dash="dot", line_color="black")
        fig.add_trace(
            go.Scatter(
                x=[n], y=[record["llr"]], mode="markers", name=f"stop: {record['decision']}",
                marker={"size": 11, "color": "black", "symbol": "x"},
            )
        )  # fmt: skip
    fig.update_layout(
        title="Log-likelihood ratio against Wald's boundaries",
        xaxis_title="outcomes" if record["kind"] == "one_arm" else "units (pairs)",
        yaxis_title="LLR",
        height=420,
    )
    fig.update_xaxes(tickformat="d", rangemode="tozero")
    return fig


def arms_figure(record: dict):
    import plotly.graph_objects as go

    one_arm = record["kind"] == "one_arm"
    metric = "win" if one_arm else record["params"].get("metric", "win")
    fig = go.Figure()
    for arm, series in record["series"].items():
        y = np.asarray(series, dtype=float)
        fig.add_trace(
            go.Scatter(
                x=np.arange(1, y.size + 1), y=y, mode="lines", name=arm,
                line={"color": _COLORS.get(arm), "dash": _DASH.get(arm, "solid"),
                      "width": 2.5 if arm == "control" else 1.8},
            )
        )  # fmt: skip
    if one_arm:
        for name, v in record["reference_lines"].items():
            fig.add_hline(y=v, line_dash="dot", annotation_text=name)
    if record["decision"] != "continue":
        fig.add_vline(x=record["n"], line_dash="dot", line_color="black")
    label = "cumulative win rate" if metric == "win" else "cumulative mean P&L (SOL/trade)"
    fig.update_layout(title=label.capitalize(), xaxis_title="trades", yaxis_title=label, height=380)
    fig.update_xaxes(tickformat="d", rangemode="tozero")  # counts: integer ticks
    return fig


def curves_figure(record: dict):
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    curves = record["curves"]
    one_arm = record["kind"] == "one_arm"
    xlabel = "true win rate p" if one_arm else "true effect (treatment - control)"
    fig = make_subplots(rows=1, cols=2, subplot_titles=("OC: P(accept H0)", "ASN: mean samples"))
    for key, label, color in (("monte_carlo", "Monte Carlo", _COLORS["mc"]),
                              ("wald", "Wald approximation", _COLORS["wald"])):  # fmt: skip
        c = curves[key]
        dash = None if key == "monte_carlo" else "dash"
        fig.add_trace(go.Scatter(x=c["grid"], y=c["oc"], name=f"OC {label}",
                                 line={"color": color, "dash": dash}), row=1, col=1)  # fmt: skip
        err = None
        if c.get("asn_se") is not None:
            err = {"type": "data", "array": [2 * s for s in c["asn_se"]], "visible": True}
        fig.add_trace(go.Scatter(x=c["grid"], y=c["asn"], name=f"ASN {label}", error_y=err,
                                 line={"color": color, "dash": dash}), row=1, col=2)  # fmt: skip
    for v in record["reference_lines"].values():
        for col in (1, 2):
            fig.add_vline(x=v, line_dash="dot", line_color="#999", row=1, col=col)
    fig.update_xaxes(title_text=xlabel)
    fig.update_layout(title="Operating characteristics of this design", height=420)
    return fig


def _summary_rows(record: dict) -> list[tuple[str, str]]:
    p = record["params"]
    rows = [("decision", f"<b>{_fmt(record['decision'])}</b>")]
    rows.append(("samples used / available", f"{record['n']} / {record['n_total']}"))
    rows.append(("LLR at decision (or last)", _fmt(record["llr"])))
    b = record["boundaries"]
    rows.append(("boundaries A / B", f"{_fmt(b['upper'])} / {_fmt(b['lower'])}"))
    rows.append(("overshoot past the boundary", _fmt(record.get("overshoot"))))
    if record["kind"] == "one_arm":
        hyp = f"H0: p = {p['p0']} vs H1: p = {p['p1']}"
    else:
        hyp = (f"H0: effect = {p['delta0']} vs H1: effect = {p['delta1']} "
               f"({p['metric']}, {p['mode']}, no decision before {p['min_n']} units)")  # fmt: skip
    rows.append(("hypotheses", html.escape(hyp)))
    rows.append(("alpha / beta", f"{p['alpha']} / {p['beta']}"))
    if "estimate" in record:
        e = record["estimate"]
        rows.append(
            (
                "estimate (median-unbiased)",
                f"{_fmt(e['point'])} [{_fmt(e['lo'])}, {_fmt(e['hi'])}] at "
                f"{_fmt(e['level'])}; naive {_fmt(e['naive'])} ({_fmt(e['method'])})",
            )
        )
    if "design" in record:
        d = record["design"]
        rows.append(
            (
                "simulated error rates",
                f"alpha {_fmt(d['alpha_mc'])} (nominal {d['alpha_nominal']}), "
                f"beta {_fmt(d['beta_mc'])} (nominal {d['beta_nominal']}); "
                f"{d['n_seq']} simulated tests per point",
            )
        )
        if d.get("truncated_h0_mc") or d.get("truncated_h1_mc"):
            rows.append(
                (
                    "no decision within the simulation horizon",
                    f"{_fmt(d['truncated_h0_mc'])} under H0, {_fmt(d['truncated_h1_mc'])} under "
                    f"H1 (simulated tests stop at {d['max_n']} units): the design needs far more "
                    "data than this; consider a larger effect or looser error rates",
                )
            )
        rows.append(
            (
                "ASN under H0 / H1",
                f"Monte Carlo {_fmt(d['asn_h0_mc'])} / {_fmt(d['asn_h1_mc'])}; "
                f"Wald {_fmt(d['asn_h0_wald'])} / {_fmt(d['asn_h1_wald'])}",
            )
        )
    if "pairing" in record:
        pr = record["pairing"]
        rows.append(
            (
                "pairing",
                f"{pr['mode']}: {pr['units']} units; unmatched control {pr['unmatched_control']}, "
                f"treatment {pr['unmatched_treatment']}; arm correlation "
                f"{_fmt(pr['arm_correlation'], 3)}",
            )
        )
    for note in record.get("notes", []) + record.get("estimate", {}).get("notes", []):
        rows.append(("note", html.escape(note)))
    return rows


def render_report(record: dict) -> str:
    """The whole HTML page as a string."""
    figs = [llr_figure(record), arms_figure(record)]
    if "curves" in record:
        figs.append(curves_figure(record))
    parts = [
        fig.to_html(full_html=False, include_plotlyjs=(i == 0), default_width="100%")
        for i, fig in enumerate(figs)
    ]
    table = "\n".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in _summary_rows(record))
    title = "SPRT: " + ("win rate" if record["kind"] == "one_arm" else "control vs treatment")
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;margin:1.5em;max-width:1200px}}
table{{border-collapse:collapse}}th,td{{text-align:left;padding:3px 10px;border-bottom:1px solid #ddd}}
</style></head><body>
<h1>{html.escape(title)}</h1>
<table>{table}</table>
{"".join(parts)}
<p style="color:#666">Wald's curves assume the LLR stops exactly on a boundary; the Monte Carlo
curves simulate the whole test, overshoot included. See docs/sprt.md.</p>
</body></html>
"""


def write_report(record: dict, path: str | Path) -> Path:
    path = Path(path)
    path.write_text(render_report(record), encoding="utf-8")
    return path
