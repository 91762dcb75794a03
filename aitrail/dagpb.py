"""dag-pb nodes carrying UnixFS data: the exact bytes Kubo writes, and a strict reader.

Encoding follows ipld `specs/codecs/dag-pb/spec.md`: a PBNode's Links (field 2) come before its Data
(field 1) in the bytes; each PBLink is Hash (1), Name (2), Tsize (3). Like boxo's merkledag encoder,
every link carries a Name (empty for file chunks) and a Tsize. UnixFS `Data` (ipfs/specs `unixfs.md`)
is proto2: Type (1), Data (2), filesize (3), blocksizes (4, one unpacked entry each).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from aitrail._codec import varint_decode, varint_encode
from aitrail.cid import CID
from aitrail.errors import CidError

# UnixFS Data.Type
T_RAW, T_DIRECTORY, T_FILE, T_METADATA, T_SYMLINK, T_HAMT = 0, 1, 2, 3, 4, 5

_v = varint_encode


@dataclass(frozen=True, slots=True)
class Link:
    cid: CID
    name: str
    tsize: int


def encode_link(cid_bytes: bytes, name: bytes, tsize: int) -> bytes:
    body = b"\x0a" + _v(len(cid_bytes)) + cid_bytes + b"\x12" + _v(len(name)) + name + b"\x18" + _v(tsize)
    return b"\x12" + _v(len(body)) + body


def encode_node(links: Sequence[bytes], data: bytes | None) -> bytes:
    """A PBNode from already-encoded links (see encode_link) and optional Data."""
    out = b"".join(links)
    if data is not None:
        out += b"\x0a" + _v(len(data)) + data
    return out


def unixfs_file(filesize: int, blocksizes: Sequence[int] = (), data: bytes | None = None) -> bytes:
    out = b"\x08\x02"
    if data is not None:
        out += b"\x12" + _v(len(data)) + data
    out += b"\x18" + _v(filesize)
    for size in blocksizes:
        out += b"\x20" + _v(size)
    return out


def leaf_framing(chunk_len: int) -> tuple[bytes, bytes]:
    """Bytes before and after a chunk in a CIDv0 leaf block, so the chunk is hashed without copying."""
    unixfs_len = 2 + 1 + len(_v(chunk_len)) + chunk_len + 1 + len(_v(chunk_len))
    head = b"\x0a" + _v(unixfs_len) + b"\x08\x02\x12" + _v(chunk_len)
    tail = b"\x18" + _v(chunk_len)
    return head, tail


def leaf_chunk(block: bytes) -> memoryview | None:
    """The chunk of a CIDv0 leaf framed exactly as `leaf_framing` (this importer's and Kubo's): a view
    into the block, no copy and no protobuf walk; None for any other node (the caller decodes it)."""
    if len(block) < 8 or block[0] != 0x0A:
        return None
    try:
        _, i = varint_decode(block, 1)
        if block[i : i + 3] != b"\x08\x02\x12":
            return None
        n, _ = varint_decode(block, i + 3)
    except CidError:
        return None
    head, tail = leaf_framing(n)
    if len(block) != len(head) + n + len(tail) or not block.startswith(head) or not block.endswith(tail):
        return None
    return memoryview(block)[len(head) : len(head) + n]


UNIXFS_DIRECTORY = b"\x08\x01"
EMPTY_FILE_LEAF = encode_node((), unixfs_file(0))


MURMUR3_X64_64 = 0x22


def unixfs_hamt(bitfield: bytes, fanout: int) -> bytes:
    """UnixFS HAMTShard data: Type 5, the child bitfield, hashType murmur3-x64-64 (5), fanout (6)."""
    return (b"\x08\x05\x12" + _v(len(bitfield)) + bitfield + b"\x28" + _v(MURMUR3_X64_64)
            + b"\x30" + _v(fanout))


def unixfs_symlink(target: bytes) -> bytes:
    return b"\x08\x04\x12" + _v(len(target)) + target


# --- reading ----------------------------------------------------------------------------------


@dataclass(slots=True)
class UnixFSData:
    type: int
    data: bytes = b""
    filesize: int | None = None
    blocksizes: list[int] = field(default_factory=list)


@dataclass(slots=True)
class PBNode:
    links: list[Link]
    data: bytes | None


def _fields(buf: bytes | memoryview) -> list[tuple[int, int, int | bytes]]:
    """Protobuf (field, wiretype, value) triples; only varint and length-delimited wire types."""
    out: list[tuple[int, int, int | bytes]] = []
    i, n = 0, len(buf)
    while i < n:
        key, i = varint_decode(buf, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            val, i = varint_decode(buf, i)
            out.append((num, wt, val))
        elif wt == 2:
            ln, i = varint_decode(buf, i)
            if i + ln > n:
                raise CidError("protobuf field runs past the end of the block")
            out.append((num, wt, bytes(buf[i : i + ln])))
            i += ln
        else:
            raise CidError(f"unexpected protobuf wire type {wt}")
    return out


def decode_node(block: bytes | memoryview) -> PBNode:
    links: list[Link] = []
    data: bytes | None = None
    for num, wt, val in _fields(block):
        if num == 2 and wt == 2 and isinstance(val, bytes):
            cid: CID | None = None
            name, tsize = "", 0
            for lnum, lwt, lval in _fields(val):
                if lnum == 1 and lwt == 2 and isinstance(lval, bytes):
                    cid = CID.from_bytes(lval)
                elif lnum == 2 and lwt == 2 and isinstance(lval, bytes):
                    name = lval.decode("utf-8")
                elif lnum == 3 and lwt == 0 and isinstance(lval, int):
                    tsize = lval
                else:
                    raise CidError(f"unexpected PBLink field {lnum}")
            if cid is None:
                raise CidError("PBLink without a Hash")
            links.append(Link(cid, name, tsize))
        elif num == 1 and wt == 2 and isinstance(val, bytes):
            data = val
        else:
            raise CidError(f"unexpected PBNode field {num}")
    return PBNode(links, data)


def decode_unixfs(data: bytes) -> UnixFSData:
    out = UnixFSData(type=-1)
    for num, _wt, val in _fields(data):
        if num == 1 and isinstance(val, int):
            out.type = val
        elif num == 2 and isinstance(val, bytes):
            out.data = val
        elif num == 3 and isinstance(val, int):
            out.filesize = val
        elif num == 4 and isinstance(val, int):
            out.blocksizes.append(val)
        elif num == 4 and isinstance(val, bytes):  # packed form, tolerated on read
            i = 0
            while i < len(val):
                size, i = varint_decode(val, i)
                out.blocksizes.append(size)
    if out.type < 0:
        raise CidError("UnixFS data without a Type")
    return out
