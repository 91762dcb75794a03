"""`aitrail rewards balance|claim|send`."""

from __future__ import annotations

import click

from aitrail.cli._util import to_address
from aitrail.cli.context import CliContext
from aitrail.flows import balance as balance_flow
from aitrail.flows import claim as claim_flow
from aitrail.flows import send_tokens
from aitrail.flows._common import parse_tokens, tokens


@click.group()
def rewards() -> None:
    """Reward token balance, claimable rewards, claims."""


@rewards.command()
@click.argument("account", required=False)
@click.pass_obj
def balance(ctx: CliContext, account: str | None) -> None:
    """TRAIL held, and rewards credited / claimed / claimable."""
    r = balance_flow(ctx.session, to_address(ctx, account) if account else None)
    ctx.emit(
        r,
        f"{r['account']}\n  balance    {tokens(r['balance'])}\n  claimable  {tokens(r['claimable'])}\n"
        f"  credited   {tokens(r['credited'])}\n  claimed    {tokens(r['claimed'])}",
    )


@rewards.command()
@click.pass_obj
def claim(ctx: CliContext) -> None:
    """Mint everything credited to you and not yet claimed."""
    r = claim_flow(ctx.session)
    ctx.emit(r, f"claimed {tokens(r['claimed'])} (tx {r['tx']})")


@rewards.command()
@click.argument("to")
@click.argument("amount")
@click.pass_obj
def send(ctx: CliContext, to: str, amount: str) -> None:
    """Send AMOUNT TRAIL to TO (address or account name)."""
    tx = send_tokens(ctx.session, to_address(ctx, to), parse_tokens(amount))
    ctx.emit({"to": to, "amount": parse_tokens(amount), "tx": tx}, f"sent {amount} TRAIL to {to} (tx {tx})")
