"""Small structural types shared across modules."""

from __future__ import annotations

from typing import Protocol


class Readable(Protocol):
    """Anything with `read(n) -> bytes`: files, sockets' makefile(), the encrypting and hashing readers."""

    def read(self, n: int = -1, /) -> bytes: ...
