"""Progress bars for long adds and fetches: tqdm on a terminal, silent otherwise or when asked."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

# Below this a bar only flickers.
MIN_BYTES = 8 * 1024 * 1024


@contextmanager
def progress(
    total: int | None, desc: str, show: bool | None = None
) -> Iterator[Callable[[int], object] | None]:
    """Yield a byte-count callback driving a tqdm bar, or None when no bar is wanted.

    `show=None` means: only on a terminal, only for large data, and not when AITRAIL_NO_PROGRESS is set.
    """
    if show is None:
        show = sys.stderr.isatty() and not os.environ.get("AITRAIL_NO_PROGRESS")
        if total is not None and total < MIN_BYTES:
            show = False
    if not show:
        yield None
        return
    from tqdm import tqdm

    bar = tqdm(total=total, desc=desc, unit="B", unit_scale=True, unit_divisor=1024, leave=False)
    try:
        yield bar.update
    finally:
        bar.close()
