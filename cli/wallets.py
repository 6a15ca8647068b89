"""``memelab wallets ...``: score wallets on a lake, and build the co-buy / sybil / smart-money graph."""

from __future__ import annotations

from pathlib import Path

import typer
from memelab.cli._common import emit_json, fail

app = typer.Typer(no_args_is_help=True)


@app.command("score")
def score(
    lake: Path = typer.Option(..., "--lake", help="Lake directory."),
    out: Path = typer.Option(..., "--out", help="Output directory."),
    start: str = typer.Option(None, "--from", help="Start (ISO-8601 or epoch), inclusive."),
    end: str = typer.Option(None, "--to", help="End (ISO-8601 or epoch), exclusive."),
    prior: str = typer.Option("eb", help="'eb' (fit to the wallet population) or 'A,B'."),
    fdr: float = typer.Option(0.1, help="False-discovery rate for the 'top' wallets."),
    threshold: float = typer.Option(
        None, help="Win rate a top wallet must beat (default: the prior mean)."
    ),
    tp: float = typer.Option(0.20, help="Win: VWAP reaches +tp ..."),
    sl: float = typer.Option(0.08, help="... before -sl ..."),
    horizon_s: float = typer.Option(900.0, "--horizon-s", help="... within this many seconds."),
    vwap_n: int = typer.Option(20, "--vwap-n", help="VWAP over the last N trades of the mint."),
    cobuy_window_s: float = typer.Option(10.0, "--cobuy-window-s", help="Co-buy time bucket."),
    audit_per_tier: int = typer.Option(10, "--audit-per-tier", help="Audit sample per tier."),
    seed: int = typer.Option(0, help="Seed of the audit sample."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    scheduler: str = typer.Option(
        None, "--scheduler", help="Dask scheduler tcp://host:port (workers see the same lake)."
    ),
) -> None:
    """Label every buy causally and score every wallet over all resolved buys in the range.

    Writes wallet_scores.parquet (wallet, buys, wins, score, low/high, q-value, tier, cluster),
    wallet_labels.parquet, clusters.parquet, audit.parquet (stratified audit: promote > 55%,
    demote < 30% on each sampled wallet's last 10 resolved buys), summary.json and report.html.
    """
    from memelab.datasets.lake import parse_time
    from memelab.research.wallets.labels import LabelParams
    from memelab.research.wallets.pipeline import score_lake

    prior_arg: str | tuple[float, float] = prior
    if prior != "eb":
        try:
            a, b = (float(x) for x in prior.split(","))
        except ValueError:
            fail(f"--prior must be 'eb' or 'ALPHA,BETA' (e.g. 3,5), got {prior!r}")
        prior_arg = (a, b)
    try:
        params = LabelParams(tp=tp, sl=sl, horizon_s=horizon_s, vwap_n=vwap_n)
        summary = score_lake(
            lake, out, parse_time(start), parse_time(end), params, prior_arg, fdr, threshold,
            cobuy_window_s, audit_per_tier=audit_per_tier, seed=seed, scheduler=scheduler,
        )  # fmt: skip
    except ValueError as exc:
        fail(str(exc))
    if as_json:
        emit_json(summary)
        return
    p = summary["prior"]
    typer.echo(
        f"{summary['wallets']:,} wallets, {summary['buys']:,} buys ({summary['resolved']:,} "
        f"resolved, {summary['wins']:,} wins); prior Beta({p['alpha']:.3g}, {p['beta']:.3g}) "
        f"[{p['method']}]"
    )
    typer.echo(
        f"top wallets at FDR {summary['fdr']}: {summary['top_wallets']:,}; tiers {summary['tiers']}; "
        f"sybil clusters {summary['clusters']:,} ({summary['clustered_wallets']:,} wallets); "
        f"audit {summary['audit']}"
    )
    typer.echo(f"wrote {out / 'wallet_scores.parquet'} and {out / 'report.html'}")


@app.command("graph")
def graph(
    out: Path = typer.Option(..., "--out", help="Output directory."),
    lake: Path = typer.Option(None, "--lake", help="Lake directory."),
    kam1cadzee: Path = typer.Option(
        None, help="Kam1Cadzee statistic_*.json folder (real early-buyer lists) instead of a lake."
    ),
    start: str = typer.Option(None, "--from", help="Start (lake only)."),
    end: str = typer.Option(None, "--to", help="End (lake only)."),
    window_s: float = typer.Option(
        10.0, "--window-s", help="Co-buy time bucket in s (lake only; 0: same mint at any time)."
    ),
    early_s: float = typer.Option(
        None, "--early-s", help="Only buys within this many s of a mint's first trade (lake)."
    ),
    threshold: float = typer.Option(0.7, help="Sybil edge: Jaccard above this."),
    min_common: int = typer.Option(3, "--min-common", help="Sybil edge: shared mints at least."),
    min_mints: int = typer.Option(3, "--min-mints", help="Wallets with fewer mints are left out."),
    good_mc: float = typer.Option(40.0, "--good-mc", help="Kam1Cadzee: a token did well at mc."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Co-buy similarity, sybil clusters (keep the best of each) and smart-money ranking.

    Writes clusters.parquet, smart_money.parquet, graph.json and report.html.
    """
    from memelab.datasets.lake import parse_time
    from memelab.research.wallets.pipeline import graph_kam1cadzee, graph_lake

    if (lake is None) == (kam1cadzee is None):
        fail("give exactly one of --lake or --kam1cadzee")
    try:
        if kam1cadzee is not None:
            summary = graph_kam1cadzee(kam1cadzee, out, good_mc, threshold, min_common, min_mints)
        else:
            summary = graph_lake(
                lake, out, parse_time(start), parse_time(end), window_s or None, early_s,
                threshold, min_common, min_mints,
            )  # fmt: skip
    except (ValueError, FileNotFoundError) as exc:
        fail(str(exc))
    if as_json:
        emit_json(summary)
        return
    s = summary
    typer.echo(
        f"{s['wallets_in_graph']:,} wallets in the graph, {s['cobuy_pairs_min_common']:,} pairs "
        f"sharing >= {s['min_common']} mints; {s['clusters']:,} sybil clusters "
        f"({s['clustered_wallets']:,} wallets, largest {s['largest_cluster']}); "
        f"{s['smart_money_ranked']:,} ranked for smart money; {s['seconds']:.1f} s, "
        f"peak {s['peak_rss_mb']:.0f} MB"
    )
    typer.echo(f"wrote {out / 'clusters.parquet'} and {out / 'report.html'}")


@app.command("evaluate")
def evaluate(
    lake: Path = typer.Option(..., "--lake", help="A synthetic lake (with wallets_truth)."),
    min_resolved: int = typer.Option(20, "--min-resolved", help="AUC over wallets with >= N."),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
) -> None:
    """Check scores and sybil clusters against a synthetic lake's planted wallet kinds."""
    from memelab.research.wallets.evaluate import evaluate_on_truth

    try:
        res = evaluate_on_truth(lake, min_resolved=min_resolved)
    except ValueError as exc:
        fail(str(exc))
    if as_json:
        emit_json(res)
        return
    typer.echo(
        f"ROC AUC alpha vs rest: {res['auc_alpha_vs_rest']:.4f} over {res['eligible_wallets']:,} "
        f"wallets with >= {min_resolved} resolved buys ({res['eligible_alpha']} alpha)"
    )
    typer.echo(
        f"sybil clusters: ARI {res['ari']:.4f} ({res['found_clusters']} found, "
        f"{res['planted_clusters']} planted)"
    )
