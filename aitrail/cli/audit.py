"""`aitrail audit dataset|model`: the whole trail, from the event index (synced first), as text, JSON,
CSV or a self-contained HTML report.

The text table of a long trail shows its newest rows (`--rows`, after a count of every event kind and a
line saying how many are left out); JSON and CSV always carry every event. `audit dataset` in text, JSON
and CSV runs without web3 (aitrail/index/view.py). An audit changes nothing on the chain, so unlike the
commands that do, it does not checkpoint the embedded chain (a dump of its whole state)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from aitrail.cli._params import DATASET_ID
from aitrail.cli.context import CliContext
from aitrail.cli.index import CONFIRMATIONS
from aitrail.trail import TEXT_ROWS


def _options(command: Callable[..., Any]) -> Callable[..., Any]:
    command = click.option(
        "--no-sync", is_flag=True, help="Read the index as it is (says up to which block) instead of syncing."
    )(command)
    command = CONFIRMATIONS(command)
    command = click.option(
        "--rows",
        type=click.IntRange(0),
        default=TEXT_ROWS,
        show_default=True,
        help="Text: show the newest N events (0: all). JSON and CSV always carry every event.",
    )(command)
    command = click.option(
        "--format",
        "fmt",
        type=click.Choice(["text", "json", "csv", "html"]),
        default="text",
        show_default=True,
        help="text (a table), json (as --json), csv (one row per event), html (report with lineage).",
    )(command)
    return click.option(
        "-o",
        "--output",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Write to FILE instead of stdout.",
    )(command)


@click.group()
def audit() -> None:
    """Rebuild the trail of a dataset or a model from chain events alone."""


def _emit(
    ctx: CliContext,
    r: dict[str, Any],
    head: str,
    title: str,
    facts: list[tuple[str, str]],
    fmt: str,
    output: Path | None,
    rows: int,
) -> None:
    from aitrail.trail import trail_table

    index = r["index"]
    state = f"index complete up to block {index['syncedTo']} ({index['finality']})"
    if fmt == "text" and not ctx.as_json:
        text = head + "\n" + trail_table(r["trail"], r["flags"], rows, r.get("trailSize")) + "\n" + state
        if output is None:
            click.echo(text)
            return
        body = text + "\n"
    elif fmt == "csv":
        from aitrail.report import to_csv

        body = to_csv(r["trail"])
    elif fmt == "html":
        from aitrail.report import to_html

        body = to_html(title, r, facts)
    else:
        from aitrail.report import to_json

        body = to_json(r)
    if output is None:
        click.echo(body, nl=False)
        return
    from aitrail._files import write_private

    try:
        write_private(output, body)
    except OSError as exc:
        raise click.FileError(str(output), hint=exc.strerror or str(exc)) from None
    click.echo(f"wrote {output} ({fmt}, {len(r['trail'])} events; {state})", err=ctx.as_json)


@audit.command()
@click.argument("dataset_id", type=DATASET_ID)
@_options
@click.pass_obj
def dataset(
    ctx: CliContext,
    dataset_id: int,
    no_sync: bool,
    confirmations: int | None,
    rows: int,
    fmt: str,
    output: Path | None,
) -> None:
    """Registration, versions, requests, grants, revocations, every access attempt, models, rewards."""
    if fmt == "html":  # the lineage picture reads through the session's clients
        from aitrail.flows import dataset_trail

        r = dataset_trail(
            ctx.session, dataset_id, sync=not no_sync, confirmations=confirmations, lineage=True
        )
    else:
        from aitrail.index.view import indexed_dataset_trail

        r = indexed_dataset_trail(
            ctx.settings,
            dataset_id,
            sync=not no_sync,
            confirmations=confirmations,
            store=ctx.store,
            ipfs_api=ctx.ipfs_api,
            # A text table writes out only the rows it shows; JSON and CSV get every one.
            newest=rows if fmt == "text" and not ctx.as_json and rows > 0 else None,
        )
    head = f"dataset {dataset_id}, owner {r['owner']}" + (" (WITHDRAWN)" if r["withdrawn"] else "")
    facts = [
        ("dataset", str(dataset_id)),
        ("name", str(r.get("name") or "(metadata not in this store)")),
        ("owner", str(r["owner"])),
        ("status", "WITHDRAWN" if r["withdrawn"] else "active"),
        ("denied attempts by strangers", str(r["strangerAttempts"]["attempts"])),
    ]
    _emit(ctx, r, head, f"Audit trail of dataset {dataset_id}", facts, fmt, output, rows)


@audit.command()
@click.argument("reference")
@_options
@click.pass_obj
def model(
    ctx: CliContext,
    reference: str,
    no_sync: bool,
    confirmations: int | None,
    rows: int,
    fmt: str,
    output: Path | None,
) -> None:
    """Registration, versions, datasets cited, parents, deprecations, aliases, rewards paid."""
    from aitrail.flows import model_trail

    r = model_trail(
        ctx.session, reference, sync=not no_sync, confirmations=confirmations, lineage=fmt == "html"
    )
    head = f"model {r['model']!r} (id {r['modelId']}), owner {r['owner']}"
    facts = [("model", str(r["model"])), ("model id", str(r["modelId"])), ("owner", str(r["owner"]))]
    _emit(ctx, r, head, f"Audit trail of model {r['model']}", facts, fmt, output, rows)
