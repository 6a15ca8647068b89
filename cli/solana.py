"""``memelab data backfill``: page a program's history from a Solana RPC node into a lake."""

from __future__ import annotations

from pathlib import Path

import typer
from memelab.cli._common import emit_json, fail


def backfill(
    rpc: str = typer.Option(
        ..., "--rpc", help="Solana JSON-RPC URL (e.g. https://api.mainnet-beta.solana.com)."
    ),
    program: str = typer.Option(
        ...,
        "--program",
        help="pumpfun|pumpswap|raydium|raydium-cpmm|launchlab|meteora or a program id.",
    ),
    lake: Path = typer.Option(..., "--lake", help="Lake directory (created on first write)."),
    from_slot: int | None = typer.Option(None, "--from-slot", help="Oldest slot to fetch."),
    since: str | None = typer.Option(
        None, "--since", help="Oldest block time to fetch (ISO-8601 or epoch seconds)."
    ),
    limit: int | None = typer.Option(
        None, "--limit", help="Fetch at most N transactions this run."
    ),
    rps: float = typer.Option(10.0, "--rps", help="Requests per second sent to the RPC node."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Fetch a program's transactions (newest first) into the lake; resumable and idempotent.

    Progress is checkpointed in LAKE/_checkpoints after every page: if the run stops, the same
    command resumes; once a walk is complete, the next run fetches only newer transactions.
    """
    import sys

    from memelab.datasets.lake import Lake, LakeError, parse_time
    from memelab.datasets.solana.backfill import backfill as run_backfill
    from tqdm.auto import tqdm

    if from_slot is not None and since is not None:
        fail("pass either --from-slot or --since, not both")
    since_s = None
    if since is not None:
        since_s = parse_time(since) // 1_000_000_000
    bar = tqdm(desc="backfill", unit="tx", disable=not sys.stderr.isatty(), file=sys.stderr)
    done = 0

    def on_page(report) -> None:  # noqa: ANN001
        nonlocal done
        bar.update(report.signatures - done)
        done = report.signatures

    try:
        report = run_backfill(
            Lake(lake),
            rpc,
            program,
            from_slot=from_slot,
            since=since_s,
            limit=limit,
            rps=rps,
            on_page=on_page,
        )
    except LakeError as exc:
        fail(str(exc))
    except Exception as exc:  # noqa: BLE001 (whatever a node sends never ends in a traceback)
        fail(
            f"backfill stopped by an unexpected {type(exc).__name__}: {exc}; progress is saved, "
            "run the same command again to resume"
        )
    finally:
        bar.close()
    if as_json:
        emit_json(report.to_dict())
        return
    typer.echo(
        f"{report.program}: {report.pages} page(s), {report.signatures:,} signatures, "
        f"{report.fetched:,} fetched, swaps +{report.swaps_added:,} (duplicates "
        f"{report.duplicates:,}), launches +{report.launches_added:,}, quarantined "
        f"{report.quarantined:,}, {'complete' if report.complete else 'more to fetch'}"
    )
    if report.skipped:
        typer.echo("  skipped: " + ", ".join(f"{k} {v:,}" for k, v in report.skipped.items()))
    typer.echo(f"  checkpoint: {report.checkpoint}")
