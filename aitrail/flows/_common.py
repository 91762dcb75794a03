"""Small helpers the flows share: hashing files, block times, reading JSON documents from the store."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from web3 import Web3

from aitrail._display import TOKEN as TOKEN
from aitrail._display import day as day
from aitrail._display import parse_tokens as parse_tokens
from aitrail._display import tokens as tokens
from aitrail._display import when as when
from aitrail.chain.accounts import DEV_CHAIN_IDS
from aitrail.cid import CID
from aitrail.errors import (
    AitrailError,
    BlockNotFoundError,
    ContractRevertError,
    InputFileError,
    NotInStoreError,
)
from aitrail.storage import Store

# How long past a commitment's delay to keep retrying its reveal before giving up (the next run resumes).
REVEAL_PATIENCE = 120
T = TypeVar("T")


def require_file(path: Path) -> Path:
    if not path.exists():
        raise InputFileError(str(path), "file not found")
    if not path.is_file():
        raise InputFileError(str(path), "not a regular file")
    return path


def sha256_file(path: Path) -> bytes:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.digest()


class BlockClock:
    """Timestamps of blocks, each fetched once."""

    def __init__(self, w3: Web3) -> None:
        self.w3 = w3

        @lru_cache(maxsize=4096)
        def stamp(number: int) -> int:
            return int(w3.eth.get_block(number)["timestamp"])

        self._stamp = stamp

    def __call__(self, number: int) -> int:
        return self._stamp(number)


def read_published(store: Store, cid: CID, what: str) -> bytes:
    """Bytes another party published; one whose root is not in this store is named with what to
    configure (it may live only in the publisher's own embedded store), not as a missing block."""
    try:
        return store.read_all(cid)
    except BlockNotFoundError as exc:
        if exc.cid == str(cid):
            raise NotInStoreError(what, str(cid), store.name) from None
        raise


def read_json(store: Store, cid: CID, what: str = "the document") -> dict[str, Any]:
    try:
        data = json.loads(read_published(store, cid, what))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise AitrailError(f"{what} {cid} is not JSON") from None
    if not isinstance(data, dict):
        raise AitrailError(f"{what} {cid} is not a JSON object")
    return data


def add_json(store: Store, document: dict[str, Any]) -> CID:
    """A small JSON document as a CIDv1 (raw for one block: its digest is the SHA-256 of the bytes)."""
    return store.add_bytes(json.dumps(document, indent=1, sort_keys=True).encode(), cid_version=1)


def text_ref(store: Store, text: str) -> bytes:
    """Store a short text (a purpose statement, a reason) and return the digest that names it on-chain."""
    cid = store.add_bytes(text.encode(), cid_version=1)
    return cid.digest


def commit_once(is_committed: Callable[[], bool], commit: Callable[[], object], exists_error: str) -> None:
    """The first step of a commit-reveal, sent unless an earlier (interrupted) run's commitment is already
    on-chain. A copy of our commitment that landed first (`exists_error`) is harmless: the commitment
    names us, so only we can reveal it."""
    if is_committed():
        return
    try:
        commit()
    except ContractRevertError as exc:
        if exc.error != exists_error:
            raise


def reveal_when_ready(session: Any, reveal: Callable[[], T], too_recent: str, delay: int) -> T:
    """The second step of a commit-reveal (a registration, a model publication), sent once its commitment
    is `delay` seconds old in chain time. The chain decides: the reveal is simulated before it is sent
    and refused with `too_recent(commitment, readyAt, timestamp)` until then, so nothing is sent early and
    a block clock ahead of or behind this machine's only changes the wait. A development chain that mines
    only on transactions (Anvil's automine) is watched until the block it would mine next is stamped
    `readyAt` (its clock is whole seconds of the wall clock, so a 1 s delay is over 0-1 s after the commit,
    not a full second of sleep later), then gets an empty block, so its clock moves as a real chain's does
    on its own."""
    deadline = time.monotonic() + delay + REVEAL_PATIENCE
    while True:
        try:
            return reveal()
        except ContractRevertError as exc:
            if exc.error != too_recent or time.monotonic() > deadline:
                raise
            ready_at = int(str(exc.args_["readyAt"]))
            if session.chain_id in DEV_CHAIN_IDS:
                _await_chain_time(session, ready_at, deadline)
                session.sender.rpc(lambda: session.w3.provider.make_request("evm_mine", []))
            else:
                time.sleep(min(max(ready_at - int(str(exc.args_["timestamp"])), 1), 5))


def _await_chain_time(session: Any, timestamp: int, deadline: float) -> None:
    """Until the development chain's pending block is stamped `timestamp` or later (or the deadline)."""
    while time.monotonic() < deadline:
        pending = session.sender.rpc(lambda: session.w3.eth.get_block("pending"))
        if int(pending["timestamp"]) >= timestamp:
            return
        time.sleep(0.05)
