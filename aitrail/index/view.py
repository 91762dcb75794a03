"""The audit path without web3: a dataset's trail (aitrail/trail.py) read from the event index, with the
few facts that are not events asked over plain JSON-RPC (`eth_call`) and the store.

    trail = indexed_dataset_trail(Settings.resolve(None, None), 1)

Why: importing web3 and the flows costs well over a second here, more than the whole re-audit of a
dataset with 100,000 indexed events. What this path does not do itself, because it needs web3's full
clients and is rare, it hands to a session opened only then (`fallback`): the sentence of a reverted
call (an unknown dataset id) and the stale-citation flags of a dataset with records withdrawn in a later
version. The trail is the same either way (tests/index checks it against the full
re-scan through web3).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from aitrail.abi import codec
from aitrail.cid import CID
from aitrail.config import Settings
from aitrail.errors import AitrailError, ConfigError, NotDeployedError, WrongChainError
from aitrail.index.logs import Request, RpcError
from aitrail.index.sync import EventIndex, http_request
from aitrail.trail import (
    KNOWN_ACCOUNTS,
    StrangerSummary,
    TrailSource,
    citation_text,
    dataset_trail,
    stored_purpose,
)

if TYPE_CHECKING:
    from aitrail.storage.base import Store

# The clients a trail reads, as Suite names them; RewardToken must be deployed too (Suite.load's check).
CONTRACTS = {
    "datasets": "DatasetRegistry",
    "models": "ModelRegistry",
    "rewards": "Rewards",
    "market": "AccessMarket",
}
REQUIRED = (*CONTRACTS.values(), "RewardToken")
# Read when the address book has them (a suite deployed before FederatedTraining has none).
OPTIONAL = {"fl": "FederatedTraining"}


@dataclass(frozen=True)
class Contract:
    """What the index needs of a client: the contract's name (its ABI) and address."""

    name: str
    address: str


class ChainView:
    """A TrailSource over the event index and raw JSON-RPC; `fallback` opens the session-backed source
    for what only web3's clients can answer (see the module's docstring)."""

    def __init__(
        self,
        index: EventIndex,
        book: dict[str, str],
        request: Request,
        store: Callable[[], Store],
        fallback: Callable[[], TrailSource],
    ) -> None:
        self.index = index
        self.request = request
        self.contracts = {
            key: Contract(name, codec.checksum_address(bytes.fromhex(book[name][2:])))
            for key, name in {**CONTRACTS, **OPTIONAL}.items()
            if book.get(name)
        }
        self._store = store
        self._fallback = fallback

    @cached_property
    def store(self) -> Store:
        return self._store()

    def events(self, contract: str, name: str, **filters: Any) -> list[Any]:
        return self.index.events(self.contracts[contract], name, filters)

    def block_time(self, number: int) -> int:
        return self.index.block_time(number)

    def tx_to(self, tx_hash: bytes) -> str:
        return self.index.tx_to(tx_hash)

    def registry_address(self) -> str:
        return self.contracts["datasets"].address

    def has(self, contract: str) -> bool:
        return contract in self.contracts

    def _call(self, contract: str, signature: str, *words: int) -> bytes:
        data = codec.selector(signature) + b"".join(codec.encode_word("uint256", w) for w in words)
        to = self.contracts[contract].address
        answer = self.request("eth_call", [{"to": to, "data": "0x" + data.hex()}, "latest"])
        return bytes.fromhex(str(answer)[2:])

    def dataset_state(self, dataset_id: int) -> tuple[str, bool]:
        try:
            owner = self._call("datasets", "datasetOwner(uint256)", dataset_id)
            withdrawn = self._call("datasets", "isWithdrawn(uint256)", dataset_id)
        except RpcError:  # a revert (DatasetUnknown): worded by the one place that decodes reverts
            return self._fallback().dataset_state(dataset_id)
        if len(owner) != 32 or len(withdrawn) != 32 or not self._registration(dataset_id):
            return self._fallback().dataset_state(dataset_id)  # no code there, or no event: its error
        return codec.checksum_address(owner[12:]), withdrawn[-1] != 0

    def _registration(self, dataset_id: int) -> list[Any]:
        return self.events("datasets", "DatasetRegistered", datasetId=dataset_id)

    def dataset_name(self, dataset_id: int) -> str | None:
        """The name in the dataset's metadata document; None when the store cannot give it (as
        flows.datasets.metadata_of)."""
        (event, *_) = self._registration(dataset_id)
        args = event["args"]
        cid = CID.from_onchain(bytes(args["metadataDigest"]), int(args["metadataKind"]))
        try:
            document = json.loads(self.store.read_all(cid))
        except (AitrailError, UnicodeDecodeError, json.JSONDecodeError):
            return None
        name = document.get("name") if isinstance(document, dict) else None
        return None if name is None else str(name)

    def purpose(self, ref: bytes) -> str:
        return stored_purpose(self.store, ref)

    def citation(self, version_id: int) -> str:
        """As flows.audit._citation: getVersion's model id and number, the model's registered name."""
        try:
            # (modelId uint64, number uint32, publishedAt uint64, deprecated bool): four static words
            version = self._call("models", "getVersion(uint256)", version_id)
        except RpcError:
            return self._fallback().citation(version_id)
        if len(version) != 128:
            return self._fallback().citation(version_id)
        model_id, number = int.from_bytes(version[:32], "big"), int.from_bytes(version[32:64], "big")
        registered = self.events("models", "ModelRegistered", modelId=model_id)
        name = str(registered[0]["args"]["name"]) if registered else f"#{model_id}"
        federated = self.events("models", "VersionTrainedFederated", versionId=version_id)
        task = int(federated[0]["args"]["taskId"]) if federated else None
        return citation_text(name, number, version_id, task)

    def stale_citations(self, dataset_id: int) -> list[dict[str, Any]]:
        """No flag without a record withdrawal in a later version (flows.records.stale_citations): that
        is checked here from the index; with one, the flags come from the session-backed source."""
        children: dict[int, list[int]] = {}
        for log in self.events("datasets", "DatasetRegistered"):
            children.setdefault(int(log["args"]["predecessor"]), []).append(int(log["args"]["datasetId"]))
        stack = list(children.get(dataset_id, []))
        while stack:
            child = stack.pop()
            if self.events("datasets", "RecordsWithdrawn", datasetId=child):
                return self._fallback().stale_citations(dataset_id)
            stack += children.get(child, [])
        return []

    def tail(self, contract: str, name: str, newest: int, **filters: Any) -> tuple[int, list[Any]] | None:
        return self.index.tail(self.contracts[contract], name, filters, newest)

    def attempts(self, dataset_id: int, newest: int | None = None) -> tuple[int, list[Any]] | None:
        return self.index.attempts(self.contracts["datasets"], dataset_id, KNOWN_ACCOUNTS, newest=newest)

    def stranger_summary(self, dataset_id: int) -> StrangerSummary | None:
        registry = self.contracts["datasets"]
        return self.index.stranger_summary(registry, dataset_id, KNOWN_ACCOUNTS)


