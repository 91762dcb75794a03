"""The embedded store, aitrail's default: IPFS blocks as files on disk, no daemon.

Blocks live under `<root>/blocks/<2 chars>/<CIDv1 base32>` (a CIDv0 and its CIDv1 dag-pb form are the
same block). Every read re-hashes the bytes against the CID asked for: a missing or corrupted block is
an error naming that CID, never bad bytes. Writes go to a temporary name then rename, so a crash leaves
no half block. Pins are empty marker files under `<root>/pins/`.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from aitrail import unixfs
from aitrail._types import Readable
from aitrail.car import CarReader, open_car
from aitrail.cid import CID
from aitrail.errors import BlockCorruptedError, BlockNotFoundError, StorageError
from aitrail.progress import progress
from aitrail.storage.base import Store


class LocalStore(Store):
    name = "local"

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.blocks_dir = self.root / "blocks"
        self.pins_dir = self.root / "pins"
        try:
            self.blocks_dir.mkdir(parents=True, exist_ok=True)
            self.pins_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot create the local store at {self.root}: {exc.strerror}") from None

    def _path(self, cid: CID) -> Path:
        key = cid.to_v1().encode()
        return self.blocks_dir / key[-2:] / key

    # --- blocks ------------------------------------------------------------------------------------
    def put_block(self, cid: CID, block: bytes) -> None:
        """Store one block after checking it hashes to `cid`."""
        if not cid.verify(block):
            actual = CID(cid.version, cid.codec, hashlib.sha256(block).digest())
            raise BlockCorruptedError(str(cid), str(actual))
        self._emit(cid, block)

    def get_block(self, cid: CID) -> bytes:
        try:
            block = self._path(cid).read_bytes()
        except FileNotFoundError:
            raise BlockNotFoundError(str(cid)) from None
        digest = hashlib.sha256(block).digest()
        if digest != cid.digest:
            raise BlockCorruptedError(str(cid), str(CID(cid.version, cid.codec, digest)))
        return block

    def raw_block(self, cid: CID) -> bytes | None:
        """The stored bytes as they are on disk, unchecked (for serving and diagnostics only)."""
        try:
            return self._path(cid).read_bytes()
        except FileNotFoundError:
            return None

    def has(self, cid: CID) -> bool:
        return self._path(cid).is_file()

    def delete_block(self, cid: CID) -> None:
        self._path(cid).unlink(missing_ok=True)

    # --- adding ------------------------------------------------------------------------------------
    def _emit(self, cid: CID, block: bytes) -> None:
        # put_block re-hashes; the importer just hashed these bytes itself, so skip the check here.
        path = self._path(cid)
        if path.exists():
            return
        path.parent.mkdir(exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            tmp.write_bytes(block)
            os.replace(tmp, path)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise StorageError(f"cannot write block {cid}: {exc.strerror}") from None

    def add_stream(self, stream: Readable, cid_version: int = 0, *, pin: bool = True,
                   total: int | None = None, show_progress: bool | None = None) -> CID:
        with progress(total, "add", show_progress) as update:
            node = unixfs.add_stream(stream, cid_version, self._emit, update)
        if pin:
            self._mark_pinned(node.cid)
        return node.cid

    def add_path(self, path: str | os.PathLike[str], cid_version: int = 0, *, pin: bool = True,
                 hidden: bool = False, show_progress: bool | None = None) -> CID:
        p = Path(path)
        total = p.stat().st_size if p.is_file() else None
        with progress(total, "add", show_progress) as update:
            node = unixfs.add_path(p, cid_version, self._emit, hidden=hidden, progress=update)
        if pin:
            self._mark_pinned(node.cid)
        return node.cid

    # --- pins --------------------------------------------------------------------------------------
    def _mark_pinned(self, cid: CID) -> None:
        (self.pins_dir / cid.encode()).touch()

    def pin(self, cid: CID) -> None:
        for _ in self.walk(cid):  # every block present and intact, or the error names the bad one
            pass
        self._mark_pinned(cid)

    def unpin(self, cid: CID) -> None:
        (self.pins_dir / cid.encode()).unlink(missing_ok=True)

    def pins(self) -> list[CID]:
        return sorted((CID.decode(p.name) for p in self.pins_dir.iterdir()), key=str)

    # --- CAR ---------------------------------------------------------------------------------------
    def import_car(self, path: str | os.PathLike[str], *, pin_roots: bool = True) -> list[CID]:
        with open_car(path) as f:
            reader = CarReader(f, str(path))
            for cid, block in reader:  # CarReader has verified each block
                self._emit(cid, block)
        if pin_roots:
            for root in reader.roots:
                self.pin(root)
        return reader.roots
