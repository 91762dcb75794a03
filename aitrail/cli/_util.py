"""Helpers the command modules share: naming accounts, formatting tables."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aitrail.chain.accounts import Keystore, checked_address, dev_account, is_dev_name
from aitrail.cli.context import CliContext


def to_address(ctx: CliContext, who: str) -> str:
    """An address from `0x...`, a keystore account name (read without unlocking), or anvilN."""
    if who.startswith("0x"):
        return str(checked_address(who))
    if is_dev_name(who):
        return str(dev_account(who).address)
    return Keystore(ctx.settings.home).address(who)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[str(c) for c in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    return "\n".join(lines) if rows else lines[0] + "\n(none)"
