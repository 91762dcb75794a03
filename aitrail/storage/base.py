"""The one storage interface every backend implements.

A backend hands out blocks, and only blocks that hash to the CID asked for (`get_block`); everything
else here (cat, DAG walks, CAR export) is built on that, so verification is never a backend's option.
"""

from __future__ import annotations

import io
import os
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from pathlib import Path

from aitrail import unixfs
from aitrail._files import private_writer
from aitrail._types import Readable
from aitrail.car import write_car
from aitrail.cid import CID


class Store(ABC):
    """Content-addressed storage: add data, get verified bytes back by CID, pin, move DAGs as CARs."""

    #: short name shown in messages ("local", "kubo")
    name: str = "store"
    #: blocks `cat` fetches ahead on worker threads (see unixfs.read_file); 0 reads one at a time
    read_ahead: int = 0

    # --- primitives each backend provides ----------------------------------------------------------
    @abstractmethod
    def get_block(self, cid: CID) -> bytes:
        """The block's bytes, re-hashed against `cid`; BlockNotFoundError / BlockCorruptedError otherwise."""

    @abstractmethod
    def has(self, cid: CID) -> bool:
        """True when the block is held by this store."""

    @abstractmethod
    def add_stream(self, stream: Readable, cid_version: int = 0, *, pin: bool = True,
                   total: int | None = None, show_progress: bool | None = None) -> CID:
        """Import a byte stream as a UnixFS file, like `ipfs add`."""

    @abstractmethod
    def add_path(self, path: str | os.PathLike[str], cid_version: int = 0, *, pin: bool = True,
                 hidden: bool = False, show_progress: bool | None = None) -> CID:
        """Import a file, or a directory recursively (`ipfs add -r`)."""

    @abstractmethod
    def pin(self, cid: CID) -> None:
        """Keep the whole DAG under `cid` (recursive pin)."""

    @abstractmethod
    def pins(self) -> list[CID]:
        """Recursively pinned roots."""

    @abstractmethod
    def import_car(self, path: str | os.PathLike[str], *, pin_roots: bool = True) -> list[CID]:
        """Load a CARv1 file (every block verified); returns its roots."""

    def discard(self, roots: Sequence[CID]) -> None:  # noqa: B027 (a default, not abstract)
        """Undo adds nothing will use (a register that failed before its journal was written). The
        default keeps them: a backend that can unpin and free space overrides this."""

    # --- built on the primitives -------------------------------------------------------------------
    def add_bytes(self, data: bytes, cid_version: int = 0, *, pin: bool = True) -> CID:
        return self.add_stream(io.BytesIO(data), cid_version, pin=pin, show_progress=False)

    def add_file(self, path: str | os.PathLike[str], cid_version: int = 0, *, pin: bool = True,
                 show_progress: bool | None = None) -> CID:
        return self.add_path(path, cid_version, pin=pin, show_progress=show_progress)

    def cat(self, cid: CID) -> Iterator[bytes | memoryview]:
        """A UnixFS file's bytes, in order, each block verified before its bytes are yielded."""
        return unixfs.read_file(self.get_block, cid, self.read_ahead)

    def read_all(self, cid: CID) -> bytes:
        return b"".join(self.cat(cid))

    def walk(self, root: CID) -> Iterator[tuple[CID, bytes]]:
        """Every verified block of the DAG under `root`."""
        return unixfs.walk_dag(self.get_block, root)

    def export_car(self, root: CID, path: str | os.PathLike[str]) -> int:
        """Write the DAG under `root` as a CARv1 file (atomically); returns the block count."""
        with private_writer(Path(path)) as out:
            return write_car(out, [root], self.walk(root))
