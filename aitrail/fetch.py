"""The fetch path: CID → verified blocks → decrypted bytes → SHA-256 check → file, all or nothing.

Every block is re-hashed against its CID by the store (`Store.get_block`), the plaintext is decrypted
segment by segment with AES-GCM authentication, and its SHA-256 is compared with the expected content
hash (the one recorded on-chain). Output goes to a temporary file (0600) in the target directory, is
fsynced, and only then renamed over the target: on any failure the temporary file is removed, the
target is left as it was, and folders this call created for it are removed again.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from aitrail._files import fsync_dir
from aitrail._types import Buffer
from aitrail.cid import CID
from aitrail.crypto import decrypt_chunks
from aitrail.errors import AitrailError, ContentHashMismatchError, StorageError
from aitrail.progress import progress
from aitrail.results import Result
from aitrail.storage.base import Store


@dataclass(frozen=True)
class FetchResult(Result):
    cid: CID
    path: Path
    size: int
    sha256: bytes


def _file_size(store: Store, cid: CID) -> int | None:
    """The UnixFS filesize from the root block, for the progress bar (None if not known cheaply)."""
    from aitrail import dagpb

    if cid.codec != 0x70:
        return None
    try:
        node = dagpb.decode_node(store.get_block(cid))
        return dagpb.decode_unixfs(node.data or b"").filesize
    except (AitrailError, UnicodeDecodeError):  # the real read below reports the problem properly
        return None


def fetch(
    store: Store,
    cid: CID | str,
    dest: str | os.PathLike[str],
    *,
    expected_sha256: bytes | str | None = None,
    data_key: bytes | None = None,
    show_progress: bool | None = None,
) -> FetchResult:
    """Fetch `cid` from `store` into `dest`, decrypting with `data_key` if given.

    `expected_sha256` is the plaintext content hash (32 bytes or hex); a mismatch, a bad block, a wrong
    key or a truncated ciphertext raises an AitrailError and leaves nothing at `dest`.
    """
    root = CID.decode(cid) if isinstance(cid, str) else cid
    expected = bytes.fromhex(expected_sha256.removeprefix("0x")) if isinstance(expected_sha256, str) \
        else expected_sha256
    target = Path(dest)
    directory = target.parent if str(target.parent) else Path(".")
    created = _make_dirs(directory)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=directory)
    except OSError as exc:
        _remove_dirs(created)
        raise StorageError(f"cannot write into {directory}: {exc.strerror}") from None
    tmp = Path(tmp_name)
    digest = hashlib.sha256()
    size = 0
    try:
        with os.fdopen(fd, "wb") as out, progress(_file_size(store, root), "fetch", show_progress) as update:
            chunks: Iterator[Buffer] = store.cat(root)
            if update is not None:
                chunks = _counting(chunks, update)
            if data_key is not None:
                chunks = decrypt_chunks(data_key, chunks, what=str(root))
            for chunk in chunks:
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
            out.flush()
            os.fsync(out.fileno())
        actual = digest.digest()
        if expected is not None and actual != expected:
            raise ContentHashMismatchError(str(root), expected.hex(), actual.hex())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        _remove_dirs(created)
        raise
    fsync_dir(directory)
    return FetchResult(root, target, size, actual)


def _make_dirs(directory: Path) -> list[Path]:
    """Create `directory` and missing parents; returns those created, deepest first."""
    missing = [d for d in (directory, *directory.parents) if not d.exists()]
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _remove_dirs(missing)
        raise StorageError(f"cannot create {directory}: {exc.strerror}") from None
    return missing


def _remove_dirs(created: list[Path]) -> None:
    for folder in created:  # deepest first; one that gained other files meanwhile stays
        try:
            folder.rmdir()
        except OSError:
            return


def _counting(chunks: Iterator[Buffer], update: Callable[[int], object]) -> Iterator[Buffer]:
    for chunk in chunks:
        update(len(chunk))
        yield chunk