def _book(settings: Settings, chain_id: int) -> dict[str, str]:
    from aitrail.addressbook import AddressBook

    book = AddressBook(settings.home).load(chain_id)
    recorded = book.get("chainId")
    if recorded is not None and int(recorded) != chain_id:
        raise WrongChainError(int(recorded), chain_id, "the address book")
    return book


def _check_deployed(book: dict[str, str], request: Request, chain_id: int) -> None:
    """What Suite.load checks, with the same errors: every client's contract in the book, with code."""
    for name in REQUIRED:
        at = book.get(name)
        if not at:
            raise NotDeployedError(name, chain_id)
        if request("eth_getCode", [at, "latest"]) in (None, "0x", "0x0"):
            raise NotDeployedError(f"{name} (the address book says {at}, which has no code)", chain_id)


def store_opener(settings: Settings, kind: str | None, ipfs_api: str | None) -> Callable[[], Store]:
    """The store a session would open (Session.open's rules), opened on first use."""
    from aitrail.storage import BACKENDS, DEFAULT_API

    chosen = (kind or os.environ.get("AITRAIL_STORE") or "local").lower()
    if chosen not in BACKENDS:
        raise ConfigError(f"unknown storage backend {chosen!r}: use one of {', '.join(BACKENDS)}")
    api = ipfs_api or os.environ.get("AITRAIL_IPFS_API") or DEFAULT_API

    def open_it() -> Store:
        from aitrail.storage import open_store

        return open_store(chosen, home=settings.home, api_url=api)

    return open_it


def open_index(settings: Settings, confirmations: int | None = None) -> tuple[EventIndex, dict[str, str]]:
    """This home's index of the chain `settings` name, and its address book, with the errors a session
    would give (chain unreachable, wrong chain, suite not deployed); the embedded chain started if need be."""
    if settings.is_local:
        from aitrail.chain.local import LocalChain, local_port

        LocalChain(settings.home, port=urlparse(settings.rpc_url).port or local_port()).ensure()
    request = http_request(settings.rpc_url)
    chain_id = int(request("eth_chainId", []), 16)
    book = _book(settings, chain_id)
    _check_deployed(book, request, chain_id)
    return EventIndex.open(settings.home, chain_id, book, request, confirmations), book


def indexed_dataset_trail(
    settings: Settings,
    dataset_id: int,
    *,
    sync: bool = True,
    confirmations: int | None = None,
    store: str | None = None,
    ipfs_api: str | None = None,
    newest: int | None = None,
) -> dict[str, Any]:
    """What flows.dataset_trail(session, dataset_id) returns (without lineage), read without web3; with
    `newest`, only that many newest rows written out (see trail.dataset_trail)."""
    opener = store_opener(settings, store, ipfs_api)
    index, book = open_index(settings, confirmations)
    request = index.request
    stack = ExitStack()  # the fallback's session, if one is opened, serves from this index until the end
    try:
        if sync:
            result = index.sync()
            state = {
                "synced": True,
                "syncedTo": result.synced_to,
                "finality": result.finality,
                "newLogs": result.new_logs,
            }
        else:
            state = {"synced": False, "syncedTo": index.synced_to(), "finality": "not synced by this audit"}

        @lru_cache(maxsize=1)
        def fallback() -> TrailSource:
            from aitrail.flows.audit import SessionSource
            from aitrail.flows.session import Session

            session = Session.open(settings, None, store=store, ipfs_api=ipfs_api)
            stack.enter_context(index.serving(session.suite))
            return SessionSource(session)

        with index.remembering():
            trail = dataset_trail(ChainView(index, book, request, opener, fallback), dataset_id, newest)
        trail["index"] = state
        return trail
    finally:
        stack.close()
        index.close()
