"""Keeping the event index up to date with the chain, and reading the suite's events back from it.

    index = EventIndex.for_session(session)      # AITRAIL_HOME/index/<chain id>.sqlite
    result = index.sync()                         # new final blocks only
    with index.serving(session.suite):            # the suite's event queries now read the index
        ...

What is indexed: every contract in this chain's address book for which the package ships an ABI, from the
address book's `deployedAtBlock`; a contract added to the book later is caught up on its own checkpoint.
Every log of those addresses is stored, whatever its event, and decoded from the ABI when read.

Finality: the index holds only blocks that are not expected to change. `confirmations` set (the
`--confirmations` option or AITRAIL_INDEX_CONFIRMATIONS) stops that many blocks below the latest. Unset:
a development chain (chain id 31337/1337: one node, nobody to reorganise it) is read to its latest block,
any other chain to its `finalized` block, or DEFAULT_CONFIRMATIONS below the latest where the node knows
no `finalized` tag.

Reorgs: each sync first compares the hash of the last block it recorded with the chain's. On a mismatch it
walks back through the recorded hashes to the newest block still on the chain, drops every log after it and
reads from there again.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from aitrail import abi
from aitrail.config import DEV_CHAIN_IDS
from aitrail.errors import ChainUnreachableError, ConfigError
from aitrail.index.decode import EventShape, encode_topic, shape_by_name, word_decoder
from aitrail.index.logs import AdaptiveLogReader, Request, RpcError
from aitrail.index.store import IndexStore

if TYPE_CHECKING:
    from aitrail.chain.contracts import Suite
    from aitrail.flows.session import Session

DEFAULT_CONFIRMATIONS = 12
CONFIRMATIONS_ENV = "AITRAIL_INDEX_CONFIRMATIONS"


@dataclass(frozen=True)
class SyncResult:
    synced_to: int
    finality: str
    new_logs: int
    dropped_logs: int
    reorg_at: int | None
    ranges: int
    calls: int
    refusals: int
    span: int
    seconds: float
    total_logs: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "syncedTo": self.synced_to,
            "finality": self.finality,
            "newLogs": self.new_logs,
            "droppedLogs": self.dropped_logs,
            "reorgAt": self.reorg_at,
            "ranges": self.ranges,
            "getLogsCalls": self.calls,
            "refusals": self.refusals,
            "span": self.span,
            "seconds": round(self.seconds, 3),
            "totalLogs": self.total_logs,
        }


def confirmations_from_env() -> int | None:
    raw = os.environ.get(CONFIRMATIONS_ENV)
    if raw is None or raw == "":
        return None
    if not raw.isdigit():
        raise ConfigError(f"{CONFIRMATIONS_ENV} must be a whole number of blocks, not {raw!r}")
    return int(raw)


def http_request(url: str, timeout: float = 120.0) -> Request:
    """JSON-RPC over plain urllib: what the audit path uses so that it imports no web3 (over a second of
    start-up here). A fault of the connection is one ChainUnreachableError; an error answer an RpcError."""

    def request(method: str, params: list[Any]) -> Any:
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
        call = urllib.request.Request(url, body, {"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(call, timeout=timeout) as answer:
                response = json.loads(answer.read())
        except urllib.error.HTTPError as exc:
            raise ChainUnreachableError(url, f"HTTP {exc.code} answering {method}") from None
        except (OSError, ValueError) as exc:
            raise ChainUnreachableError(url, f"{method}: {exc}") from None
        return _result(method, response)

    return request


def _result(method: str, response: dict[str, Any]) -> Any:
    if "error" in response:
        error = response["error"]
        if isinstance(error, dict):
            raise RpcError(method, int(error.get("code", 0)), str(error.get("message", error)))
        raise RpcError(method, 0, str(error))
    return response.get("result")


class ContractRef(Protocol):
    """What the index needs of a contract client: its name (the ABI to decode with) and address."""

    @property
    def name(self) -> str: ...

    @property
    def address(self) -> str: ...


class TxHash(bytes):
    """A transaction hash as the index returns it: bytes, printed like web3's HexBytes."""

    def to_0x_hex(self) -> str:
        return "0x" + self.hex()


