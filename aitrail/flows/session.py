"""A session: one chain, one account, one store, the deployed suite. Every flow takes one.

    session = Session.open(Settings.resolve(None, None), account="hospital")
    register_dataset(session, Path("data.csv"), name="...", license="CC-BY-4.0")

On the local network the embedded Anvil is started (or found running) first. Accounts are keystore
names, or `anvil0` ... `anvil9` on a development chain (chain id 31337 or 1337); with no account given
on a development chain, `anvil0` is used. Brownie scripts may pass a brownie account instead (see
`account_from_brownie`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from eth_account.signers.local import LocalAccount
from web3 import Web3

from aitrail._display import date
from aitrail.addressbook import AddressBook
from aitrail.chain.accounts import (
    DEV_CHAIN_IDS,
    Keystore,
    PasswordPrompt,
    checked_address,
    dev_account,
    is_dev_name,
)
from aitrail.chain.connection import connect
from aitrail.chain.contracts import Suite
from aitrail.chain.local import LocalChain, local_port
from aitrail.chain.reverts import DecodedRevert
from aitrail.chain.tx import Transactor
from aitrail.config import Settings
from aitrail.errors import AccountError, ConfigError, WrongChainError
from aitrail.storage import BACKENDS, DEFAULT_API, Store, open_store

ZERO = "0x0000000000000000000000000000000000000000"


@dataclass
class Session:
    settings: Settings
    w3: Web3
    chain_id: int
    signer: LocalAccount | str | None
    store_kind: str = "local"
    ipfs_api: str = DEFAULT_API
    tx_timeout: float = 120.0
    _suite: Suite | None = field(default=None, repr=False)

    @classmethod
    def open(
        cls,
        settings: Settings,
        account: str | LocalAccount | None = None,
        *,
        store: str | None = None,
        ipfs_api: str | None = None,
        prompt: PasswordPrompt | None = None,
        tx_timeout: float = 120.0,
    ) -> Session:
        if settings.is_local:
            # on the port of the settings' URL (the SDK passes one; the CLI's comes from AITRAIL_LOCAL_PORT)
            LocalChain(settings.home, port=urlparse(settings.rpc_url).port or local_port()).ensure()
        w3 = connect(settings.rpc_url)
        chain_id = int(w3.eth.chain_id)
        signer = resolve_account(settings.home, chain_id, account, prompt)
        kind = (store or os.environ.get("AITRAIL_STORE") or "local").lower()
        if kind not in BACKENDS:
            raise ConfigError(f"unknown storage backend {kind!r}: use one of {', '.join(BACKENDS)}")
        return cls(
            settings,
            w3,
            chain_id,
            signer,
            kind,
            ipfs_api or os.environ.get("AITRAIL_IPFS_API") or DEFAULT_API,
            tx_timeout,
        )

    @property
    def home(self) -> Path:
        return self.settings.home

    @property
    def address(self) -> str:
        if self.signer is None:
            return ZERO
        return self.signer if isinstance(self.signer, str) else str(self.signer.address)

    @property
    def key(self) -> LocalAccount:
        """The signer's key, for unwrapping data keys; node-held accounts have none here."""
        if self.signer is None:
            raise AccountError("this needs an account: pass --account NAME (or set AITRAIL_ACCOUNT)")
        if isinstance(self.signer, str):
            raise AccountError(f"account {self.signer} is held by the node; decrypting needs a local key")
        return self.signer

    @cached_property
    def sender(self) -> Transactor:
        if self.signer is None:
            return Transactor(self.w3, ZERO, timeout=self.tx_timeout, enrich=self._enrich)
        return Transactor(
            self.w3, self.signer, self.home / "pending", timeout=self.tx_timeout, enrich=self._enrich
        )

    def _enrich(self, decoded: DecodedRevert) -> str | None:
        """Revert sentences with the facts only the event log has (when a dataset was withdrawn)."""
        if decoded.name in ("DatasetIsWithdrawn", "ModelDatasetWithdrawn") and decoded.values:
            dataset_id = int(decoded.values[0])
            withdrawn = self.withdrawn_at(dataset_id)
            if withdrawn is not None:
                return f"dataset {dataset_id} was withdrawn on {date(withdrawn)}"
        return None

    def withdrawn_at(self, dataset_id: int) -> int | None:
        events = self.suite.datasets.events("DatasetWithdrawn", datasetId=dataset_id)
        if not events:
            return None
        return int(self.w3.eth.get_block(events[0]["blockNumber"])["timestamp"])

    def require_signer(self) -> None:
        if self.signer is None:
            raise AccountError("this needs an account: pass --account NAME (or set AITRAIL_ACCOUNT)")

    @cached_property
    def book(self) -> AddressBook:
        return AddressBook(self.home)

    @property
    def suite(self) -> Suite:
        if self._suite is None:
            entries = self.book.load(self.chain_id)
            recorded = entries.get("chainId")
            if recorded is not None and int(recorded) != self.chain_id:
                raise WrongChainError(int(recorded), self.chain_id, "the address book")
            self._suite = Suite.load(self.w3, entries, self.sender, self.chain_id)
        return self._suite

    @cached_property
    def store(self) -> Store:
        return open_store(self.store_kind, home=self.home, api_url=self.ipfs_api)

    def block_time(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])


def resolve_account(
    home: Path, chain_id: int, account: str | LocalAccount | None, prompt: PasswordPrompt | None
) -> LocalAccount | str | None:
    if account is None:
        return dev_account("anvil0") if chain_id in DEV_CHAIN_IDS else None
    if not isinstance(account, str):
        return account
    if is_dev_name(account):
        if chain_id not in DEV_CHAIN_IDS:
            raise AccountError(
                f"{account} is one of Anvil's public test accounts: only usable on a development chain "
                f"(chain id 31337 or 1337), not chain {chain_id}"
            )
        return dev_account(account)
    if account.startswith("0x"):
        return checked_address(account)  # held (unlocked) by the node, e.g. brownie dev accounts
    return Keystore(home, prompt).unlock(account)


def account_from_brownie(account: Any) -> LocalAccount | str:
    """A brownie account as an SDK signer: its key if brownie holds one (never written anywhere),
    Anvil's known key for a dev-chain account, else its address for the node to sign."""
    from eth_account import Account

    key = getattr(account, "private_key", None)
    if key:
        signer: LocalAccount = Account.from_key(key)
        return signer
    for index in range(10):
        dev = dev_account(f"anvil{index}")
        if dev.address == account.address:
            return dev
    return str(account.address)
