"""The embedded store, aitrail's default: IPFS blocks as files on disk, no daemon.

Blocks live under `<root>/blocks/<2 chars>/<CIDv1 base32>` (a CIDv0 and its CIDv1 dag-pb form are the
same block). Every read re-hashes the bytes against the CID asked for: a missing or corrupted block is
an error naming that CID, never bad bytes. Writes go to a temporary name then rename, so a crash leaves
no half block. Pins are empty marker files under `<root>/pins/`.

Garbage collection (`plan_gc` / `apply_gc`, `aitrail store gc`) is mark and sweep: the caller says which
digests are referenced (by the chain, by upload journals); every block those reach is kept, every other
block is removed and every pin of an unreferenced root dropped. Links are read from dag-pb blocks only
(raw leaves have none), without re-hashing, so a plan costs one read per dag-pb block.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from aitrail import dagpb, unixfs
from aitrail._types import Readable
from aitrail.car import CarReader, open_car
from aitrail.cid import CID, DAG_PB
from aitrail.errors import AitrailError, BlockCorruptedError, BlockNotFoundError, StorageError
from aitrail.progress import progress
from aitrail.storage.base import Store

# blocks queued for the writer thread at most (256 KiB each): memory stays a few MiB whatever the size
_WRITES_IN_FLIGHT = 8


@dataclass(frozen=True)
class Orphan:
    """A root nothing referenced reaches: pinned, or a stored block no other block links to (what an
    interrupted add leaves: its pin is written last)."""

    cid: CID
    size: int  # bytes of its blocks that no kept root reaches (freed with it)
    pinned: bool


@dataclass(frozen=True)
class GcPlan:
    orphans: tuple[Orphan, ...]
    doomed: frozenset[CID]  # every block to delete (CIDv1 form, as stored)
    kept_blocks: int

    @property
    def size(self) -> int:
        return sum(o.size for o in self.orphans)


class LocalStore(Store):
    name = "local"
    # reading and re-hashing the next blocks overlaps the caller's decryption (both drop the GIL)
    read_ahead = 4

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.blocks_dir = self.root / "blocks"
        self.pins_dir = self.root / "pins"
        self._folders: set[Path] = set()  # block folders known to exist (one mkdir each, not one per block)
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
        if os.path.exists(path):
            return
        folder = path.parent
        if folder not in self._folders:
            folder.mkdir(exist_ok=True)
            self._folders.add(folder)
        tmp = folder / f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            try:
                view = memoryview(block)
                while view:
                    view = view[os.write(fd, view) :]
            finally:
                os.close(fd)
            os.replace(tmp, path)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise StorageError(f"cannot write block {cid}: {exc.strerror}") from None

    def add_stream(self, stream: Readable, cid_version: int = 0, *, pin: bool = True,
                   total: int | None = None, show_progress: bool | None = None) -> CID:
        # Block files are written on one background thread while the next chunks are read, encrypted
        # and hashed; every write has finished (or its error is raised) before the pin marks the root.
        writes: deque[Future[None]] = deque()
        with ThreadPoolExecutor(1, thread_name_prefix="aitrail-write") as writer:

            def emit(cid: CID, block: bytes) -> None:
                writes.append(writer.submit(self._emit, cid, block))
                while len(writes) > _WRITES_IN_FLIGHT or (writes and writes[0].done()):
                    writes.popleft().result()

            try:
                with progress(total, "add", show_progress) as update:
                    node = unixfs.add_stream(stream, cid_version, emit, update)
                while writes:
                    writes.popleft().result()
            finally:
                for pending in writes:
                    pending.cancel()
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

    # --- discarding and garbage collection ---------------------------------------------------------
    def discard(self, roots: Sequence[CID]) -> None:
        """Unpin `roots` and delete their blocks that no remaining pin reaches."""
        for cid in roots:
            self.unpin(cid)
        dropped = {c.to_v1() for c in roots}
        reach = self._reach(self._links())
        keep = reach({p.to_v1() for p in self.pins()})
        for block in reach(dropped) - keep:
            self.delete_block(block)

    def plan_gc(self, referenced: Callable[[CID], bool]) -> GcPlan:
        """What `apply_gc` would delete: blocks that no referenced block reaches, grouped by root."""
        links = self._links()
        reach = self._reach(links)
        keep = reach({c for c in links if referenced(c)})
        pinned = {p.to_v1() for p in self.pins()}
        linked = {child for children in links.values() for child in children}
        roots = sorted((pinned | (set(links) - linked)) - keep, key=str)
        orphans = tuple(
            Orphan(cid, sum(self.block_size(b) for b in reach({cid}) - keep), cid in pinned) for cid in roots
        )
        return GcPlan(orphans, frozenset(set(links) - keep), len(keep))

    def apply_gc(self, plan: GcPlan) -> None:
        for orphan in plan.orphans:
            if orphan.pinned:
                self.unpin(orphan.cid)
        for block in plan.doomed:
            self.delete_block(block)
        for pin in self.pins_dir.iterdir():  # pins written under another CID version of a doomed root
            if CID.decode(pin.name).to_v1() in plan.doomed:
                pin.unlink(missing_ok=True)

    def _stored(self) -> Iterable[CID]:
        for folder in self.blocks_dir.iterdir():
            for path in folder.iterdir():
                if not path.name.startswith("."):  # a write in progress (see _emit)
                    yield CID.decode(path.name)

    def _links(self) -> dict[CID, tuple[CID, ...]]:
        """Every stored block (CIDv1) and the blocks it links to (present or not)."""
        links: dict[CID, tuple[CID, ...]] = {}
        for cid in self._stored():
            children: tuple[CID, ...] = ()
            if cid.codec == DAG_PB:
                try:
                    node = dagpb.decode_node(self._path(cid).read_bytes())
                    children = tuple(link.cid.to_v1() for link in node.links)
                except (AitrailError, UnicodeDecodeError, OSError):
                    children = ()  # a damaged node links to nothing we can know; it is kept or swept itself
            links[cid] = children
        return links

    @staticmethod
    def _reach(links: dict[CID, tuple[CID, ...]]) -> Callable[[Iterable[CID]], set[CID]]:
        def reach(start: Iterable[CID]) -> set[CID]:
            seen: set[CID] = set()
            stack = [c for c in start if c in links]
            while stack:
                cid = stack.pop()
                if cid not in seen:
                    seen.add(cid)
                    stack.extend(c for c in links[cid] if c in links)
            return seen

        return reach

    def block_size(self, cid: CID) -> int:
        """Bytes of the stored block (0 if absent)."""
        try:
            return self._path(cid).stat().st_size
        except FileNotFoundError:
            return 0

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
