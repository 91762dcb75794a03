"""Dataset encryption: a random data key per dataset, streaming AES-256-GCM, keys wrapped per reader.

Ciphertext format (version 1)::

    header  = b"AITE" ‖ version (1) ‖ log2(segment size) (1) ‖ file id (16 random bytes)
    segment = AES-256-GCM(file key, nonce = counter (12 bytes, big-endian), plaintext ≤ segment size,
                          aad = header ‖ counter (8 bytes) ‖ final flag (1 byte))

The file key is HKDF-SHA256(data key, salt = file id), so one data key can encrypt many files with no
nonce ever reused. Every segment is authenticated with its position and whether it is the last: a
flipped bit, reordered or dropped segments, or a stream cut anywhere (even on a segment boundary) fail
the tag check. An empty plaintext is one empty final segment.

Key delivery: `wrap_key` seals the data key for a grantee's Ethereum (secp256k1) public key with ECIES
(eciespy: ephemeral ECDH + HKDF-SHA256 + AES-256-GCM); only the matching private key unwraps it. The
owner's own copy is sealed under their keystore password with scrypt (`seal_with_password`).
"""

from __future__ import annotations

import os
import secrets
import struct
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from aitrail._files import private_writer
from aitrail._types import Buffer, Readable, read_full
from aitrail.errors import CryptoError, DecryptionError, KeyUnwrapError

MAGIC = b"AITE"
VERSION = 1
HEADER_SIZE = 4 + 1 + 1 + 16
TAG_SIZE = 16
DEFAULT_SEGMENT_SIZE = 1 << 20
KEY_SIZE = 32

_SEAL_MAGIC = b"AITK"
# scrypt cost: 2**15 × 8 × 128 B = 32 MiB and ~0.1 s per try, the same order as geth's light keystores.
_SCRYPT_LOG_N, _SCRYPT_R, _SCRYPT_P = 15, 8, 1


def generate_data_key() -> bytes:
    """A fresh random 32-byte data key (one per dataset)."""
    return secrets.token_bytes(KEY_SIZE)


def _file_key(data_key: bytes, file_id: bytes) -> AESGCM:
    if len(data_key) != KEY_SIZE:
        raise CryptoError(f"data key must be {KEY_SIZE} bytes, got {len(data_key)}")
    hkdf = HKDF(algorithm=hashes.SHA256(), length=KEY_SIZE, salt=file_id, info=b"aitrail/segment/v1")
    return AESGCM(hkdf.derive(data_key))


def _nonce_aad(header: bytes, index: int, final: bool) -> tuple[bytes, bytes]:
    return index.to_bytes(12, "big"), header + struct.pack(">QB", index, 1 if final else 0)


