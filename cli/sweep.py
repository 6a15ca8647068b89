"""``memelab sweep`` and ``memelab validate``: parameter sweeps and walk-forward selection."""

from __future__ import annotations

from pathlib import Path

import typer
from memelab.cli._common import check_engine_values, emit_json, fail, parse_window, progress

LakeOpt = typer.Option(..., "--lake", help="Lake directory (workers read it themselves).")
StrategyOpt = typer.Option("momentum", "--strategy", help="Strategy name.")
GridOpt = typer.Option(
    None,
    "--grid",
    help="NAME=v1,v2,... or NAME=start:stop:step (repeatable). Default: the strategy's SWEEP.",
)
ParamOpt = typer.Option(None, "--param", help="Fix a parameter: NAME=VALUE (repeatable).")
RandomOpt = typer.Option(None, "--random", help="Draw N combinations from the grid (seeded).")
ConstraintOpt = typer.Option(
    None, "--constraint", help='Skip combinations failing EXPR, e.g. "min_trades * 2 < window_s".'
)
SeedOpt = typer.Option(0, "--seed", help="Seed of the random draw.")
SelectOpt = typer.Option(
    "bucket_sharpe", "--select", help="Metric that picks the best combination."
)
ConfigOpt = typer.Option(None, "--config", help="Engine config overrides as a JSON/YAML file.")
OutOpt = typer.Option(..., "--out", help="Output directory.")
JsonOpt = typer.Option(False, "--json", help="Print the summary as JSON.")


def _space(
    strategy: str, grid: list[str] | None, param: list[str] | None, n_random, constraint, seed
):
    from memelab.research.sweeps.params import parse_grid_arg
    from memelab.research.sweeps.sweep import space_for
    from memelab.strategies import get_strategy

    mod = get_strategy(strategy)
    axes = dict(parse_grid_arg(g) for g in grid) if grid else dict(mod.SWEEP)
    for p in param or []:
        name, values = parse_grid_arg(p)
        if len(values) != 1:
            raise ValueError(f"--param {p!r}: give one value (use --grid for several)")
        axes[name] = values
    return space_for(mod, axes, n_random, constraint, seed)


def _config(path: Path | None):
    from memelab.engine import EngineConfig

    if path is None:
        return EngineConfig()
    import json

    text = path.read_text()
    if path.suffix in (".yaml", ".yml"):
        import yaml

        data = yaml.safe_load(text)
    else:
        data = json.loads(text)
    if not isinstance(data or {}, dict):
        fail(f"--config {path}: expected a mapping of EngineConfig fields")
    check_engine_values(data or {}, f"--config {path}:")
    return EngineConfig.from_dict(data or {})


def _check_select(select_by: str) -> None:
    """``--select`` names a metric of the results table; checked before any work starts."""
    from memelab.research.sweeps.sweep import METRIC_COLUMNS

    if select_by not in METRIC_COLUMNS:
        fail(f"--select {select_by!r}: not a metric; known: {', '.join(METRIC_COLUMNS)}")


def _strategy_name(strategy: str) -> str:
    from memelab.strategies import get_strategy

    return get_strategy(strategy).NAME


def _lake_window(lake: Path, start: str | None, end: str | None):
    from memelab.datasets.lake import Lake

    return parse_window(start, end, Lake(lake).require())


