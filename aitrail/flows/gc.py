"""`aitrail store gc`: find (and on request remove) what the embedded store holds that nothing uses.

Referenced, and so kept: every bytes32 value in any event of this deployment's five contracts (CID
digests of datasets, metadata, wrapped keys, purposes, reasons, model artifacts and metadata, all
recorded as digests), every CID named inside a referenced JSON document (a metadata's `ownerKey` and
`contentUrl`), and every CID in an upload journal entry of this home (a register that can still be
re-run), and every raw block of at most 4 KiB (a wrapped key in a signed grant not submitted yet is
named nowhere this home can read). Being generous costs little: a kept block is at worst a few bytes
too many, a deleted one is data lost. Everything else is an orphan: a failed or interrupted register's
upload, typically.

The store is the home's, shared by every deployment the home has used; a home whose address book
names another chain is refused, since that chain's references cannot be read from this one.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from typing import Any

from aitrail import abi
from aitrail.cid import CID, RAW
from aitrail.errors import AitrailError, ConfigError
from aitrail.flows.datasets import journal_entries
from aitrail.flows.session import Session
from aitrail.storage.local import GcPlan, LocalStore

# A referenced document bigger than this is data, not a JSON document worth scanning for CIDs.
_MAX_DOCUMENT = 1 << 20
# Raw blocks up to this size are never called orphans (see `kept`).
SMALL_DOCUMENT = 4096


@dataclass(frozen=True)
class GcReport:
    plan: GcPlan
    applied: bool
    referenced: int  # distinct digests the chain and the journals reference


def collect_garbage(session: Session, apply: bool = False) -> GcReport:
    store = session.store
    if not isinstance(store, LocalStore):
        raise ConfigError(
            f"store gc works on the embedded local store; a {store.name} node has its own (`ipfs repo gc`)"
        )
    others = sorted(
        p.stem for p in session.book.folder.glob("*.json") if p.stem != str(session.chain_id)
    ) if session.book.folder.is_dir() else []
    if others:
        raise ConfigError(
            f"this home's store also holds data of chain(s) {', '.join(others)}, whose references cannot "
            f"be read from chain {session.chain_id}: run gc with a home used by one chain only"
        )
    digests = _referenced_digests(session, store)

    def kept(cid: CID) -> bool:
        # A small raw block (a wrapped key, a purpose, a reason) may be named only by a signed grant
        # that is not submitted yet, a file this home cannot see; kept, since it costs next to nothing.
        return cid.digest in digests or (cid.codec == RAW and store.block_size(cid) <= SMALL_DOCUMENT)

    plan = store.plan_gc(kept)
    if apply:
        store.apply_gc(plan)
    return GcReport(plan, apply, len(digests))


def _referenced_digests(session: Session, store: LocalStore) -> set[bytes]:
    digests: set[bytes] = set()
    suite = session.suite
    for client in (suite.datasets, suite.models, suite.token, suite.rewards, suite.market):
        events = [str(e.get("name")) for e in abi.abi(client.name) if e.get("type") == "event"]
        for event in events:
            for log in client.events(event):
                _bytes32_in(dict(log["args"]).values(), digests)
    for journal in journal_entries(session.home):
        _cids_in(journal, digests)
    # Documents name further CIDs (the owner's wrapped key, the data's contentUrl): follow them once.
    for digest in list(digests):
        for kind in (CID(1, 0x55, digest), CID(1, 0x70, digest)):
            raw = store.raw_block(kind) if store.has(kind) else None
            if raw is not None and len(raw) <= _MAX_DOCUMENT and raw[:1] == b"{":
                with contextlib.suppress(UnicodeDecodeError, json.JSONDecodeError):
                    _cids_in(json.loads(raw), digests)
    return digests


def _bytes32_in(values: Any, out: set[bytes]) -> None:
    for value in values:
        if isinstance(value, bytes | bytearray) and len(value) == 32:
            out.add(bytes(value))
        elif isinstance(value, list | tuple):
            _bytes32_in(value, out)


def _cids_in(document: Any, out: set[bytes]) -> None:
    if isinstance(document, dict):
        for value in document.values():
            _cids_in(value, out)
    elif isinstance(document, list):
        for value in document:
            _cids_in(value, out)
    elif isinstance(document, str) and len(document) < 200:
        with contextlib.suppress(AitrailError, ValueError):
            out.add(CID.decode(document.removeprefix("ipfs://")).digest)
