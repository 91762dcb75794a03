"""The `aitrail` command: a thin click layer over the library.

Library errors (AitrailError) and click's own usage errors (a bad option, a number out of range)
become one line on stderr, `error: ...`, and a non-zero exit (2 for usage errors, as click has it);
nothing else is caught, so a bug still shows its traceback.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from contextlib import suppress
from typing import Any

import click

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
        except OSError as exc:
            # A fault outside the retrying transaction path (e.g. reading blocks for a table). requests is
            # imported only by commands that reach out, so it can only have raised if it is loaded.
            requests = sys.modules.get("requests")
            if requests is None or not isinstance(exc, requests.exceptions.ConnectionError):
                raise
            click.echo("error: the chain or IPFS endpoint stopped answering (connection refused)", err=True)
            sys.exit(1)


# name -> (module under aitrail.cli, its one-line help). Each command group is imported only when it is
# run or asked for help: together they pull in web3 and the flows, which cost more than a second to import,
# while `aitrail --help`, `--version` and `cid` need none of it. tests/test_cli_startup.py checks that each
# line here is the command's own short help, so the two cannot drift apart.
COMMANDS: dict[str, tuple[str, str]] = {
    "status": ("status", "Chain id, latest block, and which suite contracts are deployed where."),
    "cid": (
        "cid",
        "Print the CID of a file or directory, byte-identical to Kubo's, without storing anything.",
    ),
    "store": ("store", "The content store: add, list pins, export and import CAR files."),
    "account": ("account", "Encrypted keystores (scrypt)."),
    "chain": (
        "chain",
        "The embedded local chain: started on demand by every command, kept in AITRAIL_HOME/chain.",
    ),
    "deploy": (
        "deploy",
        "Deploy the registries, reward token and rules, market and federated training; wire their roles.",
    ),
    "dataset": ("dataset", "Register, list, show, withdraw and fetch datasets; export them as Croissant."),
    "access": ("access", "Ask for, grant, revoke, buy and inspect time-limited access."),
    "model": (
        "model",
        "Publish model versions with their lineage, verify weights, read lineage, write model cards.",
    ),
    "records": ("records", "Prove that a record is in a dataset version, and verify such proofs on-chain."),
    "rewards": ("rewards", "Reward token balance, claimable rewards, claims."),
    "audit": ("audit", "Rebuild the trail of a dataset or a model from chain events alone."),
    "gateway": (
        "gateway",
        "Serve datasets through a gateway that checks and records every attempt on-chain.",
    ),
    "index": ("index", "The event index the audits read: sync it from the chain, see how far it goes."),
    "fl": ("fl", "Federated training on Flower: rounds, verification, rewards."),
}


class LazyAitrailGroup(AitrailGroup):
    """The top-level group: lists its commands from COMMANDS and imports one only when it is used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module = importlib.import_module(f"aitrail.cli.{COMMANDS[cmd_name][0]}")
        command = getattr(module, cmd_name)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # The listing `aitrail --help` prints, from the table: asking each command would import them all.
        with formatter.section("Commands"):
            formatter.write_dl([(name, short) for name, (_, short) in COMMANDS.items()])


@click.group(cls=LazyAitrailGroup, context_settings={"auto_envvar_prefix": "AITRAIL"})
@click.version_option(package_name="aitrail", prog_name="aitrail")  # version read only for --version
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
