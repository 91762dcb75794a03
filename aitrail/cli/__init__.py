"""The `aitrail` command: a thin click layer over the library.

Library errors (AitrailError) and click's own usage errors (a bad option, a number out of range)
become one line on stderr, `error: ...`, and a non-zero exit (2 for usage errors, as click has it);
nothing else is caught, so a bug still shows its traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from contextlib import suppress
from typing import Any

import click
import requests

from aitrail import __version__
from aitrail.cli._params import SECONDS
from aitrail.cli.context import CliContext
from aitrail.errors import AitrailError


class AitrailGroup(click.Group):
    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except click.ClickException as exc:
            hint = ""
            if isinstance(exc, click.UsageError) and exc.ctx is not None:
                hint = f" (see `{exc.ctx.command_path} --help`)"
            click.echo(f"error: {exc.format_message()}{hint}", err=True)
            sys.exit(exc.exit_code)
        except click.Abort:  # Ctrl-C, or end of input at a prompt
            click.echo("error: aborted; nothing was left half-done (re-run the command to finish)", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except AitrailError as exc:
            if isinstance(ctx.obj, CliContext):
                # What the command did before failing (a denied attempt it logged) is kept too; a failure to
                # save must not hide the error being reported.
                with suppress(AitrailError):
                    ctx.obj.save_local_chain()
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except requests.exceptions.ConnectionError:
            # A fault outside the retrying transaction path (e.g. reading blocks for a table).
            click.echo("error: the chain or IPFS endpoint stopped answering (connection refused)", err=True)
            sys.exit(1)


@click.group(cls=AitrailGroup, context_settings={"auto_envvar_prefix": "AITRAIL"})
@click.version_option(__version__, prog_name="aitrail")
@click.option("--rpc-url", envvar="AITRAIL_RPC_URL", help="JSON-RPC URL of the chain (overrides --network).")
@click.option(
    "--network",
    envvar="AITRAIL_NETWORK",
    help="Named network: local (embedded Anvil, the default) or sepolia (needs AITRAIL_SEPOLIA_RPC_URL).",
)
@click.option("--json", "as_json", is_flag=True, envvar="AITRAIL_JSON", help="Machine-readable output.")
@click.option(
    "--account",
    envvar="AITRAIL_ACCOUNT",
    help="Keystore account name (see `aitrail account list`); on a dev chain also anvil0..anvil9 "
    "(the default there).",
)
@click.option(
    "--store",
    type=click.Choice(["local", "kubo"]),
    envvar="AITRAIL_STORE",
    help="Storage backend: the embedded local store (default) or a Kubo node's RPC API.",
)
@click.option(
    "--ipfs-api", envvar="AITRAIL_IPFS_API", help="Kubo RPC API URL (default http://127.0.0.1:5001)."
)
@click.option(
    "--timeout",
    type=SECONDS,
    default=120.0,
    show_default=True,
    envvar="AITRAIL_TIMEOUT",
    help="Seconds to wait for a transaction to be mined.",
)
@click.pass_context
def main(
    ctx: click.Context,
    rpc_url: str | None,
    network: str | None,
    as_json: bool,
    account: str | None,
    store: str | None,
    ipfs_api: str | None,
    timeout: float,
) -> None:
    """aitrail: auditable AI training data and models on Ethereum + IPFS."""
    ctx.obj = CliContext(
        rpc_url=rpc_url,
        network=network,
        as_json=as_json,
        account=account,
        store=store,
        ipfs_api=ipfs_api,
        timeout=timeout,
    )


def _register_commands() -> None:
    from aitrail.cli import (
        access,
        account,
        audit,
        chain,
        cid,
        dataset,
        deploy,
        model,
        records,
        rewards,
        status,
        store,
    )

    main.add_command(status.status)
    main.add_command(cid.cid)
    main.add_command(store.store)
    main.add_command(account.account)
    main.add_command(chain.chain)
    main.add_command(deploy.deploy)
    main.add_command(dataset.dataset)
    main.add_command(access.access)
    main.add_command(model.model)
    main.add_command(records.records)
    main.add_command(rewards.rewards)
    main.add_command(audit.audit)


_register_commands()
