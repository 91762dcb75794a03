"""Events decoded generically from the ABIs the package ships (aitrail/abi): any event of any contract
there, including contracts added after a log was indexed, since rows are stored raw (topics and data) and
decoded when read.

Static values (uintN, intN, address, bool, bytesN) are read straight from their 32-byte words: an audit of
100,000 rows decodes each in microseconds. Dynamic ones (string, bytes, arrays) go through eth_abi.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from aitrail import abi


@lru_cache(maxsize=65_536)
def _checksum(raw: bytes) -> str:
    return str(to_checksum_address(raw))


def _static_word(kind: str, word: bytes) -> Any:
    if kind == "address":
        return _checksum(word[12:])
    if kind == "bool":
        return word[-1] != 0
    if kind.startswith("uint"):
        return int.from_bytes(word, "big")
    if kind.startswith("int"):
        return int.from_bytes(word, "big", signed=True)
    if kind.startswith("bytes") and kind != "bytes":
        return word[: int(kind[5:])]
    raise TypeError(kind)


def _is_static(kind: str) -> bool:
    if kind in ("address", "bool"):
        return True
    if kind.startswith(("uint", "int")):
        return "[" not in kind
    return kind.startswith("bytes") and kind != "bytes" and "[" not in kind


def encode_topic(kind: str, value: Any) -> bytes:
    """The topic an indexed static argument has for `value` (what eth_getLogs filters on)."""
    if kind == "address":
        return bytes(12) + bytes.fromhex(str(value)[2:].lower().rjust(40, "0"))
    if kind == "bool":
        return int(bool(value)).to_bytes(32, "big")
    if kind.startswith("uint"):
        return int(value).to_bytes(32, "big")
    if kind.startswith("int"):
        return int(value).to_bytes(32, "big", signed=True)
    if kind.startswith("bytes") and kind != "bytes":
        return bytes(value).ljust(32, b"\0")
    raise TypeError(f"cannot filter on an indexed {kind} value")


@dataclass(frozen=True)
class EventShape:
    contract: str
    name: str
    topic0: bytes
    indexed: tuple[tuple[str, str], ...]  # (name, type) in topic order
    data: tuple[tuple[str, str], ...]  # (name, type) in data order
    order: tuple[str, ...]  # argument names as declared

    @property
    def data_static(self) -> bool:
        return all(_is_static(kind) for _, kind in self.data)

    def topic_position(self, arg: str) -> int | None:
        """1..3 for an indexed argument, None for one in the data."""
        for position, (name, _) in enumerate(self.indexed, start=1):
            if name == arg:
                return position
        return None

    def decode(self, topics: list[bytes | None], data: bytes) -> dict[str, Any]:
        args: dict[str, Any] = {}
        for (name, kind), topic in zip(self.indexed, topics[1:], strict=False):
            # A dynamic indexed value is only its keccak in the topic: kept as those 32 bytes.
            args[name] = _static_word(kind, topic) if topic is not None and _is_static(kind) else topic
        if self.data:
            if self.data_static:
                for i, (name, kind) in enumerate(self.data):
                    args[name] = _static_word(kind, data[32 * i : 32 * i + 32])
            else:
                values = abi_decode([kind for _, kind in self.data], data)
                for (name, _), value in zip(self.data, values, strict=True):
                    args[name] = list(value) if isinstance(value, tuple) else value
        return {name: args[name] for name in self.order}


def _shape(contract: str, entry: dict[str, Any]) -> EventShape:
    inputs = entry.get("inputs", [])
    return EventShape(
        contract=contract,
        name=str(entry["name"]),
        topic0=keccak(text=abi.signature(entry)),
        indexed=tuple((str(i["name"]), abi._type(i)) for i in inputs if i.get("indexed")),
        data=tuple((str(i["name"]), abi._type(i)) for i in inputs if not i.get("indexed")),
        order=tuple(str(i["name"]) for i in inputs),
    )


@cache
def shapes(contract: str) -> dict[bytes, EventShape]:
    """topic0 -> event, for one shipped contract (anonymous events have no topic0 and are not indexed)."""
    return {
        s.topic0: s
        for s in (
            _shape(contract, e)
            for e in abi.abi(contract)
            if e.get("type") == "event" and not e.get("anonymous")
        )
    }


def shape_by_name(contract: str, name: str) -> EventShape:
    for shape in shapes(contract).values():
        if shape.name == name:
            return shape
    raise KeyError(f"{contract} has no event {name!r}")
