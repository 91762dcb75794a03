"""Content identifiers (CIDs) as Kubo writes them, and the compact form the contracts store.

Only what aitrail produces is supported: sha2-256 multihashes, codecs dag-pb (0x70) and raw (0x55),
CIDv0 (base58btc, `Qm...`) and CIDv1 in lower-case base32 (`b...`).

>>> c = CID.decode("QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o")
>>> (c.version, c.codec)
(0, 112)
>>> CID.decode(str(c.to_v1())).to_v0() == c
True
>>> CID.from_onchain(*c.to_onchain()) == c
True
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import IntEnum

from aitrail._codec import b32decode, b32encode, b58decode, b58encode, varint_decode, varint_encode
from aitrail.errors import CidError

DAG_PB = 0x70
RAW = 0x55
SHA2_256 = 0x12
_MH_PREFIX = bytes((SHA2_256, 32))
_CODEC_NAMES = {DAG_PB: "dag-pb", RAW: "raw"}


class CidKind(IntEnum):
    """The `kind` byte stored next to the digest on-chain: enough to rebuild the exact CID string."""

    V0_DAG_PB = 0
    V1_DAG_PB = 1
    V1_RAW = 2


@dataclass(frozen=True, slots=True)
class CID:
    """An immutable CID: version, codec and the 32-byte sha2-256 digest."""

    version: int
    codec: int
    digest: bytes

    def __post_init__(self) -> None:
        if self.version not in (0, 1):
            raise CidError(f"unsupported CID version {self.version}")
        if self.codec not in _CODEC_NAMES:
            raise CidError(f"unsupported codec 0x{self.codec:x} (only dag-pb and raw)")
        if self.version == 0 and self.codec != DAG_PB:
            raise CidError("CIDv0 is always dag-pb")
        if len(self.digest) != 32:
            raise CidError(f"sha2-256 digest must be 32 bytes, got {len(self.digest)}")

    # --- construction -------------------------------------------------------------------------
    @classmethod
    def of_block(cls, block: bytes | memoryview, codec: int = DAG_PB, version: int = 0) -> CID:
        """The CID of a block's bytes."""
        return cls(version, codec, hashlib.sha256(block).digest())

    @classmethod
    def decode(cls, text: str) -> CID:
        """Parse a CID string (`Qm...` base58btc v0 or `b...` base32 v1)."""
        text = text.strip()
        if len(text) == 46 and text.startswith("Qm"):
            return cls.from_bytes(b58decode(text))
        if text.startswith("b") and len(text) > 1:
            return cls.from_bytes(b32decode(text[1:]))
        raise CidError(f"not a CID this tool understands: {text!r}")

    @classmethod
    def from_bytes(cls, raw: bytes) -> CID:
        """Parse a binary CID (v0: the bare multihash; v1: version ‖ codec ‖ multihash)."""
        cid, end = cls.read(raw, 0)
        if end != len(raw):
            raise CidError(f"{len(raw) - end} trailing bytes after the CID")
        return cid

    @classmethod
    def read(cls, buf: bytes | memoryview, offset: int) -> tuple[CID, int]:
        """Read one binary CID from `buf` at `offset`; return it and the offset after it."""
        if bytes(buf[offset : offset + 2]) == _MH_PREFIX:
            return cls(0, DAG_PB, bytes(buf[offset + 2 : offset + 34])), cls._check_end(buf, offset + 34)
        version, offset = varint_decode(buf, offset)
        if version != 1:
            raise CidError(f"unsupported CID version {version}")
        codec, offset = varint_decode(buf, offset)
        mh_code, offset = varint_decode(buf, offset)
        mh_len, offset = varint_decode(buf, offset)
        if mh_code != SHA2_256 or mh_len != 32:
            raise CidError(f"unsupported multihash 0x{mh_code:x}/{mh_len} (only sha2-256)")
        end = cls._check_end(buf, offset + 32)
        return cls(1, codec, bytes(buf[offset:end])), end

    @staticmethod
    def _check_end(buf: bytes | memoryview, end: int) -> int:
        if end > len(buf):
            raise CidError("truncated CID")
        return end

    # --- conversion ---------------------------------------------------------------------------
    @property
    def multihash(self) -> bytes:
        return _MH_PREFIX + self.digest

    def __bytes__(self) -> bytes:
        if self.version == 0:
            return self.multihash
        return b"\x01" + varint_encode(self.codec) + self.multihash

    def encode(self) -> str:
        """The canonical string: base58btc for v0, multibase base32 (`b`) for v1."""
        if self.version == 0:
            return b58encode(self.multihash)
        return "b" + b32encode(bytes(self))

    def __str__(self) -> str:
        return self.encode()

    def __repr__(self) -> str:
        return f"CID({self.encode()!r})"

    @property
    def codec_name(self) -> str:
        return _CODEC_NAMES[self.codec]

    def to_v0(self) -> CID:
        if self.codec != DAG_PB:
            raise CidError(f"a {self.codec_name} CID has no v0 form")
        return CID(0, DAG_PB, self.digest)

    def to_v1(self) -> CID:
        return CID(1, self.codec, self.digest)

    def verify(self, block: bytes | memoryview) -> bool:
        """True when `block` hashes to this CID."""
        return hashlib.sha256(block).digest() == self.digest

    # --- on-chain compact form ----------------------------------------------------------------
    @property
    def kind(self) -> CidKind:
        if self.version == 0:
            return CidKind.V0_DAG_PB
        return CidKind.V1_DAG_PB if self.codec == DAG_PB else CidKind.V1_RAW

    def to_onchain(self) -> tuple[bytes, int]:
        """`(digest: bytes32, kind: uint8)` as the registry contracts store a CID."""
        return self.digest, int(self.kind)

    @classmethod
    def from_onchain(cls, digest: bytes, kind: int) -> CID:
        """Rebuild the exact CID from its on-chain `(digest, kind)`."""
        if len(digest) != 32:
            raise CidError(f"on-chain CID digest must be 32 bytes, got {len(digest)}")
        try:
            k = CidKind(kind)
        except ValueError:
            raise CidError(f"unknown on-chain CID kind {kind} (0 v0 dag-pb, 1 v1 dag-pb, 2 v1 raw)") from None
        if k is CidKind.V0_DAG_PB:
            return cls(0, DAG_PB, bytes(digest))
        return cls(1, DAG_PB if k is CidKind.V1_DAG_PB else RAW, bytes(digest))
