"""What every command gets: the global options, resolved lazily so `--help` never touches the chain.

Nothing here imports web3 or the flows at module level: every command imports this module, and a command
that never reaches the chain (`--help`, `cid`, `store`) must not pay web3's import (over a second here).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import click

from aitrail.config import Settings

if TYPE_CHECKING:
    from web3 import Web3

    from aitrail.addressbook import AddressBook
    from aitrail.flows.session import Session


def has_terminal() -> bool:
    """A terminal to prompt on: standard input open (not `<&-`, where sys.stdin is None) and a tty."""
    try:
        return sys.stdin is not None and not sys.stdin.closed and sys.stdin.isatty()
    except (AttributeError, ValueError, OSError):  # replaced by something file-like, or closed under us
        return False


def prompt_password(name: str, confirm: bool) -> str:
    """Hidden prompt on a terminal; without one the caller gets NoPasswordError naming the env vars."""
    from aitrail.chain.accounts import password_env_vars
    from aitrail.errors import NoPasswordError

    if not has_terminal():
        raise NoPasswordError(name, password_env_vars(name))
    return str(click.prompt(f"password for account {name!r}", hide_input=True, confirmation_prompt=confirm))


@dataclass
class CliContext:
    rpc_url: str | None
    network: str | None
    as_json: bool
    account: str | None = None
    store: str | None = None
    ipfs_api: str | None = None
    timeout: float = 120.0
    _extra: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def settings(self) -> Settings:
        return Settings.resolve(self.rpc_url, self.network)

    @cached_property
    def w3(self) -> Web3:
        from aitrail.chain.connection import connect
        from aitrail.chain.local import LocalChain

        if self.settings.is_local:
            LocalChain(self.settings.home).ensure()
        return connect(self.settings.rpc_url)

    @property
    def chain_used(self) -> bool:
        """Whether this command reached the chain (cached_property keeps a computed value in __dict__)."""
        return "w3" in self.__dict__ or "session" in self.__dict__

    def save_local_chain(self) -> None:
        """On the embedded chain, make what this command changed survive a crash of the chain."""
        if self.chain_used and self.settings.is_local:
            from aitrail.chain.local import LocalChain

            LocalChain(self.settings.home).checkpoint()

    @cached_property
    def address_book(self) -> AddressBook:
        from aitrail.addressbook import AddressBook

        return AddressBook(self.settings.home)

    @cached_property
    def session(self) -> Session:
        from aitrail.flows.session import Session

        return Session.open(
            self.settings,
            self.account,
            store=self.store,
            ipfs_api=self.ipfs_api,
            prompt=prompt_password,
            tx_timeout=self.timeout,
        )

    def emit(self, data: Any, human: str, *, changed_chain: bool = True) -> None:
        """Print `human` by default, `data` as JSON with --json; on the embedded chain, only once what
        the command did is saved (a crash of the chain right after success must not undo it). A command
        that only reads the chain says `changed_chain=False`: a checkpoint dumps the chain's whole state,
        seconds once it holds 100,000 events, and would save nothing this command did."""
        if changed_chain:
            self.save_local_chain()
        if self.as_json:
            from aitrail.results import to_json_value  # results' one JSON form (aitrail/results.py)

            click.echo(json.dumps(to_json_value(data), indent=2, sort_keys=True, default=str))
        else:
            click.echo(human)
