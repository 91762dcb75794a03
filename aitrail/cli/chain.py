"""`aitrail chain start|stop`: the embedded local chain (Anvil under the aitrail home)."""

from __future__ import annotations

import click

from aitrail.chain.local import LocalChain
from aitrail.cli.context import CliContext


@click.group()
def chain() -> None:
    """The embedded local chain: started on demand by every command, kept in AITRAIL_HOME/chain."""


@chain.command()
@click.pass_obj
def start(ctx: CliContext) -> None:
    """Start the local chain (or find it running)."""
    local = LocalChain(ctx.settings.home)
    url = local.ensure()
    ctx.emit(
        {"url": url, "pid": local.pid(), "state": str(local.state_file)},
        f"local chain at {url} (pid {local.pid() or 'not ours'}), state in {local.state_file}",
    )


@chain.command()
@click.pass_obj
def stop(ctx: CliContext) -> None:
    """Stop the local chain this home started; its state is saved and reloaded at the next start."""
    stopped = LocalChain(ctx.settings.home).stop()
    ctx.emit(
        {"stopped": stopped}, "local chain stopped, state saved" if stopped else "no local chain running"
    )
