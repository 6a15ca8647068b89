"""``memelab features build``, ``memelab train`` and ``memelab models list|show|compare|report|
similar``: the ML workflow from a lake to a registered model."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from memelab.cli._common import emit_json, fail, progress

features_app = typer.Typer(no_args_is_help=True)
models_app = typer.Typer(no_args_is_help=True)


def _open_lake(lake: Path):
    from memelab.datasets.lake import Lake

    lk = Lake(lake)
    if not lk.exists():
        fail(f"{lake}: no lake there (memelab data synth / data ingest first)")
    return lk


def _parts(lk) -> int:
    return len(lk.partitions("swaps"))


@features_app.command("build")
def features_build(
    lake: Path = typer.Option(..., "--lake", help="Lake directory."),
    out: Path = typer.Option(..., "--out", help="Output directory (dataset.npz + dataset.json)."),
    horizon_s: float = typer.Option(60.0, "--horizon-s", help="Label horizon in seconds."),
    sample_gap_s: float = typer.Option(
        5.0, "--sample-gap-s", help="At most one sample per token per this many seconds."
    ),
    no_seq: bool = typer.Option(False, "--no-seq", help="Skip the sequences (no transformer)."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Causal features + forward-return labels of every event, sampled into a tensor file."""
    from memelab.research.features.build import build_dataset

    lk = _open_lake(lake)
    try:
        ds = build_dataset(
            lk, horizon_s, sample_gap_s, with_seq=not no_seq,
            progress=lambda it: progress(it, _parts(lk), "featurising", "day"),
        )  # fmt: skip
        path = ds.save(out)
    except (ValueError, TypeError) as exc:
        fail(str(exc))
    summary = {"out": str(path), "samples": len(ds), "positives": int(ds.y.sum()),
               "events": ds.meta["events"], "features": ds.x.shape[1]}  # fmt: skip
    if as_json:
        emit_json(summary)
    else:
        typer.echo(f"{summary['samples']:,} samples from {summary['events']:,} events -> {path}")


