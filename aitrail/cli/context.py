"""What every command gets: the global options, resolved lazily so `--help` never touches the chain."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import click
from web3 import Web3

from aitrail.addressbook import AddressBook
from aitrail.chain.connection import connect
from aitrail.config import Settings


@dataclass
class CliContext:
    rpc_url: str | None
    network: str | None
    as_json: bool
    _extra: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def settings(self) -> Settings:
        return Settings.resolve(self.rpc_url, self.network)

    @cached_property
    def w3(self) -> Web3:
        return connect(self.settings.rpc_url)

    @cached_property
    def address_book(self) -> AddressBook:
        return AddressBook(self.settings.home)

    def emit(self, data: Any, human: str) -> None:
        """Print `human` by default, `data` as JSON with --json."""
        click.echo(json.dumps(data, indent=2, sort_keys=True, default=str) if self.as_json else human)
