"""A directory as one deterministic tar, streamed: never written to disk in clear.

Registering a directory hashes and encrypts this stream directly, so no plaintext copy of the dataset
is left anywhere (a tar file under the home would be one, and would outlive a crash). The bytes are
exactly what `tarfile.open(..., "w", format=PAX_FORMAT)` writes for the same entries: a PAX header per
file (owners, modes and times normalised), the file's bytes padded to 512, two zero blocks, then zeros
up to a 10240-byte record. Entries are sorted and `.git*` is left out, so the same tree always gives
the same bytes, size and content hash.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp()) / "scans"; d.mkdir(); _ = (d / "a.txt").write_text("a")
    >>> DirectoryTar.of(d).size
    10240
"""

from __future__ import annotations

import tarfile
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path

from aitrail.errors import InputFileError

BLOCK = tarfile.BLOCKSIZE  # 512
RECORD = tarfile.RECORDSIZE  # 10240
_CHUNK = 1 << 20


@dataclass(frozen=True)
class _Entry:
    source: Path
    header: bytes
    size: int


@dataclass(frozen=True)
class DirectoryTar:
    """The tar of `folder`, described up front (name, size) and read as a stream (`open()`)."""

    folder: Path
    entries: tuple[_Entry, ...]

    @classmethod
    def of(cls, folder: Path) -> DirectoryTar:
        files = sorted(
            p
            for p in folder.rglob("*")
            if p.is_file() and not any(part.startswith(".git") for part in p.relative_to(folder).parts)
        )
        if not files:
            raise InputFileError(str(folder), "no files in this directory")
        top = folder.resolve().name
        entries = []
        for item in files:
            info = tarfile.TarInfo(f"{top}/{item.relative_to(folder).as_posix()}")
            info.size = item.stat().st_size
            info.mode, info.mtime, info.uid, info.gid, info.uname, info.gname = 0o644, 0, 0, 0, "", ""
            header = info.tobuf(tarfile.PAX_FORMAT, tarfile.ENCODING, "surrogateescape")
            entries.append(_Entry(item, header, info.size))
        return cls(folder, tuple(entries))

    @property
    def name(self) -> str:
        return f"{self.folder.resolve().name}.tar"

    @property
    def size(self) -> int:
        body = sum(len(e.header) + _padded(e.size) for e in self.entries) + 2 * BLOCK
        return -(-body // RECORD) * RECORD

    def chunks(self) -> Generator[bytes, None, None]:
        """The tar's bytes in order; a file that changed size since `of()` is refused, not mis-packed."""
        written = 0
        for entry in self.entries:
            yield entry.header
            seen = 0
            with entry.source.open("rb") as handle:
                while chunk := handle.read(min(_CHUNK, entry.size - seen)):
                    seen += len(chunk)
                    yield chunk
                if seen != entry.size or handle.read(1):
                    raise InputFileError(str(entry.source), "changed while it was being packed; try again")
            yield bytes(_padded(entry.size) - entry.size)
            written += len(entry.header) + _padded(entry.size)
        yield bytes(self.size - written)

    def open(self) -> _ChunkReader:
        return _ChunkReader(self.chunks())


def _padded(size: int) -> int:
    return -(-size // BLOCK) * BLOCK


class _ChunkReader:
    """`read(n)` over an iterator of byte chunks (what the hashing and encrypting readers consume)."""

    def __init__(self, chunks: Generator[bytes, None, None]) -> None:
        self._chunks = chunks
        self._pending = bytearray()

    def read(self, n: int = -1) -> bytes:
        while n < 0 or len(self._pending) < n:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._pending += chunk
        if n < 0:
            n = len(self._pending)
        out = bytes(self._pending[:n])
        del self._pending[:n]
        return out

    def __enter__(self) -> _ChunkReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self._chunks.close()
