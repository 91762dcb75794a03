"""The add path in one pass: plaintext SHA-256 (the on-chain content hash), encryption, import.

Reads the file once: bytes are hashed, encrypted segment by segment (`crypto.EncryptingReader`) and
chunked into the store's DAG as they stream, so nothing but ciphertext ever reaches the store and
memory stays constant whatever the size.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from aitrail._types import Readable, read_full
from aitrail.cid import CID
from aitrail.crypto import EncryptingReader, encrypted_size
from aitrail.errors import ImportInputError
from aitrail.storage.base import Store


@dataclass(frozen=True)
class Published:
    cid: CID
    sha256: bytes  # of the plaintext: what the registry records and fetch() checks
    size: int  # plaintext bytes
    stored_size: int  # ciphertext bytes (the UnixFS file size under `cid`)


class HashingReader:
    """Passes `src` through, keeping the SHA-256 and size of what went by (`readinto`: no copy)."""

    def __init__(self, src: Readable) -> None:
        self.src = src
        self.sha256 = hashlib.sha256()
        self.size = 0

    def read(self, n: int = -1) -> bytes:
        data = self.src.read(n)
        self.sha256.update(data)
        self.size += len(data)
        return data

    def readinto(self, target: memoryview) -> int:
        n = read_full(self.src, target)
        self.sha256.update(target[:n])
        self.size += n
        return n


def publish_file(store: Store, path: str | os.PathLike[str], data_key: bytes | None, *,
                 cid_version: int = 0, pin: bool = True, show_progress: bool | None = None) -> Published:
    """Add a file to `store`, encrypted under `data_key` (None: stored as is, e.g. public metadata)."""
    p = Path(path)
    if not p.is_file():
        raise ImportInputError(str(p), "not a file (pack a directory into one archive to encrypt it)")
    try:
        f = p.open("rb")
    except OSError as exc:
        raise ImportInputError(str(p), exc.strerror or str(exc)) from None
    with f:
        plain = p.stat().st_size
        hashing = HashingReader(f)
        stream: Readable = hashing if data_key is None else EncryptingReader(data_key, hashing)
        total = plain if data_key is None else encrypted_size(plain)
        cid = store.add_stream(stream, cid_version, pin=pin, total=total, show_progress=show_progress)
    return Published(cid, hashing.sha256.digest(), hashing.size, total)