def encrypted_size(plain_size: int, segment_size: int = DEFAULT_SEGMENT_SIZE) -> int:
    segments = max(1, -(-plain_size // segment_size))
    return HEADER_SIZE + plain_size + segments * TAG_SIZE


class Encryptor:
    """Push plaintext in, get ciphertext out; `finish()` seals the final segment.

    Plaintext collects in one preallocated segment buffer and each sealed segment is returned as it is
    (no joining), so a byte is copied once on the way in and written once by AES-GCM on the way out.
    """

    def __init__(self, data_key: bytes, segment_size: int = DEFAULT_SEGMENT_SIZE) -> None:
        if segment_size < 1024 or segment_size & (segment_size - 1) or segment_size > 1 << 24:
            raise CryptoError("segment size must be a power of two between 1 KiB and 16 MiB")
        self.segment_size = segment_size
        file_id = secrets.token_bytes(16)
        self.header = MAGIC + bytes((VERSION, segment_size.bit_length() - 1)) + file_id
        self._aead = _file_key(data_key, file_id)
        self._segment = memoryview(bytearray(segment_size))
        self._filled = 0
        self._index = 0
        self._started = False

    def seal(self, plain: Buffer, final: bool) -> bytes:
        """One segment's ciphertext (the header first, before segment 0); the caller says which is last."""
        nonce, aad = _nonce_aad(self.header, self._index, final)
        self._index += 1
        sealed = self._aead.encrypt(nonce, plain, aad)
        if not self._started:
            self._started = True
            return self.header + sealed
        return sealed

    def segments(self, data: Buffer) -> list[bytes]:
        """The segments `data` completes. One byte is always kept back: only finish() knows the last."""
        view = memoryview(data).cast("B")
        out = []
        while view:
            if self._filled == self.segment_size:
                out.append(self.seal(self._segment, final=False))
                self._filled = 0
            take = min(self.segment_size - self._filled, len(view))
            self._segment[self._filled : self._filled + take] = view[:take]
            self._filled += take
            view = view[take:]
        return out

    def update(self, data: Buffer) -> bytes:
        out = self.segments(data)
        if not self._started:
            out.insert(0, self.header)
            self._started = True
        return out[0] if len(out) == 1 else b"".join(out)

    def finish(self) -> bytes:
        out = self.seal(self._segment[: self._filled], final=True)
        self._filled = 0
        return out


class Decryptor:
    """Push ciphertext in, get authenticated plaintext out; `finish()` checks the stream was complete.

    Ciphertext collects in one preallocated segment buffer (one copy), then AES-GCM writes the plaintext
    once; segments come out one by one (`segments`) or joined (`update`)."""

    def __init__(self, data_key: bytes, what: str = "data") -> None:
        self._key = data_key
        self.what = what
        self._head = bytearray()
        self._aead: AESGCM | None = None
        self.header = b""
        self._segment = memoryview(bytearray(0))
        self._filled = 0
        self._index = 0
        self._done = False

    def _fail(self, reason: str) -> DecryptionError:
        return DecryptionError(self.what, reason)

    def _open(self, chunk: Buffer, final: bool) -> bytes:
        assert self._aead is not None
        nonce, aad = _nonce_aad(self.header, self._index, final)
        try:
            plain = self._aead.decrypt(nonce, chunk, aad)
        except InvalidTag:
            reason = "wrong key, or the ciphertext was modified"
            if final:
                reason = "wrong key, or the ciphertext was modified or truncated"
            raise self._fail(f"{reason} (segment {self._index} fails authentication)") from None
        self._index += 1
        return plain

    def _read_header(self, view: memoryview) -> memoryview:
        take = min(HEADER_SIZE - len(self._head), len(view))
        self._head += view[:take]
        if len(self._head) < HEADER_SIZE:
            return view[take:]
        header = bytes(self._head)
        if header[:4] != MAGIC:
            raise self._fail("not aitrail ciphertext (bad magic)")
        if header[4] != VERSION:
            raise self._fail(f"unsupported format version {header[4]}")
        if not 10 <= header[5] <= 24:
            raise self._fail("bad segment size in header")
        self.header = header
        self._segment = memoryview(bytearray((1 << header[5]) + TAG_SIZE))
        self._aead = _file_key(self._key, header[6:22])
        return view[take:]

    def segments(self, data: Buffer) -> list[bytes]:
        """The plaintext of each segment `data` completes, authenticated."""
        if self._done:
            raise self._fail("data after the final segment")
        view = memoryview(data).cast("B")
        if self._aead is None:
            view = self._read_header(view)
        out = []
        size = len(self._segment)
        while view:
            # A full segment followed by more bytes cannot be the final one.
            if self._filled == size:
                out.append(self._open(self._segment, final=False))
                self._filled = 0
            take = min(size - self._filled, len(view))
            self._segment[self._filled : self._filled + take] = view[:take]
            self._filled += take
            view = view[take:]
        return out

    def update(self, data: Buffer) -> bytes:
        out = self.segments(data)
        return out[0] if len(out) == 1 else b"".join(out)

    def finish(self) -> bytes:
        if self._aead is None:
            raise self._fail("truncated before the end of the header")
        if self._filled < TAG_SIZE:
            raise self._fail("truncated (final segment missing)")
        plain = self._open(self._segment[: self._filled], final=True)
        self._filled = 0
        self._done = True
        return plain


class SegmentOpener:
    """Random access into a ciphertext of known size: which segment holds a plaintext offset, where it
    starts in the ciphertext, and opening any one segment alone (the final flag follows from the size).
    This is what lets the gateway answer an HTTP Range request without decrypting from the start."""

    def __init__(self, data_key: bytes, header: bytes, cipher_size: int, what: str = "data") -> None:
        self.what = what
        if len(header) != HEADER_SIZE or header[:4] != MAGIC:
            raise DecryptionError(what, "not aitrail ciphertext (bad magic)")
        if header[4] != VERSION:
            raise DecryptionError(what, f"unsupported format version {header[4]}")
        if not 10 <= header[5] <= 24:
            raise DecryptionError(what, "bad segment size in header")
        self.header = header
        self.segment_size = 1 << header[5]
        self.sealed_size = self.segment_size + TAG_SIZE
        body = cipher_size - HEADER_SIZE
        self.segments = max(1, -(-body // self.sealed_size))
        self.plain_size = body - self.segments * TAG_SIZE
        if body - (self.segments - 1) * self.sealed_size < TAG_SIZE:  # the last segment shorter than a tag
            raise DecryptionError(what, f"a ciphertext of {cipher_size} bytes cannot hold whole segments")
        self._aead = _file_key(data_key, header[6:22])

    def locate(self, plain_offset: int) -> tuple[int, int, int]:
        """(segment index, its ciphertext offset, bytes of its plaintext before `plain_offset`)."""
        index = min(plain_offset // self.segment_size, self.segments - 1)
        return index, HEADER_SIZE + index * self.sealed_size, plain_offset - index * self.segment_size

    def sealed_length(self, index: int) -> int:
        if index < self.segments - 1:
            return self.sealed_size
        return self.plain_size - index * self.segment_size + TAG_SIZE

    def open(self, index: int, sealed: bytes) -> bytes:
        final = index == self.segments - 1
        nonce, aad = _nonce_aad(self.header, index, final)
        try:
            return self._aead.decrypt(nonce, sealed, aad)
        except InvalidTag:
            raise DecryptionError(
                self.what, f"wrong key, or the ciphertext was modified (segment {index} fails authentication)"
            ) from None


def encrypt_stream(data_key: bytes, src: Readable, dst: BinaryIO,
                   segment_size: int = DEFAULT_SEGMENT_SIZE) -> int:
    """Encrypt `src` into `dst`; returns the ciphertext size."""
    reader = EncryptingReader(data_key, src, segment_size)
    written = 0
    while sealed := reader.next_segment():
        written += dst.write(sealed)
    return written


def decrypt_chunks(data_key: bytes, chunks: Iterable[Buffer], what: str = "data") -> Iterator[bytes]:
    """Plaintext from ciphertext chunks, one authenticated segment at a time. A caller must still treat
    output as provisional until the iterator ends (truncation shows last)."""
    dec = Decryptor(data_key, what)
    for chunk in chunks:
        yield from dec.segments(chunk)
    tail = dec.finish()
    if tail:
        yield tail


class EncryptingReader:
    """A read()/readinto()-able view of `src` encrypted: feed it to an importer, nothing touches the disk.

    Reads `src` one segment ahead into two alternating buffers (the segment just read is the final one
    exactly when the next read comes back empty), seals each with AES-GCM, and hands the ciphertext out
    by slices, so the importer's `readinto` gets each byte with one copy."""

    def __init__(self, data_key: bytes, src: Readable, segment_size: int = DEFAULT_SEGMENT_SIZE) -> None:
        self._enc = Encryptor(data_key, segment_size)
        self._src = src
        self._buffers = [memoryview(bytearray(segment_size)), memoryview(bytearray(segment_size))]
        self._ahead = -1  # bytes in the look-ahead buffer (-1: nothing read yet)
        self._pending = memoryview(b"")
        self._eof = False

    def next_segment(self) -> bytes:
        """The next sealed segment (the first one carries the header); b"" after the final one."""
        if self._eof:
            return b""
        if self._ahead < 0:
            self._ahead = read_full(self._src, self._buffers[0])
        current, self._buffers = self._buffers[0], self._buffers[::-1]
        size = self._ahead
        self._ahead = read_full(self._src, self._buffers[0]) if size == len(current) else 0
        final = self._ahead == 0
        self._eof = final
        return self._enc.seal(current[:size], final)

    def readinto(self, target: Buffer) -> int:
        view = memoryview(target).cast("B")
        while not self._pending and not self._eof:
            self._pending = memoryview(self.next_segment())
        n = min(len(view), len(self._pending))
        view[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n

    def read(self, n: int = -1) -> bytes:
        """`n` bytes (-1: all that is left), fewer only at the end: an upload sent in `read(n)` pieces
        (the node's multipart body) gets full pieces, never a 16-byte tag on its own."""
        parts = [bytes(self._pending[:n] if n >= 0 else self._pending)]
        got = len(parts[0])
        self._pending = self._pending[got:]
        while (n < 0 or got < n) and (sealed := self.next_segment()):
            take = len(sealed) if n < 0 else min(len(sealed), n - got)
            parts.append(sealed if take == len(sealed) else sealed[:take])
            self._pending = memoryview(sealed)[take:]
            got += take
        return parts[0] if len(parts) == 1 else b"".join(parts)


def encrypt_file(data_key: bytes, src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> int:
    """Encrypt a file to `dst` atomically (temporary name, then rename), readable by its owner only."""
    with open(src, "rb") as fin, private_writer(Path(dst)) as fout:
        return encrypt_stream(data_key, fin, fout)


# --- key wrapping -------------------------------------------------------------------------------


def _uncompressed_public_key(public_key: bytes | str) -> bytes:
    from coincurve import PublicKey

    raw = bytes.fromhex(public_key.removeprefix("0x")) if isinstance(public_key, str) else bytes(public_key)
    if len(raw) == 64:  # Ethereum's form: X ‖ Y without the 0x04 prefix
        raw = b"\x04" + raw
    try:
        return bytes(PublicKey(raw).format(compressed=False))
    except (ValueError, TypeError) as exc:
        raise CryptoError(f"not a secp256k1 public key ({len(raw)} bytes): {exc}") from None


def public_key_from_private(private_key: bytes) -> bytes:
    """The 64-byte Ethereum public key (X ‖ Y) of a 32-byte private key."""
    from coincurve import PrivateKey

    return bytes(PrivateKey(private_key).public_key.format(compressed=False))[1:]


def _private_key_bytes(private_key: object) -> bytes:
    """Key bytes from raw bytes, a hex string or an eth-account LocalAccount; kept in memory only."""
    key = getattr(private_key, "key", private_key)
    if isinstance(key, str):
        key = bytes.fromhex(key.removeprefix("0x"))
    if not isinstance(key, bytes | bytearray) or len(key) != 32:
        raise KeyUnwrapError("private key must be 32 bytes or an eth-account LocalAccount")
    return bytes(key)


def wrap_key(data_key: bytes, recipient_public_key: bytes | str) -> bytes:
    """Seal `data_key` so only the holder of the matching secp256k1 private key can open it (ECIES)."""
    import ecies

    return bytes(ecies.encrypt(_uncompressed_public_key(recipient_public_key), data_key))


def unwrap_key(wrapped: bytes, private_key: object) -> bytes:
    """Open a wrapped data key with the grantee's private key (bytes, hex or LocalAccount)."""
    import ecies

    sk = _private_key_bytes(private_key)
    try:
        key = bytes(ecies.decrypt(sk, bytes(wrapped)))
    except (InvalidTag, ValueError, TypeError) as exc:
        raise KeyUnwrapError(f"not wrapped for this key, or modified ({type(exc).__name__})") from None
    if len(key) != KEY_SIZE:
        raise KeyUnwrapError(f"unwrapped key is {len(key)} bytes, expected {KEY_SIZE}")
    return key


def _scrypt(password: str, salt: bytes, log_n: int) -> bytes:
    kdf = Scrypt(salt=salt, length=KEY_SIZE, n=1 << log_n, r=_SCRYPT_R, p=_SCRYPT_P)
    return kdf.derive(password.encode("utf-8"))


def seal_with_password(data_key: bytes, password: str) -> bytes:
    """The owner's copy of a data key: AES-256-GCM under scrypt(password), salt and cost stored inline."""
    salt = secrets.token_bytes(16)
    nonce = secrets.token_bytes(12)
    header = _SEAL_MAGIC + bytes((1, _SCRYPT_LOG_N)) + salt + nonce
    return header + AESGCM(_scrypt(password, salt, _SCRYPT_LOG_N)).encrypt(nonce, data_key, header)


def open_with_password(sealed: bytes, password: str) -> bytes:
    if len(sealed) < 34 + TAG_SIZE or sealed[:4] != _SEAL_MAGIC or sealed[4] != 1:
        raise KeyUnwrapError("not a password-sealed aitrail key")
    log_n = sealed[5]
    if not 10 <= log_n <= 22:
        raise KeyUnwrapError("implausible scrypt cost in sealed key")
    header, body = sealed[:34], sealed[34:]
    try:
        return AESGCM(_scrypt(password, header[6:22], log_n)).decrypt(header[22:34], body, header)
    except InvalidTag:
        raise KeyUnwrapError("wrong password, or the sealed key was modified") from None
