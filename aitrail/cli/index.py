"""`aitrail index sync|status`: the event index in AITRAIL_HOME that the audits read. Both run over plain
JSON-RPC (aitrail/index/view.py: no web3) and, changing nothing on the chain, do not checkpoint it."""

from __future__ import annotations

import click

from aitrail.cli.context import CliContext

CONFIRMATIONS = click.option(
    "--confirmations",
    type=click.IntRange(0, 100_000),
    envvar="AITRAIL_INDEX_CONFIRMATIONS",
    help="Index only blocks this far below the latest (default: the chain's finalized block; the latest "
    "on a development chain).",
)


@click.group()
def index() -> None:
    """The event index the audits read: sync it from the chain, see how far it goes."""


@index.command()
@CONFIRMATIONS
@click.pass_obj
def sync(ctx: CliContext, confirmations: int | None) -> None:
    """Read the suite's new final events into the index (only blocks not read before)."""
    from aitrail.index.view import open_index

    idx, _ = open_index(ctx.settings, confirmations)
    try:
        r = idx.sync()
    finally:
        idx.close()
    lines = [
        f"indexed up to block {r.synced_to} ({r.finality}): {r.new_logs} new events, {r.total_logs} in all",
        f"{r.calls} eth_getLogs calls, {r.refusals} refused for their size; next range {r.span} blocks",
    ]
    if r.reorg_at is not None:
        lines.append(
            f"reorg: blocks from {r.reorg_at} were replaced; {r.dropped_logs} events dropped and re-read"
        )
    ctx.emit(r.as_dict(), "\n".join(lines), changed_chain=False)


@index.command()
@click.pass_obj
def status(ctx: CliContext) -> None:
    """Up to which block the index is complete, and how many events it holds (no sync)."""
    from aitrail.index.view import open_index

    idx, _ = open_index(ctx.settings)
    try:
        data = {"syncedTo": idx.synced_to(), "totalLogs": idx.store.count(), "path": str(idx.store.path)}
    finally:
        idx.close()
    ctx.emit(
        data,
        f"{data['path']}: complete up to block {data['syncedTo']}, {data['totalLogs']} events",
        changed_chain=False,
    )
