"""``memelab sprt``: sequential test of a win/loss sequence, or of two backtest runs."""

from __future__ import annotations

from pathlib import Path

import typer
from memelab.cli._common import emit_json, fail, progress


def sprt(
    outcomes: Path | None = typer.Option(
        None, "--outcomes", help="CSV with a 'win' column (1/0) or a trades Parquet: one-arm test."
    ),
    control: Path | None = typer.Option(
        None, "--control", help="Control backtest run directory (holds trades.parquet)."
    ),
    treatment: Path | None = typer.Option(
        None, "--treatment", help="Treatment backtest run directory (holds trades.parquet)."
    ),
    metric: str = typer.Option("win", "--metric", help="Two-arm metric: win (rate) or pnl (SOL)."),
    paired: bool = typer.Option(
        False, "--paired/--unpaired", help="Pair trades on signal_id (shared variance cancels)."
    ),
    p0: float = typer.Option(0.32, "--p0", help="H0 win rate (one-arm)."),
    p1: float = typer.Option(0.40, "--p1", help="H1 win rate (one-arm)."),
    alpha: float = typer.Option(0.05, "--alpha", help="P(accept H1 | H0)."),
    beta: float = typer.Option(0.20, "--beta", help="P(accept H0 | H1)."),
    delta0: float = typer.Option(0.0, "--delta0", help="Two-arm H0 effect (treatment - control)."),
    delta1: float | None = typer.Option(
        None,
        "--delta1",
        help="Two-arm H1 effect; default p1 - p0 for win; for pnl a quarter of the control's "
        "per-trade P&L standard deviation (from the control run only).",
    ),
    min_n: int = typer.Option(30, "--min-n", help="Two-arm: no decision before this many units."),
    sims: int = typer.Option(
        20_000, "--sims", help="Simulated tests per OC/ASN point (fewer for very long designs)."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of every simulation (reproducible)."),
    out: Path | None = typer.Option(None, "--out", help="Write sprt.json and report.html here."),
    as_json: bool = typer.Option(False, "--json", help="Print {decision, n, llr, ...} as JSON."),
) -> None:
    """Wald's SPRT on win/loss outcomes, or a two-arm control-vs-treatment sequential test.

    One-arm: --outcomes FILE [--p0 --p1 --alpha --beta].
    Two-arm: --control RUN_DIR --treatment RUN_DIR [--metric win|pnl] [--paired] --out DIR.
    """
    from memelab.research.sprt.analysis import (
        DELTA1_SD_FRACTION,
        analyse_outcomes,
        analyse_runs,
        default_pnl_delta1,
        load_outcomes,
        load_trades,
        save_analysis,
        summary,
    )
    from memelab.research.sprt.twoarm import TwoArmSPRT
    from memelab.research.sprt.wald import BernoulliSPRT, SPRTError

    two_arm = control is not None or treatment is not None
    if two_arm == (outcomes is not None):
        fail("give either --outcomes FILE, or --control RUN_DIR and --treatment RUN_DIR")
    if two_arm and (control is None or treatment is None):
        fail("a two-arm test needs both --control and --treatment")
    if metric not in ("win", "pnl"):
        fail(f"--metric must be win or pnl, got {metric!r}")
    if sims < 100:
        fail(f"--sims must be >= 100, got {sims}")

    def bar(items):
        return progress(list(items), desc="OC/ASN curves", unit="point")

    try:
        if two_arm:
            control_trades = load_trades(control)
            d1 = delta1
            if d1 is None and metric == "win":
                d1 = round(p1 - p0, 12)
            elif d1 is None:
                d1 = default_pnl_delta1(control_trades)
                if not as_json:
                    typer.echo(
                        f"delta1 = {d1:.4g} SOL per trade ({DELTA1_SD_FRACTION:g} x the control's "
                        "per-trade P&L std; set --delta1 to choose)"
                    )
            test = TwoArmSPRT(delta0=delta0, delta1=d1, alpha=alpha, beta=beta, min_n=min_n)
            record = analyse_runs(
                control_trades, load_trades(treatment), metric, paired, test,
                n_seq=sims, seed=seed, progress=bar, sources=(str(control), str(treatment)),
            )  # fmt: skip
        else:
            test = BernoulliSPRT(p0=p0, p1=p1, alpha=alpha, beta=beta)
            x = load_outcomes(outcomes)
            record = analyse_outcomes(
                x, test, n_seq=sims, seed=seed, progress=bar, source=str(outcomes)
            )
    except SPRTError as exc:
        fail(str(exc))

    if out is not None:
        paths = save_analysis(record, out)
    if as_json:
        emit_json(summary(record))
        return
    s = summary(record)
    typer.echo(
        f"{s['decision']}  n={s['n']} of {s['n_total']}  llr={s['llr']:.4f}  "
        f"(A={s['boundaries']['upper']:.4f}, B={s['boundaries']['lower']:.4f})"
    )
    if s.get("reason"):
        typer.echo(f"why continue: {s['reason']}")
    if "estimate" in s:
        e = s["estimate"]
        typer.echo(
            f"estimate {e['point']:.4g} [{e['lo']:.4g}, {e['hi']:.4g}] ({e['method']}; "
            f"naive {e['naive']:.4g})"
        )
    if "pairing" in s:
        p = s["pairing"]
        typer.echo(
            f"{p['mode']} on {p['metric']}: {p['units']} units, unmatched control "
            f"{p['unmatched_control']}, treatment {p['unmatched_treatment']}"
        )
    if out is not None:
        typer.echo(f"wrote {paths['json']} and {paths['html']}")
