"""Events decoded generically from the ABIs the package ships (aitrail/abi): any event of any contract
there, including contracts added after a log was indexed, since rows are stored raw (topics and data) and
decoded when read.

Static values (uintN, intN, address, bool, bytesN) are read straight from their 32-byte words: an audit of
100,000 rows decodes each in microseconds. Dynamic ones (string, bytes, arrays) go through eth_abi.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from aitrail import abi


@lru_cache(maxsize=65_536)
def _checksum(raw: bytes) -> str:
    return str(to_checksum_address(raw))


WordDecoder = Callable[[bytes], Any]


def word_decoder(kind: str) -> WordDecoder:
    """How to read one 32-byte word of a static ABI type, chosen once per event argument."""
    if kind == "address":
        return lambda word: _checksum(word[12:])
    if kind == "bool":
        return lambda word: word[-1] != 0
    if kind.startswith("uint"):
        return lambda word: int.from_bytes(word, "big")
    if kind.startswith("int"):
        return lambda word: int.from_bytes(word, "big", signed=True)
    if kind.startswith("bytes") and kind != "bytes":
        size = int(kind[5:])
        return lambda word: word[:size]
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
    # Chosen once: for each topic, a word decoder (None for a dynamic value, of which the topic is only
    # the keccak, kept as those 32 bytes); for the data, word decoders when every value is static.
    _topics: tuple[WordDecoder | None, ...] = field(init=False, repr=False, compare=False)
    _words: tuple[WordDecoder, ...] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        topics = tuple(word_decoder(k) if _is_static(k) else None for _, k in self.indexed)
        words = (
            tuple(word_decoder(k) for _, k in self.data) if all(_is_static(k) for _, k in self.data) else None
        )
        object.__setattr__(self, "_topics", topics)
        object.__setattr__(self, "_words", words)

    def topic_position(self, arg: str) -> int | None:
        """1..3 for an indexed argument, None for one in the data."""
        for position, (name, _) in enumerate(self.indexed, start=1):
            if name == arg:
                return position
        return None

    def decode(self, topics: list[bytes | None], data: bytes) -> dict[str, Any]:
        args: dict[str, Any] = {}
        for (name, _), read, topic in zip(self.indexed, self._topics, topics[1:], strict=False):
            args[name] = read(topic) if read is not None and topic is not None else topic
        if self.data:
            if self._words is not None:
                for i, ((name, _), read) in enumerate(zip(self.data, self._words, strict=True)):
                    args[name] = read(data[32 * i : 32 * i + 32])
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
