"""`aitrail status`: which chain we are on and where the suite is deployed."""

from __future__ import annotations

import click

from aitrail.addressbook import SUITE
from aitrail.cli.context import CliContext


@click.command()
@click.pass_obj
def status(ctx: CliContext) -> None:
    """Chain id, latest block, and which suite contracts are deployed where."""
    w3 = ctx.w3
    chain_id = w3.eth.chain_id
    block = w3.eth.block_number
    book = ctx.address_book.load(chain_id)
    contracts: dict[str, dict[str, str | bool | None]] = {}
    lines = [f"rpc        {ctx.settings.rpc_url}", f"chain id   {chain_id}", f"block      {block}"]
    for name in SUITE:
        address = book.get(name)
        has_code = address is not None and len(w3.eth.get_code(w3.to_checksum_address(address))) > 0
        contracts[name] = {"address": address, "code": has_code}
        where = address or "not deployed"
        if address and not has_code:
            where += "  (no code at this address!)"
        lines.append(f"{name:<16}{where}")
    ctx.emit(
        {"rpc_url": ctx.settings.rpc_url, "chain_id": chain_id, "block": block, "contracts": contracts},
        "\n".join(lines),
    )
