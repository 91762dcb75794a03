"""`aitrail access request|requests|grant|deliver|revoke|status|price|buy`."""

from __future__ import annotations

from pathlib import Path

import click

from aitrail.cli._params import DATASET_ID, DAYS, VALID_DAYS
from aitrail.cli._util import table, to_address
from aitrail.cli.context import CliContext
from aitrail.flows import (
    buy_access,
    deliver_key,
    grant_access,
    pending_requests,
    request_access,
    revoke_access,
)
from aitrail.flows import set_price as set_price_flow
from aitrail.flows._common import parse_tokens, tokens, when
from aitrail.flows.access import access_status
from aitrail.flows.signed_grants import cancel_signed_grant, sign_grant, submit_grant, write_signed_grant


@click.group()
def access() -> None:
    """Ask for, grant, revoke, buy and inspect time-limited access."""


@access.command()
@click.argument("dataset_id", type=DATASET_ID)
@click.option("--purpose", required=True, help="What the data is for (stored; its digest goes on-chain).")
@click.option("--days", type=DAYS, default=30, show_default=True)
@click.pass_obj
def request(ctx: CliContext, dataset_id: int, purpose: str, days: int) -> None:
    """Ask the owner for access; publishes your encryption public key so the owner can wrap the data key."""
    tx = request_access(ctx.session, dataset_id, purpose, days)
    ctx.emit(
        {"dataset": dataset_id, "tx": tx}, f"access to dataset {dataset_id} requested for {days} days in {tx}"
    )


@access.command()
@click.argument("dataset_id", type=DATASET_ID)
@click.pass_obj
def requests(ctx: CliContext, dataset_id: int) -> None:
    """Pending requests for a dataset (requested, not granted since)."""
    rows = pending_requests(ctx.session, dataset_id)
    ctx.emit(
        rows,
        table(["researcher", "days", "purpose"], [(r["researcher"], r["days"], r["purpose"]) for r in rows]),
    )


@access.command()
@click.argument("dataset_id", type=DATASET_ID)
@click.argument("account")
@click.option("--days", type=DAYS, default=30, show_default=True)
@click.option("--public-key", help="Grantee's 64-byte public key (hex), if they made no request.")
@click.pass_obj
def grant(ctx: CliContext, dataset_id: int, account: str, days: int, public_key: str | None) -> None:
    """Grant ACCOUNT access for --days, delivering the data key wrapped for their public key."""
    key = None
    if public_key:
        try:
            key = bytes.fromhex(public_key.removeprefix("0x"))
        except ValueError:
            raise click.BadParameter("must be hex", param_hint="'--public-key'") from None
    g = grant_access(ctx.session, dataset_id, to_address(ctx, account), days, key)
    ctx.emit(
        {"dataset": dataset_id, "grantee": g.grantee, "expiresAt": g.expires_at, "tx": g.tx_hash},
        f"{g.grantee} may access dataset {dataset_id} until {when(g.expires_at)} (tx {g.tx_hash})",
    )


@access.command()
@click.argument("dataset_id", type=DATASET_ID)
@click.argument("account")
@click.pass_obj
def deliver(ctx: CliContext, dataset_id: int, account: str) -> None:
    """Deliver the data key to a buyer whose grant came from the market (the expiry stays as bought)."""
    g = deliver_key(ctx.session, dataset_id, to_address(ctx, account))
    ctx.emit(
        {"dataset": dataset_id, "grantee": g.grantee, "expiresAt": g.expires_at, "tx": g.tx_hash},
        f"data key delivered to {g.grantee}; access until {when(g.expires_at)} (tx {g.tx_hash})",
    )


@access.command()
@click.argument("dataset_id", type=DATASET_ID)
@click.argument("account")
@click.pass_obj
def revoke(ctx: CliContext, dataset_id: int, account: str) -> None:
    """Revoke ACCOUNT's access now."""
    who = to_address(ctx, account)
    tx = revoke_access(ctx.session, dataset_id, who)
    ctx.emit(
        {"dataset": dataset_id, "account": who, "tx": tx},
        f"access of {who} to dataset {dataset_id} revoked in {tx}",
    )