def raw_request(session: Session) -> Request:
    """JSON-RPC without web3's result formatting, connection faults retried like every other read."""
    provider = session.w3.provider

    def request(method: str, params: list[Any]) -> Any:
        response = session.sender.rpc(lambda: provider.make_request(method, params))  # type: ignore[arg-type]
        return _result(method, dict(response))

    return request


def _event(client: ContractRef, name: str, shape: EventShape, row: tuple[Any, ...]) -> dict[str, Any]:
    """One stored row as the event dict web3 would have given (plus the block's time)."""
    block, index, block_hash, tx, *topic_values, data, stamp = row
    return {
        "args": shape.lazy(topic_values, data),
        "event": name,
        "address": client.address,
        "blockNumber": block,
        "logIndex": index,
        "blockHash": block_hash,
        "transactionHash": TxHash(tx),
        "blockTimestamp": stamp,
    }


class EventIndex:
    def __init__(
        self,
        path: Path,
        request: Request,
        chain_id: int,
        contracts: dict[str, tuple[str, int]],
        confirmations: int | None = None,
    ) -> None:
        self.store = IndexStore(path)
        self.lock_path = path.with_suffix(".lock")
        self.request = request
        self.chain_id = chain_id
        self.contracts = {a.lower(): v for a, v in contracts.items()}  # address -> (contract, from block)
        self.confirmations = confirmations
        self.reader = AdaptiveLogReader(request)
        self._served: dict[tuple[str, str, tuple[tuple[str, str], ...]], list[dict[str, Any]]] | None = None

    @classmethod
    def for_session(cls, session: Session, confirmations: int | None = None) -> EventIndex:
        session.suite  # noqa: B018 - NotDeployedError before an empty index is created
        return cls.open(
            session.home, session.chain_id, session.book.load(session.chain_id), raw_request(session),
            confirmations,
        )

    @classmethod
    def open(
        cls,
        home: Path,
        chain_id: int,
        book: dict[str, str],
        request: Request,
        confirmations: int | None = None,
    ) -> EventIndex:
        """The index of chain `chain_id` in `home`, over the contracts of its address book `book`."""
        start = int(book.get("deployedAtBlock", "0"))
        shipped = set(abi.names())
        contracts = {
            str(at): (name, start)
            for name, at in book.items()
            if name in shipped and str(at).startswith("0x")
        }
        return cls(
            home / "index" / f"{chain_id}.sqlite",
            request,
            chain_id,
            contracts,
            confirmations if confirmations is not None else confirmations_from_env(),
        )

    def close(self) -> None:
        self.store.close()

    # --- syncing ---

    def finality_head(self) -> tuple[int, str]:
        latest = int(self.request("eth_blockNumber", []), 16)
        if self.confirmations is not None:
            return latest - self.confirmations, f"{self.confirmations} confirmations"
        if self.chain_id in DEV_CHAIN_IDS:
            return latest, "latest block (development chain)"
        try:
            block = self.request("eth_getBlockByNumber", ["finalized", False])
        except RpcError:
            block = None
        if block:
            return int(block["number"], 16), "finalized block"
        return latest - DEFAULT_CONFIRMATIONS, f"{DEFAULT_CONFIRMATIONS} confirmations (no finalized tag)"

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """One sync of a home's index at a time: two would read the same range."""
        with open(self.lock_path, "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def sync(self, up_to: int | None = None) -> SyncResult:
        began = time.perf_counter()
        calls, refusals = self.reader.calls, self.reader.refusals
        with self._locked():
            for address, (contract, start) in self.contracts.items():
                self.store.add_source(address, contract, start)
            dropped, reorg_at = self._undo_reorg()
            head, finality = self.finality_head()
            if up_to is not None:
                head = min(head, up_to)
            new_logs = ranges = 0
            while True:
                marks = {a: s for a, (_, _, s) in self.store.sources().items() if a in self.contracts}
                behind = {a: s for a, s in marks.items() if s < head}
                if not behind:
                    break
                low = min(behind.values())
                group = sorted(a for a, s in behind.items() if s == low)
                ahead = [s for s in behind.values() if s > low]
                end = min([head, *ahead])  # catch up to the others, then read together
                for chunk in self.reader.chunks(group, low + 1, end):
                    new_logs += self.store.commit_range(group, chunk.end, chunk.logs, self._blocks(chunk))
                    ranges += 1
        return SyncResult(
            synced_to=self.synced_to(),
            finality=finality,
            new_logs=new_logs,
            dropped_logs=dropped,
            reorg_at=reorg_at,
            ranges=ranges,
            calls=self.reader.calls - calls,
            refusals=self.reader.refusals - refusals,
            span=self.reader.span,
            seconds=time.perf_counter() - began,
            total_logs=self.store.count(),
        )

    def _header(self, number: int) -> dict[str, Any] | None:
        header: dict[str, Any] | None = self.request("eth_getBlockByNumber", [hex(number), False])
        return header

    def _blocks(self, chunk: Any) -> dict[int, tuple[bytes, int | None]]:
        """Hash and time of each block a log came from, and of the range's last block (the checkpoint)."""
        blocks: dict[int, tuple[bytes, int | None]] = {}
        for log in chunk.logs:
            number = int(log["blockNumber"], 16)
            if number in blocks:
                continue
            stamp = log.get("blockTimestamp")
            if stamp is None:  # nodes older than the blockTimestamp field: one header per block
                stamp = (self._header(number) or {}).get("timestamp")
            blocks[number] = (bytes.fromhex(log["blockHash"][2:]), None if stamp is None else int(stamp, 16))
        if chunk.end not in blocks:
            header = self._header(chunk.end)
            if header is not None:
                blocks[chunk.end] = (bytes.fromhex(header["hash"][2:]), int(header["timestamp"], 16))
        return blocks

    def _undo_reorg(self) -> tuple[int, int | None]:
        marks = [s for _, _, s in self.store.sources().values()]
        if not marks:
            return 0, None
        keep = -1
        changed = False
        recorded = self.store.recorded_blocks(max(marks))
        for number, stored in recorded:
            header = self._header(number)
            if header is not None and bytes.fromhex(header["hash"][2:]) == stored:
                keep = number
                break
            changed = True
        recorded.close()  # its read ends before the rollback writes
        if not changed:
            return 0, None
        return self.store.roll_back_to(keep), keep + 1

    def synced_to(self) -> int:
        marks = [s for a, (_, _, s) in self.store.sources().items() if a in self.contracts]
        return min(marks) if marks else -1

    # --- reading ---

    def events(self, client: ContractRef, name: str, filters: dict[str, Any]) -> list[dict[str, Any]]:
        """What `client.events(name, **filters)` returns, from the index. While serving, the same query
        is answered once (an audit asks for a dataset's grants three times): nothing is written then."""
        key = (client.address, name, tuple(sorted((k, str(v)) for k, v in filters.items())))
        if self._served is not None and key in self._served:
            return list(self._served[key])  # a copy: a caller may extend or sort what it got
        found = self._read(client, name, filters)
        if self._served is not None:
            self._served[key] = found
        return list(found)

    def _read(self, client: ContractRef, name: str, filters: dict[str, Any]) -> list[dict[str, Any]]:
        shape, topics, later = self._query(client, name, filters)
        rows = self.store.select(client.address, shape.topic0, topics)
        if not later:
            return [_event(client, name, shape, row) for row in rows]
        events = (_event(client, name, shape, row) for row in rows)
        return [e for e in events if all(e["args"].get(k) == v for k, v in later.items())]

    def _query(
        self, client: ContractRef, name: str, filters: dict[str, Any]
    ) -> tuple[EventShape, dict[int, bytes], dict[str, Any]]:
        """The event's shape, the topics `filters` fix, and the filters on values in the data."""
        shape = shape_by_name(client.name, name)
        topics: dict[int, bytes] = {}
        later: dict[str, Any] = {}
        kinds = dict(shape.indexed)
        for arg, value in filters.items():
            position = shape.topic_position(arg)
            if position is None:
                later[arg] = value
            else:
                topics[position] = encode_topic(kinds[arg], value)
        return shape, topics, later

    def tail(
        self, client: ContractRef, name: str, filters: dict[str, Any], newest: int
    ) -> tuple[int, list[dict[str, Any]]]:
        """How many events `events()` would return, and the newest `newest` of them, counted and cut by
        SQLite: a text table of the newest rows reads those rows only."""
        shape, topics, later = self._query(client, name, filters)
        if later:  # a filter on a value in the data: SQLite cannot count it
            found = self.events(client, name, filters)
            return len(found), found[-newest:]
        rows = self.store.select(client.address, shape.topic0, topics, newest=newest)
        return self.store.count_where(client.address, shape.topic0, topics), [
            _event(client, name, shape, row) for row in rows
        ]

    def _known_sources(
        self, client: ContractRef, known_from: Sequence[tuple[str, str]]
    ) -> list[tuple[bytes, int]]:
        """(topic0, topic position) of each (event, account argument) in `known_from`, all of them events
        of `client` whose first indexed argument is the dataset id."""
        sources = []
        for event, argument in known_from:
            shape = shape_by_name(client.name, event)
            position = shape.topic_position(argument)
            if shape.topic_position("datasetId") != 1 or position is None:
                raise ValueError(f"{event}.{argument} is not an indexed account of an indexed dataset id")
            sources.append((shape.topic0, position))
        return sources

    def attempts(
        self,
        client: ContractRef,
        subject: int,
        known_from: Sequence[tuple[str, str]],
        *,
        strangers: bool = False,
        newest: int | None = None,
    ) -> tuple[int, list[dict[str, Any]]]:
        """AccessLogged events of dataset `subject` split in SQL (see IndexStore.attempts): those
        allowed or by an account the events `known_from` name for it ((event, argument) pairs), or with
        `strangers` the denied ones of everybody else. Their count, and the events (only the newest
        `newest` with that)."""
        shape = shape_by_name(client.name, "AccessLogged")
        count, rows = self.store.attempts(
            client.address,
            shape.topic0,
            encode_topic("uint256", subject),
            self._known_sources(client, known_from),
            strangers,
            newest,
        )
        return count, [_event(client, "AccessLogged", shape, row) for row in rows]

    def stranger_summary(
        self, client: ContractRef, subject: int, known_from: Sequence[tuple[str, str]]
    ) -> tuple[int, list[str], dict[str, Any] | None]:
        """Count, distinct accounts (checksummed) and last event of the denied AccessLogged attempts of
        dataset `subject` by accounts the events `known_from` do not name, aggregated by SQLite."""
        shape = shape_by_name(client.name, "AccessLogged")
        count, accounts, last = self.store.stranger_summary(
            client.address,
            shape.topic0,
            encode_topic("uint256", subject),
            self._known_sources(client, known_from),
        )
        read = word_decoder("address")
        return (
            count,
            [str(read(a)) for a in accounts],
            None if last is None else _event(client, "AccessLogged", shape, last),
        )

    def block_time(self, number: int) -> int:
        stamp = self.store.block_time(number)
        if stamp is None:
            header = self._header(number)
            if header is None:
                raise ConfigError(f"block {number} is not on the chain")
            stamp = int(header["timestamp"], 16)
        return stamp

    def tx_to(self, tx_hash: bytes) -> str:
        cached = self.store.tx_to(tx_hash)
        if cached is not None:
            return cached
        tx = self.request("eth_getTransactionByHash", ["0x" + tx_hash.hex()]) or {}
        to = str(tx.get("to") or "")
        self.store.remember_tx_to(tx_hash, to)
        return to

    @contextmanager
    def serving(self, suite: Suite) -> Iterator[None]:
        """Within the block, every event query of the suite's clients reads the index."""
        clients: list[Any] = [suite.datasets, suite.models, suite.token, suite.rewards, suite.market]
        if suite.fl is not None:  # the dataset trail reads FederatedTraining's ParticipantAdded too
            clients.append(suite.fl)
        for client in clients:
            client.log_source = self
        try:
            with self.remembering():
                yield
        finally:
            for client in clients:
                client.log_source = None

    @contextmanager
    def remembering(self) -> Iterator[None]:
        """Within the block, a query asked twice is read once (an audit asks for a dataset's grants three
        times); nothing is written to the index meanwhile."""
        self._served = {}
        try:
            yield
        finally:
            self._served = None
