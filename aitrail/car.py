"""CARv1 archives: hand a DAG from the local store to any IPFS node (`ipfs dag import`) and back.

Layout (ipld `specs/transport/car/carv1`): varint(len) ‖ DAG-CBOR header `{"roots": [CID], "version": 1}`,
then one section per block, varint(len(cid) + len(block)) ‖ cid bytes ‖ block. The header's tiny
DAG-CBOR subset (a map, text keys, an array of tag-42 CIDs, an int) is written and read here; every
block read is re-hashed against its CID before anyone sees it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from aitrail._codec import varint_decode, varint_encode
from aitrail.cid import CID
from aitrail.errors import CarFormatError, CidError

_MAX_HEADER = 1 << 20
_MAX_SECTION = 1 << 22  # Kubo refuses blocks over 4 MiB; so do we


def _cbor_head(major: int, n: int) -> bytes:
    if n < 24:
        return bytes((major << 5 | n,))
    for ai, width in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * width):
            return bytes((major << 5 | ai,)) + n.to_bytes(width, "big")
    raise ValueError("CBOR length too large")


def encode_header(roots: Iterable[CID]) -> bytes:
    roots = list(roots)
    out = _cbor_head(5, 2)  # DAG-CBOR sorts map keys by length first: "roots" before "version"
    out += _cbor_head(3, 5) + b"roots" + _cbor_head(4, len(roots))
    for cid in roots:
        raw = b"\x00" + bytes(cid)  # tag 42 byte strings carry the identity multibase prefix
        out += b"\xd8\x2a" + _cbor_head(2, len(raw)) + raw
    out += _cbor_head(3, 7) + b"version" + _cbor_head(0, 1)
    return out


class _Cbor:
    def __init__(self, buf: bytes) -> None:
        self.buf = buf
        self.i = 0

    def head(self) -> tuple[int, int]:
        if self.i >= len(self.buf):
            raise CidError("truncated header")
        b = self.buf[self.i]
        self.i += 1
        major, ai = b >> 5, b & 31
        if ai < 24:
            return major, ai
        width = {24: 1, 25: 2, 26: 4, 27: 8}.get(ai)
        if width is None or self.i + width > len(self.buf):
            raise CidError("unsupported or truncated CBOR item")
        n = int.from_bytes(self.buf[self.i : self.i + width], "big")
        self.i += width
        return major, n

    def item(self) -> object:
        major, n = self.head()
        if major == 0:
            return n
        if major in (2, 3):
            raw = self.buf[self.i : self.i + n]
            if len(raw) != n:
                raise CidError("truncated CBOR string")
            self.i += n
            return raw if major == 2 else raw.decode("utf-8")
        if major == 4:
            return [self.item() for _ in range(n)]
        if major == 5:
            out: dict[object, object] = {}
            for _ in range(n):
                key = self.item()
                out[key] = self.item()
            return out
        if major == 6 and n == 42:
            inner = self.item()
            if not isinstance(inner, bytes) or not inner.startswith(b"\x00"):
                raise CidError("bad CID in tag 42")
            return CID.from_bytes(inner[1:])
        raise CidError(f"unsupported CBOR major type {major}")


def decode_header(raw: bytes) -> list[CID]:
    parsed = _Cbor(raw).item()
    if not isinstance(parsed, dict) or parsed.get("version") != 1:
        raise CidError("not a CARv1 header (version must be 1)")
    roots = parsed.get("roots")
    if not isinstance(roots, list) or not all(isinstance(r, CID) for r in roots):
        raise CidError("header roots must be a list of CIDs")
    return [r for r in roots if isinstance(r, CID)]


def write_car(out: BinaryIO, roots: Iterable[CID], blocks: Iterable[tuple[CID, bytes]]) -> int:
    """Write a CARv1 stream; returns the number of blocks."""
    header = encode_header(roots)
    out.write(varint_encode(len(header)) + header)
    count = 0
    for cid, block in blocks:
        cid_bytes = bytes(cid)
        out.write(varint_encode(len(cid_bytes) + len(block)))
        out.write(cid_bytes)
        out.write(block)
        count += 1
    return count


def _read_varint(stream: BinaryIO) -> int | None:
    raw = bytearray()
    while True:
        b = stream.read(1)
        if not b:
            if raw:
                raise CidError("truncated section length")
            return None
        raw += b
        if b[0] < 0x80:
            return varint_decode(bytes(raw))[0]
        if len(raw) > 9:
            raise CidError("section length varint too long")


def open_car(path: str | os.PathLike[str]) -> BinaryIO:
    """Open a CAR file for reading; a missing or unreadable file is one CarFormatError."""
    try:
        return Path(path).open("rb")
    except OSError as exc:
        raise CarFormatError(str(path), exc.strerror or str(exc)) from None


class CarReader:
    """Iterate a CARv1 stream's verified blocks; `roots` is read up front."""

    def __init__(self, stream: BinaryIO, source: str = "stream") -> None:
        self.stream = stream
        self.source = source
        try:
            size = _read_varint(stream)
            if size is None or size > _MAX_HEADER:
                raise CidError("missing or oversized header")
            raw = stream.read(size)
            if len(raw) != size:
                raise CidError("truncated header")
            self.roots = decode_header(raw)
        except (CidError, UnicodeDecodeError) as exc:
            raise CarFormatError(source, str(exc)) from None

    def __iter__(self) -> Iterator[tuple[CID, bytes]]:
        index = 0
        while True:
            try:
                size = _read_varint(self.stream)
                if size is None:
                    return
                if size > _MAX_SECTION:
                    raise CidError(f"section {index} is {size} bytes, over the 4 MiB block limit")
                section = self.stream.read(size)
                if len(section) != size:
                    raise CidError(f"section {index} is truncated")
                cid, offset = CID.read(section, 0)
            except CidError as exc:
                raise CarFormatError(self.source, str(exc)) from None
            block = section[offset:]
            if not cid.verify(block):
                raise CarFormatError(self.source, f"block {cid} does not match its CID")
            yield cid, block
            index += 1
