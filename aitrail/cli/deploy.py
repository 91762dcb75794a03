"""`aitrail deploy`: deploy the suite, or find it deployed (idempotent)."""

from __future__ import annotations

import click

from aitrail.cli.context import CliContext
from aitrail.flows import DeployParams, deploy_suite, find_suite
from aitrail.flows._common import parse_tokens


@click.command()
@click.option(
    "--treasury",
    default="0",
    show_default=True,
    help="TRAIL minted once to the deployer (funds that pay the first access fees).",
)
@click.option(
    "--find",
    is_flag=True,
    help="Send nothing: find the suite already deployed on this chain (scanning its creation transactions) "
    "and write this home's address book. For a second home joining an existing deployment.",
)
@click.option(
    "--from-block",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="With --find: the first block to scan (on a long chain, the block the suite was deployed in).",
)
@click.option(
    "--registration-delay",
    type=click.IntRange(min=1, max=2**64 - 1),
    default=None,
    metavar="SECONDS",
    help="Seconds a registration's commitment must age before its reveal (DatasetRegistry, against "
    "squatting; fixed at deployment). Default 60, or 1 on a development chain.",
)
@click.pass_obj
def deploy(
    ctx: CliContext, treasury: str, find: bool, from_block: int, registration_delay: int | None
) -> None:
    """Deploy the registries, reward token and rules, market and federated training; wire their roles.
    A second run finds them (address book + code on chain) and sends nothing."""
    session = ctx.session
    lines: list[str] = []
    if find:
        found = find_suite(session, from_block, log=(lambda line: None) if ctx.as_json else lines.append)
        lines.append(f"address book: {session.book.path(found.chain_id)}")
        ctx.emit({"chainId": found.chain_id, "addresses": found.addresses, "deployed": [], "wired": []},
                 "\n".join(lines))
        return
    result = deploy_suite(
        session,
        DeployParams(treasury=parse_tokens(treasury), registration_delay=registration_delay),
        log=(lambda line: None) if ctx.as_json else lines.append,
    )
    if not result.deployed and not result.wired:
        lines.append(f"nothing to do: the suite is already deployed on chain {result.chain_id}")
    lines.append(f"address book: {session.book.path(result.chain_id)}")
    ctx.emit(
        {
            "chainId": result.chain_id,
            "addresses": result.addresses,
            "deployed": result.deployed,
            "wired": result.wired,
        },
        "\n".join(lines),
    )
