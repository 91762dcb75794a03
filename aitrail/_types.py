"""Small structural types shared across modules, and the one read-until-full helper."""

from __future__ import annotations

from typing import Protocol

#: What the streaming code reads into and hashes: anything with the buffer protocol.
Buffer = bytes | bytearray | memoryview


class Readable(Protocol):
    """Anything with `read(n) -> bytes`: files, sockets' makefile(), the encrypting and hashing readers."""

    def read(self, n: int = -1, /) -> bytes: ...


def read_full(stream: Readable, view: memoryview) -> int:
    """Read until `view` is full or the stream ends, with `readinto` when the stream has it (no copy).
    A short read must never end a chunk or segment early: Kubo's size splitter uses io.ReadFull, and
    the encryption format's segment boundaries are fixed."""
    readinto = getattr(stream, "readinto", None)
    filled = 0
    size = len(view)
    while filled < size:
        if readinto is not None:
            got = readinto(view[filled:])
        else:
            data = stream.read(size - filled)
            got = len(data)
            view[filled : filled + got] = data
        if not got:
            break
        filled += got
    return filled