def train(
    lake: Path = typer.Option(None, "--lake", help="Lake directory (features built on the fly)."),
    dataset: Path = typer.Option(None, "--dataset", help="A `features build` output instead."),
    model: str = typer.Option(..., "--model", help="logreg | gbm | transformer."),
    device: str = typer.Option("auto", "--device", help="auto (CUDA when present) | cpu | cuda."),
    out: Path = typer.Option(..., "--out", help="Model directory to write."),
    seed: int = typer.Option(0, "--seed"),
    horizon_s: float = typer.Option(60.0, "--horizon-s", help="Label horizon (with --lake)."),
    epochs: int = typer.Option(None, "--epochs", help="Transformer: maximum epochs."),
    embargo_s: float = typer.Option(None, "--embargo-s", help="Default: the label horizon."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Train a model on a time-ordered split (purge + embargo) and register it in OUT."""
    from memelab.research.features.build import build_dataset, load_dataset
    from memelab.research.models.train import KINDS, train_model

    if model not in KINDS:
        fail(f"--model must be one of {', '.join(KINDS)}, got {model!r}")
    if (lake is None) == (dataset is None):
        fail("give exactly one of --lake or --dataset")
    lk = None
    try:
        if dataset is not None:
            ds = load_dataset(dataset)
        else:
            lk = _open_lake(lake)
            ds = build_dataset(
                lk, horizon_s, with_seq=model == "transformer",
                progress=lambda it: progress(it, _parts(lk), "featurising", "day"),
            )  # fmt: skip
        bar = None
        if model == "transformer" and sys.stderr.isatty() and not as_json:
            from tqdm.auto import tqdm

            bar = tqdm(total=epochs or 30, desc="training", unit="epoch", file=sys.stderr)

        def on_epoch(epoch: int, total: int, tl: float, vl: float) -> None:
            if bar is not None:
                bar.update(1)
                bar.set_postfix(train=f"{tl:.4f}", valid=f"{vl:.4f}")

        params = {"epochs": epochs} if epochs else None
        summary = train_model(ds, model, out, device, seed, params, embargo_s, on_epoch,
                              similar_source=lk)  # fmt: skip
        if bar is not None:
            bar.close()
    except (ValueError, TypeError, FileNotFoundError, RuntimeError) as exc:
        fail(str(exc))
    if as_json:
        emit_json(summary)
    else:
        typer.echo(
            f"{model}: test AUC {summary['test_auc']:.4f} (valid {summary['valid_auc']:.4f}), "
            f"{summary['n_train']:,} train / {summary['n_test']:,} test samples, "
            f"{summary['device']}, {summary['seconds']:.1f} s -> {out}"
        )


@models_app.command("list")
def models_list(
    root: Path = typer.Argument(Path("models"), help="A directory of model directories."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Every registered model under ROOT with its test metrics."""
    from memelab.research.models.registry import list_models

    rows = list_models(root)
    if as_json:
        emit_json(rows)
        return
    if not rows:
        typer.echo(f"no models under {root}")
    for r in rows:
        if "error" in r:
            typer.echo(f"{r['dir']}: {r['error']}")
            continue
        typer.echo(f"{r['dir']}  {r['kind']:<11} test AUC {_f(r['test_auc'])}  valid AUC "
                   f"{_f(r['valid_auc'])}  n_test {r['n_test']}  {r['created']}")  # fmt: skip


def _f(v) -> str:
    return "n/a" if v is None else f"{v:.4f}"


@models_app.command("show")
def models_show(model_dir: Path = typer.Argument(..., help="A model directory.")) -> None:
    """The full registry entry of one model (JSON)."""
    from memelab.research.models.registry import read_entry

    try:
        emit_json(read_entry(model_dir))
    except (FileNotFoundError, ValueError) as exc:
        fail(str(exc))


@models_app.command("compare")
def models_compare(
    model_dirs: list[Path] = typer.Argument(..., help="Model directories."),
    report: Path = typer.Option(None, "--report", help="Also write an HTML report here."),
) -> None:
    """Test metrics side by side (and an HTML report with ROC, calibration, importances)."""
    from memelab.research.models.registry import compare

    try:
        rows = compare(model_dirs)
        if report is not None:
            from memelab.research.models.report import write_report

            write_report(model_dirs, report)
    except (FileNotFoundError, ValueError) as exc:
        fail(str(exc))
    emit_json(rows)


@models_app.command("report")
def models_report(
    model_dirs: list[Path] = typer.Argument(..., help="Model directories."),
    out: Path = typer.Option(..., "--out", help="HTML file to write."),
) -> None:
    """HTML report: ROC, calibration curve, feature importances, training history."""
    from memelab.research.models.report import write_report

    try:
        path = write_report(model_dirs, out)
    except (FileNotFoundError, ValueError) as exc:
        fail(str(exc))
    typer.echo(f"wrote {path}")


@models_app.command("similar")
def models_similar(
    model: Path = typer.Option(..., "--model", help="A transformer model directory."),
    lake: Path = typer.Option(..., "--lake", help="Lake holding the launch to look up."),
    mint: str = typer.Option(..., "--mint", help="Mint address (or numeric id)."),
    k: int = typer.Option(5, "-k", help="How many neighbours."),
) -> None:
    """Which past launches looked like MINT in its first minutes, and how they ended."""
    import pyarrow as pa
    from memelab.research.models.similar import similar_launches

    lk = _open_lake(lake)
    if mint.isdigit():
        mid = int(mint)
    else:
        ids = lk.ids_for("mints", pa.array([mint]), add=False).to_pylist()
        if ids[0] is None:
            fail(f"mint {mint} is not in {lake}")
        mid = int(ids[0])
    try:
        res = similar_launches(model, lk, mid, k)
    except (FileNotFoundError, ValueError) as exc:
        fail(str(exc))
    addrs = lk.addresses("mints", [n["mint"] for n in res["neighbours"]] + [mid])
    for n, a in zip(res["neighbours"], addrs[:-1], strict=True):
        n["address"] = str(a)
    res["address"] = str(addrs[-1])
    emit_json(res)
