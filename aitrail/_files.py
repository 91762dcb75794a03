"""Writing files that hold data: owner-only (0600) and atomic, the one helper for it.

A temporary file in the target's own folder (so the rename cannot cross file systems), created 0600 by
`mkstemp` before a byte is written, fsynced, renamed over the target, then the folder fsynced so the
rename itself survives a crash: a crash leaves either the old file or the new one, never half of one,
and never a moment where another user could read it.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

PRIVATE_MODE = 0o600


@contextmanager
def private_path(target: Path) -> Iterator[Path]:
    """A 0600 temporary path beside `target` that replaces it when the block ends without error."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, PRIVATE_MODE)  # mkstemp's mode already; a writer that re-created the file loses it
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(target.parent)


def fsync_dir(directory: Path) -> None:
    """Make a rename into `directory` durable; not possible on every platform, harmless to skip there."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextmanager
def private_writer(target: Path) -> Iterator[BinaryIO]:
    """A binary handle whose bytes land at `target` (0600) only when the block ends without error."""
    with private_path(target) as tmp, open(tmp, "r+b") as handle:
        yield handle


def write_private(target: Path, data: bytes | str) -> Path:
    """Write `data` (text as UTF-8) to `target` atomically, readable by its owner only."""
    with private_writer(target) as handle:
        handle.write(data.encode("utf-8") if isinstance(data, str) else data)
    return target