def sweep(
    lake: Path = LakeOpt,
    strategy: str = StrategyOpt,
    grid: list[str] = GridOpt,
    param: list[str] = ParamOpt,
    n_random: int = RandomOpt,
    constraint: str = ConstraintOpt,
    seed: int = SeedOpt,
    select_by: str = SelectOpt,
    start: str = typer.Option(None, "--from", help="Start time (ISO-8601 or epoch)."),
    end: str = typer.Option(None, "--to", help="End time, exclusive."),
    buckets: int = typer.Option(64, "--buckets", help="Time buckets for the DSR/PBO returns."),
    scheduler: str = typer.Option(None, "--scheduler", help="Dask scheduler, tcp://host:8786."),
    workers: int = typer.Option(None, "--workers", help="Run on a local Dask cluster of N."),
    memory_mb: float = typer.Option(1024.0, "--memory-mb", help="Memory budget per process."),
    top_trades: int = typer.Option(
        0, "--top-trades", help="Keep each combination's K best trades (top_trades.parquet)."
    ),
    config: Path = ConfigOpt,
    out: Path = OutOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Sweep a strategy's params over a lake: results.parquet, best.json, report.html."""
    from memelab.datasets.jsonio import staged_output_dir
    from memelab.research.sweeps.params import ParamError
    from memelab.research.sweeps.sweep import SweepError, run_sweep
    from memelab.research.validation.gates import ValidationError, format_gates
    from memelab.research.validation.trials import record_trials
    from memelab.strategies import get_strategy

    _check_select(select_by)
    t0, t1 = _lake_window(lake, start, end)
    try:
        space = _space(strategy, grid, param, n_random, constraint, seed)
        cfg = _config(config)
        if scheduler or workers:
            from memelab.research.sweeps.distributed import run_sweep_distributed

            res = run_sweep_distributed(
                lake, get_strategy(strategy), space, config=cfg, start=t0, end=t1, n_buckets=buckets,
                scheduler=scheduler, workers=workers or 2, memory_mb=memory_mb, progress=progress,
                top_k=top_trades,
            )  # fmt: skip
        else:
            res = run_sweep(
                lake, get_strategy(strategy), space, config=cfg, start=t0, end=t1, n_buckets=buckets,
                memory_mb=memory_mb, progress=progress, top_k=top_trades,
            )  # fmt: skip
        total = record_trials(
            lake, res.strategy, len(space), "sweep", select_by=select_by, start=t0, end=t1
        )
        res.prior_trials = total - len(space)
        with staged_output_dir(out) as stage:
            doc = res.save(stage, select_by)
    except (ParamError, SweepError, ValidationError, ValueError) as exc:
        fail(str(exc))
    summary = {
        "out": str(out),
        "combos": doc["meta"]["combos"],
        "events": doc["meta"]["events"],
        "seconds": round(doc["meta"]["seconds"], 3),
        "best": {
            "combo": doc["combo"],
            "params": doc["params"],
            select_by: doc["metrics"].get(select_by),
        },
        "dsr": doc["gates"].get("dsr", {}).get("dsr"),
        "pbo": doc["gates"].get("pbo", {}).get("pbo"),
        "gates_passed": doc["gates"]["passed"],
        "trials_total": doc["gates"]["n_trials_total"],
    }
    if as_json:
        emit_json(summary)
        return
    typer.echo(
        f"{summary['combos']} combinations x {summary['events']:,} events in {summary['seconds']} s"
    )
    typer.echo(f"best (by {select_by}): combo {doc['combo']} {doc['params']}")
    m = doc["metrics"]
    typer.echo(
        f"  trades {m['n_trades']}  win rate {m['win_rate'] * 100:.1f}%  total return "
        f"{m['total_return'] * 100:+.2f}%  bucket Sharpe {m['bucket_sharpe']:.3f} (per bucket, not "
        f"annualised)  max dd {m['max_drawdown'] * 100:.2f}%"
    )
    for line in format_gates(doc["gates"]):
        typer.echo(line)
    typer.echo(f"wrote {out}/results.parquet, best.json, report.html")


def validate(
    lake: Path = LakeOpt,
    strategy: str = StrategyOpt,
    grid: list[str] = GridOpt,
    param: list[str] = ParamOpt,
    n_random: int = RandomOpt,
    constraint: str = ConstraintOpt,
    seed: int = SeedOpt,
    select_by: str = SelectOpt,
    walk_forward: str = typer.Option(
        ..., "--walk-forward", help="TRAIN/TEST window lengths, e.g. 6h/2h (units s m h d w)."
    ),
    step: str = typer.Option(None, "--step", help="Fold step (default: TEST)."),
    expanding: bool = typer.Option(False, "--expanding", help="Expanding instead of rolling."),
    purge: str = typer.Option("0", "--purge", help="Drop this much of each train window's end."),
    embargo: str = typer.Option("0", "--embargo", help="Gap between train end and test start."),
    buckets: int = typer.Option(16, "--buckets-per-fold", help="Return buckets per test window."),
    scheduler: str = typer.Option(None, "--scheduler", help="Dask scheduler, tcp://host:8786."),
    workers: int = typer.Option(None, "--workers", help="Run folds on a local Dask cluster of N."),
    config: Path = ConfigOpt,
    out: Path = OutOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Walk-forward selection: sweep each train window, judge its best on the next test window."""
    from memelab.datasets.jsonio import staged_output_dir, write_json
    from memelab.research.sweeps.params import ParamError
    from memelab.research.sweeps.sweep import SweepError, _py
    from memelab.research.validation.gates import ValidationError, format_gates
    from memelab.research.validation.trials import record_trials, trials_so_far
    from memelab.research.validation.walkforward import (
        parse_duration,
        parse_walk_forward,
        walk_forward_validate,
    )
    from memelab.strategies import get_strategy

    _check_select(select_by)
    _lake_window(lake, None, None)
    client = cluster = None
    try:
        space = _space(strategy, grid, param, n_random, constraint, seed)
        train, test = parse_walk_forward(walk_forward)
        prior = trials_so_far(lake, _strategy_name(strategy))
        if scheduler or workers:
            from dask.distributed import Client, LocalCluster

            if scheduler:
                from memelab.research.sweeps.distributed import connect

                client = connect(scheduler)
            else:
                cluster = LocalCluster(
                    n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
                )
                client = Client(cluster)
        res = walk_forward_validate(
            lake, get_strategy(strategy), space, train, test,
            step=parse_duration(step) if step else None, expanding=expanding,
            purge=parse_duration(purge), embargo=parse_duration(embargo), config=_config(config),
            select_by=select_by, buckets_per_fold=buckets, progress=progress, client=client,
            prior_trials=prior,
        )  # fmt: skip
        record_trials(lake, res.meta.get("strategy", strategy), len(space), "validate",
                      select_by=select_by, walk_forward=walk_forward)  # fmt: skip
    except (ParamError, SweepError, ValidationError, ValueError) as exc:
        fail(str(exc))
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
    doc = _py({"gates": res.gates, "meta": res.meta, "folds": len(res.folds)})
    with staged_output_dir(out) as stage:
        res.folds.to_parquet(stage / "folds.parquet", index=False)
        write_json(stage / "validation.json", doc)
        _write_validate_report(stage / "report.html", res, select_by)
    if as_json:
        emit_json(doc | {"out": str(out)})
        return
    show = ["fold", "combo", f"is_{select_by}", f"oos_{select_by}", "oos_total_return"]
    typer.echo(res.folds[show + ["oos_n_trades", "oos_relative_rank"]].to_string(index=False))
    g = res.gates
    typer.echo(
        f"walk-forward OOS return {g['oos_total_return'] * 100:+.2f}%; "
        f"{g['folds_oos_positive']}/{len(res.folds)} folds positive"
    )
    for line in format_gates(g):
        typer.echo(line)
    typer.echo(f"wrote {out}/folds.parquet, validation.json, report.html")


def _write_validate_report(path: Path, res, select_by: str) -> None:
    import numpy as np
    import pandas as pd
    import plotly.graph_objects as go

    eq = np.cumprod(1.0 + res.oos_returns)
    # each fold's test window is cut in equal buckets: place them on real time
    times = np.concatenate([
        pd.date_range(r.test_start, r.test_end, periods=len(eq) // max(len(res.folds), 1) + 1)[1:]
        for r in res.folds.itertuples()
    ]) if len(res.folds) and len(eq) % len(res.folds) == 0 else np.arange(1, len(eq) + 1)  # fmt: skip
    fig = go.Figure(
        go.Scatter(x=times, y=(eq - 1.0) * 100, mode="lines", name="stitched OOS return",
                   line={"color": "#0072B2"})
    )  # fmt: skip
    for r in res.folds.itertuples():
        fig.add_vrect(x0=r.test_start, x1=r.test_end, fillcolor="#56B4E9", opacity=0.08,
                      line_width=0, annotation_text=f"fold {r.fold}", annotation_position="top left")  # fmt: skip
    fig.update_layout(
        title="Stitched out-of-sample return of each fold's selection (test windows shaded)",
        xaxis_title="time (UTC)", yaxis_title="cumulative OOS return (%)", height=400,
        template="plotly_white",
    )  # fmt: skip
    fig2 = go.Figure(
        go.Bar(x=[f"fold {f}" for f in res.folds["fold"]], y=res.folds["oos_total_return"] * 100,
               marker_color=np.where(res.folds["oos_total_return"] >= 0, "#009E73", "#D55E00"),
               text=[f"{v * 100:+.2f}%" for v in res.folds["oos_total_return"]],
               textposition="outside", name="OOS return")
    )  # fmt: skip
    fig2.update_layout(title="OOS total return per fold", xaxis_title="fold (test window)",
                       yaxis_title="OOS total return (%)", height=360, template="plotly_white")  # fmt: skip
    import html

    from memelab.research.validation.gates import format_gates

    g = res.gates
    gates = (
        f"<p>Selection by <b>{select_by}</b>. Mean OOS relative rank "
        f"{g['mean_oos_relative_rank']:.3f} (0.5 = no better than a random pick).</p><pre>"
        + html.escape("\n".join(format_gates(g)))
        + "</pre>"
    )
    body = (
        fig.to_html(full_html=False, include_plotlyjs=True)
        + fig2.to_html(full_html=False, include_plotlyjs=False)
        + res.folds.to_html(index=False, float_format=lambda v: f"{v:.4g}")
    )
    path.write_text(
        "<!doctype html><html><head><meta charset='utf-8'><title>Walk-forward validation</title>"
        "<style>body{font-family:sans-serif;margin:24px}table{border-collapse:collapse;"
        "font-size:12px}td,th{border:1px solid #ccc;padding:2px 6px}</style></head><body>"
        f"<h1>Walk-forward validation of {res.meta['strategy']}</h1>{gates}{body}</body></html>"
    )
