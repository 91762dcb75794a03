"""`aitrail account new|import|list`: encrypted keystores under the aitrail home."""

from __future__ import annotations

from pathlib import Path

import click

from aitrail.chain.accounts import Keystore
from aitrail.cli._util import table
from aitrail.cli.context import CliContext, has_terminal, prompt_password
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
        if not has_terminal():
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


@account.command()
@click.argument("to")
@click.argument("eth")
@click.pass_obj
def fund(ctx: CliContext, to: str, eth: str) -> None:
    """Send ETH from --account to TO (an address or account name), e.g. to pay a new keystore's gas."""
    from decimal import Decimal, InvalidOperation

    from aitrail.cli._util import to_address

    try:
        wei = Decimal(eth) * 10**18
    except InvalidOperation:
        raise AccountError(f"not an amount of ETH: {eth!r}") from None
    if wei <= 0 or wei != wei.to_integral_value():
        raise AccountError(f"not an amount of ETH: {eth!r}")
    session = ctx.session
    session.require_signer()
    receiver = to_address(ctx, to)
    receipt = session.sender.transfer(receiver, int(wei), f"send {eth} ETH to {receiver}")
    tx = receipt["transactionHash"].to_0x_hex()
    ctx.emit({"to": receiver, "wei": int(wei), "tx": tx}, f"sent {eth} ETH to {receiver} (tx {tx})")
