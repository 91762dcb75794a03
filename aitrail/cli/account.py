"""`aitrail account new|import|list`: encrypted keystores under the aitrail home."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from aitrail.chain.accounts import Keystore
from aitrail.cli._util import table
from aitrail.cli.context import CliContext, prompt_password
from aitrail.errors import AccountError


@click.group()
def account() -> None:
    """Encrypted keystores (scrypt). Passwords: AITRAIL_PASSWORD_<NAME>, AITRAIL_PASSWORD, or a prompt."""


@account.command("new")
@click.argument("name")
@click.pass_obj
def new(ctx: CliContext, name: str) -> None:
    """Create a key and store it encrypted as NAME."""
    address = Keystore(ctx.settings.home, prompt_password).new(name)
    ctx.emit({"name": name, "address": address}, f"{name}  {address}")


@account.command("import")
@click.argument("name")
@click.option(
    "--keystore",
    "keystore_file",
    envvar="AITRAIL_ACCOUNT_IMPORT_KEYSTORE",
    type=click.Path(path_type=Path),
    help="An existing keystore JSON file (its password is asked or read from the env).",
)
@click.pass_obj
def import_(ctx: CliContext, name: str, keystore_file: Path | None) -> None:
    """Import a keystore JSON file, or a private key typed at a hidden prompt (never from argv or a file)."""
    store = Keystore(ctx.settings.home, prompt_password)
    if keystore_file is not None:
        address = store.import_keystore(name, keystore_file)
    else:
        if not sys.stdin.isatty():
            raise AccountError(
                "a private key is only read from a hidden prompt on a terminal; "
                "for automation import a keystore file with --keystore"
            )
        key = click.prompt("private key (hidden)", hide_input=True)
        address = store.import_key(name, key)
    ctx.emit({"name": name, "address": address}, f"{name}  {address}")


@account.command("list")
@click.pass_obj
def list_(ctx: CliContext) -> None:
    """Stored accounts and their addresses (no password needed)."""
    accounts = Keystore(ctx.settings.home).list()
    ctx.emit([{"name": n, "address": a} for n, a in accounts], table(["name", "address"], accounts))
