"""``memelab data ...``: build, import, inspect and validate lakes."""

from __future__ import annotations

from pathlib import Path

import typer
from memelab.cli._common import emit_json, fail

app = typer.Typer(no_args_is_help=True)

LakeOpt = typer.Option(..., "--lake", help="Lake directory.")


@app.command("info")
def info(
    lake: Path = LakeOpt,
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Tables, row counts, time range, distinct mints and wallets, partitions, bytes."""
    from memelab.datasets.inspect import lake_info
    from memelab.datasets.lake import Lake

    summary = lake_info(Lake(lake))
    if as_json:
        emit_json(summary)
        return
    print_lake_summary(summary)


def print_lake_summary(summary: dict) -> None:
    """The human form of ``lake_info``: one line per table."""
    typer.echo(f"lake {summary['root']}  ({summary['bytes'] / 1e6:.1f} MB)")
    for name, t in summary["tables"].items():
        line = f"  {name:<14} {t['rows']:>12,} rows  {t['files']:>4} files  {t['partitions']:>3} partitions"
        if "time_range" in t:
            line += f"  {t['time_range']['start']} .. {t['time_range']['end']}"
        if "distinct_mints" in t:
            line += f"  mints={t['distinct_mints']:,}"
        if "distinct_wallets" in t:
            line += f"  wallets={t['distinct_wallets']:,}"
        typer.echo(line)
    if summary["quarantine_files"]:
        typer.echo(
            f"  quarantine: {summary['quarantine_files']} file(s) in {summary['root']}/_quarantine"
        )


@app.command("validate")
def validate(lake: Path = LakeOpt) -> None:
    """Check schema, ordering, duplicate keys and manifest hashes; exit 1 on any problem."""
    from memelab.datasets.inspect import validate_lake
    from memelab.datasets.lake import Lake

    problems = validate_lake(Lake(lake))
    if problems:
        for p in problems:
            typer.echo(f"FAIL {p}")
        fail(f"{len(problems)} problem(s) in {lake}", code=1)
    typer.echo(f"OK {lake}: schemas, ordering, keys and hashes check out")


@app.command("ingest")
def ingest_cmd(
    paths: list[Path] = typer.Argument(
        ..., help="Trade files (CSV, JSONL/JSON, Parquet, ...) or folders of them."
    ),
    lake: Path = LakeOpt,
    fmt: str | None = typer.Option(
        None,
        "--format",
        help="csv|jsonl|json|parquet, or Solana material: rpc-json|geyser|pumpportal|substreams "
        "(default: by file ending).",
    ),
    preset: str | None = typer.Option(
        None,
        "--map",
        help="Column mapping: generic|flipside|bitquery|kaggle|pumpportal-paths "
        "(default: by column names).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Import trade exports into the lake: bad rows are quarantined, re-imports add nothing."""
    import sys

    from memelab.datasets.ingest import ingest
    from memelab.datasets.lake import LakeError
    from tqdm.auto import tqdm

    # A rows-read bar on stderr (silent when stderr is not a terminal, e.g. under --json pipes).
    bar = tqdm(desc="ingest", unit="row", disable=not sys.stderr.isatty(), file=sys.stderr)
    seen: dict[Path, int] = {}

    def on_progress(path: Path, rows: int) -> None:
        bar.update(rows - seen.get(path, 0))
        seen[path] = rows

    try:
        report = ingest(lake, paths, format=fmt, preset=preset, on_progress=on_progress)
    except LakeError as exc:  # a file refused as a whole (unknown columns, unreadable, ...)
        fail(str(exc))
    except OSError as exc:  # permissions, a full disk, a path that vanished
        fail(f"{exc.filename or 'input'}: {exc.strerror or exc}")
    except Exception as exc:  # noqa: BLE001 (bad input never ends in a traceback)
        fail(
            f"ingest stopped by an unexpected {type(exc).__name__}: {exc} (rows written before it "
            "are kept; please report this with the input file)"
        )
    finally:
        bar.close()
    if as_json:
        emit_json(report.to_dict())
        return
    for f in report.files:
        typer.echo(
            f"{f.path}  [{f.format}, {f.preset}]  read {f.rows_read:,}  ingested {f.ingested:,}  "
            f"duplicates {f.duplicates:,}  quarantined {f.quarantined:,}"
            + (f"  skipped {sum(f.skipped.values()):,}" if f.skipped else "")
        )
        if f.skipped:
            typer.echo("    skipped: " + ", ".join(f"{k} {v:,}" for k, v in f.skipped.items()))
        if f.quarantined:
            reasons = ", ".join(f"{k} {v:,}" for k, v in f.quarantine_reasons.items())
            typer.echo(f"    quarantine reasons (rows per field): {reasons}")
            typer.echo(f"    quarantine file: {f.quarantine_file}")
        if f.launches_ingested or f.launches_duplicates:
            typer.echo(
                f"    launches ingested {f.launches_ingested:,}  duplicates {f.launches_duplicates:,}"
            )
        for k, v in f.info.items():
            typer.echo(f"    {k}: {v}")
    t = report.totals
    typer.echo(
        f"total  {t['files']} file(s)  read {t['rows_read']:,}  ingested {t['ingested']:,}  "
        f"duplicates {t['duplicates']:,}  quarantined {t['quarantined']:,}  "
        f"skipped {t['skipped']:,}  -> {report.lake}"
    )


@app.command("synth")
def synth(
    out: Path = typer.Option(..., "--out", help="Lake directory to create (must be new or empty)."),
    tokens: int = typer.Option(400, "--tokens", help="Token launches to simulate."),
    wallets: int = typer.Option(2_000, "--wallets", help="Wallets in the population."),
    days: int = typer.Option(2, "--days", help="Days of market (one swaps partition per day)."),
    seed: int = typer.Option(7, "--seed", help="Seed: same seed, same bytes."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing lake at --out."),
    scenario: str = typer.Option(
        "calibrated",
        "--scenario",
        help="calibrated (real marginals and what follows a move), null (no exploitable "
        "structure: every strategy should lose) or planted (strong labelled edges).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable summary."),
) -> None:
    """Generate a synthetic pump.fun market (with ground truth) into a new lake."""
    import time

    from memelab.cli._common import progress
    from memelab.datasets.lake import LakeError
    from memelab.datasets.synth import synthesize

    t_start = time.perf_counter()
    bar = iter(progress(range(days), total=days, desc="synth", unit="day"))
    written: dict[str, int] = {}

    def on_day(date: str, n: int) -> None:
        written[date] = n
        next(bar, None)

    try:
        lake = synthesize(
            out, tokens, wallets, days, seed, overwrite=overwrite, on_day=on_day, scenario=scenario
        )
    except (ValueError, LakeError) as exc:
        fail(str(exc))
    next(bar, None)
    summary = _synth_summary(lake, time.perf_counter() - t_start, seed, scenario)
    if as_json:
        emit_json(summary)
        return
    typer.echo(
        f"synthetic lake {summary['lake']}: {summary['swaps']:,} swaps, {summary['tokens']:,} "
        f"tokens, {summary['wallets']:,} wallets, {days} day(s), seed {seed}, "
        f"scenario {scenario} ({summary['seconds']:.1f} s)"
    )
    typer.echo("  token fates:  " + ", ".join(f"{k}={v}" for k, v in summary["fates"].items()))
    typer.echo("  wallet kinds: " + ", ".join(f"{k}={v}" for k, v in summary["kinds"].items()))
    typer.echo(f"  swaps content hash {summary['content_hash']}")


def _synth_summary(lake, seconds: float, seed: int, scenario: str) -> dict:
    fates = dict(lake.sql("select fate, count(*) from tokens_truth group by 1 order by 1").values)
    kinds = dict(lake.sql("select kind, count(*) from wallets_truth group by 1 order by 1").values)
    m = lake.manifest("swaps")
    return {
        "lake": str(lake.root),
        "seed": seed,
        "scenario": scenario,
        "swaps": int(m["rows"]),
        "tokens": int(sum(fates.values())),
        "wallets": int(sum(kinds.values())),
        "fates": {k: int(v) for k, v in fates.items()},
        "kinds": {k: int(v) for k, v in kinds.items()},
        "content_hash": m["content_hash"],
        "seconds": round(seconds, 3),
    }


from memelab.cli.solana import backfill as _backfill  # noqa: E402  (Solana RPC backfill)

app.command("backfill")(_backfill)


@app.command("calibrate")
def calibrate(
    lake: Path = LakeOpt,
    real: Path = typer.Option(
        Path("../shared/data"),
        "--real",
        help="Folder of real data (see its PROVENANCE.md), or a lake of your own history.",
    ),
    out: Path | None = typer.Option(
        None, "--out", help="Write calibration.json and calibration.html here."
    ),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Synthetic vs real side by side: marginals and what follows a move, each with its noise.

    "within noise" is judged family-wise (Holm over every statistic's p-value).
    """
    from memelab.datasets.lake import Lake
    from memelab.datasets.synth.calibrate import calibration_report

    try:
        report = calibration_report(Lake(lake).require(), real, out)
    except FileNotFoundError as exc:
        fail(str(exc))
    if as_json:
        emit_json(report)
        return
    target = report["target_ks"]
    typer.echo(
        f"{'distribution':<26} {'n real':>7} {'n synth':>8}  {'median real':>12} "
        f"{'median synth':>12}  {'KS':>6}  {'noise95':>7}  ok  (scenario {report['scenario']})"
    )
    for name, d in report["distributions"].items():
        ks = d["ks"]
        ok = {True: "yes", False: "NO", None: "-"}[d.get("within_noise")]
        flag = f"  {ok}" + ("" if ks is not None and ks <= target else f"  (KS > {target})")
        typer.echo(
            f"{name:<26} {d['real']['n']:>7} {d['synthetic']['n']:>8}  "
            f"{d['real'].get('q50', float('nan')):>12.4g} "
            f"{d['synthetic'].get('q50', float('nan')):>12.4g}  "
            f"{ks if ks is not None else float('nan'):>6.3f}  "
            f"{d['ks_noise95'] if d['ks_noise95'] is not None else float('nan'):>7.3f}{flag}"
        )
    typer.echo(
        "noise95: the KS that a perfect generator exceeds 5% of the time at these sample sizes;"
        " ok: within noise by Holm's rule over every statistic below and above"
    )
    typer.echo(f"\npath statistics from the creator's dump on (scenario {report['scenario']}):")
    typer.echo(f"{'statistic':<28} {'real':>22} {'synthetic':>22}  {'stat':>6} {'noise95':>7}  ok")
    for name, d in report["paths"].items():
        if name.startswith("_"):
            typer.echo(f"  (path statistics skipped: {d['definition']})")
            continue
        cells = []
        for side in ("real", "synthetic"):
            x = d.get(side, {})
            if "value" in x:
                cells.append(f"{x['value']:.3f} n={x['n']}")
            elif x.get("n"):
                cells.append(f"med {x['q50']:.3g} >0 {x['pos']:.0%} n={x['n']}")
            else:
                cells.append("n=0")
        ok = {True: "yes", False: "NO", None: "-"}[d.get("within_noise")]
        typer.echo(
            f"{name:<28} {cells[0]:>22} {cells[1]:>22}  {d.get('stat', float('nan')):>6.3f} "
            f"{d.get('noise95', float('nan')):>7.3f}  {ok}"
        )
    typer.echo(
        f"within noise (Holm over all {report['within_noise'].split('/')[1]} statistics, family "
        f"alpha {report['family_alpha']}): {report['within_noise']}"
    )
    if out is not None:
        typer.echo(f"wrote {out / 'calibration.json'} and {out / 'calibration.html'}")
