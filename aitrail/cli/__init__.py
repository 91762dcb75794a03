"""The `aitrail` command: a thin click layer over the library.

Library errors (AitrailError) become one line on stderr and a non-zero exit; nothing else is caught,
so a bug still shows its traceback.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from aitrail import __version__
from aitrail.cli.context import CliContext
from aitrail.errors import AitrailError


class AitrailGroup(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except AitrailError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)


@click.group(cls=AitrailGroup, context_settings={"auto_envvar_prefix": "AITRAIL"})
@click.version_option(__version__, prog_name="aitrail")
@click.option("--rpc-url", envvar="AITRAIL_RPC_URL", help="JSON-RPC URL of the chain (overrides --network).")
@click.option(
    "--network",
    envvar="AITRAIL_NETWORK",
    help="Named network: local (embedded Anvil, the default) or sepolia (needs AITRAIL_SEPOLIA_RPC_URL).",
)
@click.option("--json", "as_json", is_flag=True, envvar="AITRAIL_JSON", help="Machine-readable output.")
@click.pass_context
def main(ctx: click.Context, rpc_url: str | None, network: str | None, as_json: bool) -> None:
    """aitrail: auditable AI training data and models on Ethereum + IPFS."""
    ctx.obj = CliContext(rpc_url=rpc_url, network=network, as_json=as_json)


def _register_commands() -> None:
    from aitrail.cli import cid, status

    main.add_command(status.status)
    main.add_command(cid.cid)


_register_commands()