@access.command()
@click.option("--of", "of", help="Whose access (address or account name; default: --account).")
@click.pass_obj
def status(ctx: CliContext, of: str | None) -> None:
    """Your grants and requests, and whether each gives access now."""
    rows = access_status(ctx.session, to_address(ctx, of) if of else None)
    ctx.emit(
        rows,
        table(
            ["dataset", "status", "expires", "days left"],
            [(r["dataset"], r["status"], r["expires"], r["remainingDays"]) for r in rows],
        ),
    )


@access.command()
@click.argument("dataset_id", type=DATASET_ID)
@click.argument("per_day")
@click.pass_obj
def price(ctx: CliContext, dataset_id: int, per_day: str) -> None:
    """List a dataset on the market at PER_DAY TRAIL per day (approves the market as your operator)."""
    tx = set_price_flow(ctx.session, dataset_id, parse_tokens(per_day))
    ctx.emit(
        {"dataset": dataset_id, "pricePerDay": parse_tokens(per_day), "tx": tx},
        f"dataset {dataset_id} priced at {tokens(parse_tokens(per_day))}/day (tx {tx})",
    )


@access.command()
@click.argument("dataset_id", type=DATASET_ID)
@click.option("--days", type=DAYS, default=30, show_default=True)
@click.pass_obj
def buy(ctx: CliContext, dataset_id: int, days: int) -> None:
    """Buy access through the market (pays the owner in TRAIL; earns the owner a citation reward later)."""
    r = buy_access(ctx.session, dataset_id, days)
    ctx.emit(
        r, f"bought {days} days of dataset {dataset_id} for {tokens(r['fee'])}, until {when(r['expiresAt'])}"
    )


@access.command()
@click.argument("dataset_id", type=DATASET_ID)
@click.argument("account")
@click.option("--days", type=DAYS, default=30, show_default=True)
@click.option(
    "--valid-days", type=VALID_DAYS, default=7, show_default=True, help="How long the signature may be used."
)
@click.option(
    "-o",
    "--output",
    "output",
    type=click.Path(path_type=Path),
    required=True,
    envvar="AITRAIL_ACCESS_SIGN_OUTPUT",
    help="Where to write the signed grant (JSON).",
)
@click.pass_obj
def sign(ctx: CliContext, dataset_id: int, account: str, days: int, valid_days: int, output: Path) -> None:
    """Sign a grant for ACCOUNT (EIP-712, no gas); they submit it with `access submit` and pay."""
    doc = sign_grant(ctx.session, dataset_id, to_address(ctx, account), days, valid_days)
    write_signed_grant(doc, output)
    ctx.emit(doc, f"signed a {days}-day grant of dataset {dataset_id} for {doc['grantee']} → {output}")


@access.command()
@click.argument("grant_file", type=click.Path(path_type=Path))
@click.pass_obj
def submit(ctx: CliContext, grant_file: Path) -> None:
    """Submit a grant the owner signed for you (you pay the gas)."""
    g = submit_grant(ctx.session, grant_file)
    ctx.emit(
        {"dataset": g.dataset_id, "grantee": g.grantee, "expiresAt": g.expires_at, "tx": g.tx_hash},
        f"{g.grantee} may access dataset {g.dataset_id} until {when(g.expires_at)} (tx {g.tx_hash})",
    )


@access.command()
@click.argument("grant_file", type=click.Path(path_type=Path))
@click.pass_obj
def cancel(ctx: CliContext, grant_file: Path) -> None:
    """Cancel a grant you signed before anyone submits it (its nonce is used up on-chain)."""
    tx = cancel_signed_grant(ctx.session, grant_file)
    ctx.emit({"cancelled": str(grant_file), "tx": tx}, f"cancelled the signed grant {grant_file} (tx {tx})")
