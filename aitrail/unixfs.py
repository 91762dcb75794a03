"""A streaming UnixFS importer that gives Kubo's `ipfs add` CIDs, and the matching reader.

Layout as boxo's `importer/balanced`: fixed 256 KiB chunks (`size-262144`), at most 174 links per
node, a tree that grows one level each time the current root is full. Built bottom-up with one
pending link list per level, so memory is a few chunks plus at most 174 links per level whatever the
file size. CIDv0 (Kubo's default) wraps every chunk in a dag-pb UnixFS File leaf; CIDv1
(`--cid-version=1`) stores chunks as raw leaves (codec 0x55) and dag-pb parents in base32.

Directories follow `ipfs add -r`: a UnixFS Directory node whose links are sorted by name, hidden
entries (names starting with `.`) left out unless asked (`--hidden`), symlinks stored as UnixFS
Symlink nodes, never followed. A directory whose links (names + CIDs) reach 256 KiB becomes a HAMT
shard tree, as Kubo's default `Import.UnixFSHAMTDirectorySizeThreshold`.

>>> add_bytes(b"hello world\\n").cid
CID('QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o')
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from aitrail import dagpb
from aitrail._murmur3 import murmur3_x64_64
from aitrail._types import Readable, read_full
from aitrail.cid import CID, DAG_PB, RAW
from aitrail.errors import CidError, DagFormatError, ImportInputError

CHUNK_SIZE = 262144
MAX_LINKS = 174
# boxo switches a directory to a HAMT once its links' names + CIDs reach this many bytes. At exactly the
# threshold Kubo 0.22 (boxo 0.11, the embedded oracle) shards (>=); boxo's 2025 CID-profile work moved
# to "strictly above" (>). We follow the oracle; only a directory landing on the exact byte differs.
HAMT_THRESHOLD = 262144
HAMT_FANOUT = 256
DEFAULT_THREADS = min(4, os.cpu_count() or 1)

Emit = Callable[[CID, bytes], None]
Progress = Callable[[int], object]
GetBlock = Callable[[CID], bytes]


@dataclass(frozen=True, slots=True)
class Node:
    """A finished DAG node: its CID, cumulative size (Tsize) and the file bytes under it."""

    cid: CID
    tsize: int
    filesize: int


def _hash_leaf(version: int, chunk: memoryview, want_block: bool) -> tuple[Node, bytes | None]:
    """One leaf's CID (and its block bytes if wanted). Runs in worker threads: hashlib drops the GIL."""
    n = len(chunk)
    if version == 1:
        node = Node(CID(1, RAW, hashlib.sha256(chunk).digest()), n, n)
        return node, (bytes(chunk) if want_block else None)
    # CIDv0 leaf = dag-pb framing around the chunk; hash the three parts without concatenating.
    head, tail = dagpb.leaf_framing(n)
    h = hashlib.sha256(head)
    h.update(chunk)
    h.update(tail)
    node = Node(CID(0, DAG_PB, h.digest()), len(head) + n + len(tail), n)
    return node, (b"".join((head, chunk, tail)) if want_block else None)  # one copy


class _Balanced:
    """Pending link lists, one per level; level 0 holds leaves."""

    def __init__(self, cid_version: int, emit: Emit | None) -> None:
        self.version = cid_version
        self.emit = emit
        self.levels: list[list[Node]] = [[]]

    def add_leaf(self, node: Node, block: bytes | None) -> None:
        if self.emit is not None and block is not None:
            self.emit(node.cid, block)
        self._push(0, node)

    def _push(self, level: int, node: Node) -> None:
        links = self.levels[level]
        links.append(node)
        if len(links) == MAX_LINKS:
            # A full node is final: boxo only starts a sibling once this one has 174 children.
            parent = self._parent(links)
            links.clear()
            if level + 1 == len(self.levels):
                self.levels.append([])
            self._push(level + 1, parent)

    def _parent(self, links: list[Node]) -> Node:
        encoded = [dagpb.encode_link(bytes(c.cid), b"", c.tsize) for c in links]
        filesize = sum(c.filesize for c in links)
        block = dagpb.encode_node(encoded, dagpb.unixfs_file(filesize, [c.filesize for c in links]))
        cid = CID(self.version, DAG_PB, hashlib.sha256(block).digest())
        if self.emit is not None:
            self.emit(cid, block)
        return Node(cid, len(block) + sum(c.tsize for c in links), filesize)

    def finish(self) -> Node:
        top = len(self.levels) - 1
        if top == 0 and not self.levels[0]:
            return self._empty()
        # The rightmost spine: a level's partial node is wrapped unless it is the lone root.
        level = 0
        while True:
            links = self.levels[level]
            higher = any(self.levels[k] for k in range(level + 1, len(self.levels)))
            if len(links) == 1 and not higher:
                return links[0]
            if links:
                parent = self._parent(links)
                links.clear()
                if level + 1 == len(self.levels):
                    self.levels.append([])
                self.levels[level + 1].append(parent)
            level += 1

    def _empty(self) -> Node:
        if self.version == 1:
            cid = CID(1, RAW, hashlib.sha256(b"").digest())
            if self.emit is not None:
                self.emit(cid, b"")
            return Node(cid, 0, 0)
        block = dagpb.EMPTY_FILE_LEAF
        cid = CID(0, DAG_PB, hashlib.sha256(block).digest())
        if self.emit is not None:
            self.emit(cid, block)
        return Node(cid, len(block), 0)


def _check_version(cid_version: int) -> None:
    if cid_version not in (0, 1):
        raise CidError(f"cid version must be 0 or 1, got {cid_version}")


def add_stream(
    stream: Readable,
    cid_version: int = 0,
    emit: Emit | None = None,
    progress: Progress | None = None,
    *,
    threads: int | None = None,
) -> Node:
    """Import a byte stream; `emit(cid, block)` receives every block (root last), or None to hash only.

    Leaves are hashed on `threads` worker threads (default: up to 4, one per core) with at most
    3 x threads chunks in flight, so memory stays constant; blocks are still emitted in order.
    """
    _check_version(cid_version)
    builder = _Balanced(cid_version, emit)
    workers = DEFAULT_THREADS if threads is None else max(1, threads)
    want = emit is not None
    if workers == 1:
        single = memoryview(bytearray(CHUNK_SIZE))
        while filled := read_full(stream, single):
            builder.add_leaf(*_hash_leaf(cid_version, single[:filled], want))
            if progress is not None:
                progress(filled)
            if filled < CHUNK_SIZE:
                break
        return builder.finish()
    pending: deque[tuple[Future[tuple[Node, bytes | None]], bytearray]] = deque()
    # Recycled chunk buffers: a fresh 256 KiB bytearray per chunk costs an mmap and 64 page faults.
    free: list[bytearray] = []
    with ThreadPoolExecutor(workers, thread_name_prefix="aitrail-hash") as pool:
        try:
            while True:
                buf = free.pop() if free else bytearray(CHUNK_SIZE)
                view = memoryview(buf)
                filled = read_full(stream, view)
                if filled:
                    pending.append((pool.submit(_hash_leaf, cid_version, view[:filled], want), buf))
                    if progress is not None:
                        progress(filled)
                while len(pending) > 2 * workers or (pending and filled < CHUNK_SIZE):
                    fut, done_buf = pending.popleft()
                    builder.add_leaf(*fut.result())  # the block, if any, is a copy: buffer is free
                    free.append(done_buf)
                if filled < CHUNK_SIZE:
                    break
        finally:
            for fut, _ in pending:
                fut.cancel()
    return builder.finish()


def add_bytes(data: bytes, cid_version: int = 0, emit: Emit | None = None) -> Node:
    return add_stream(io.BytesIO(data), cid_version, emit)


def add_path(
    path: str | os.PathLike[str],
    cid_version: int = 0,
    emit: Emit | None = None,
    *,
    hidden: bool = False,
    progress: Progress | None = None,
) -> Node:
    """Import a file, or a directory recursively as `ipfs add -r` does."""
    _check_version(cid_version)
    p = Path(path)
    try:
        st = p.lstat()
    except FileNotFoundError:
        raise ImportInputError(str(p), "no such file or directory") from None
    except OSError as exc:
        raise ImportInputError(str(p), exc.strerror or str(exc)) from None
    if stat.S_ISLNK(st.st_mode):
        return _symlink(p, cid_version, emit)
    if stat.S_ISDIR(st.st_mode):
        return _directory(p, cid_version, emit, hidden, progress)
    if not stat.S_ISREG(st.st_mode):
        raise ImportInputError(str(p), "not a regular file, directory or symlink")
    try:
        with open(p, "rb") as f:
            # Threads only pay off past a couple of chunks; directories hold many small files.
            threads = 1 if st.st_size <= 2 * CHUNK_SIZE else None
            return add_stream(f, cid_version, emit, progress, threads=threads)
    except OSError as exc:
        raise ImportInputError(str(p), exc.strerror or str(exc)) from None


def _symlink(p: Path, cid_version: int, emit: Emit | None) -> Node:
    block = dagpb.encode_node((), dagpb.unixfs_symlink(os.fsencode(os.readlink(p))))
    cid = CID(cid_version, DAG_PB, hashlib.sha256(block).digest())
    if emit is not None:
        emit(cid, block)
    return Node(cid, len(block), 0)


def _directory(p: Path, cid_version: int, emit: Emit | None, hidden: bool, progress: Progress | None) -> Node:
    try:
        names = sorted((e.name.encode("utf-8"), e.name) for e in os.scandir(p))
    except OSError as exc:
        raise ImportInputError(str(p), exc.strerror or str(exc)) from None
    entries: list[tuple[bytes, CID, int]] = []
    estimate = 0
    for raw_name, name in names:
        if not hidden and name.startswith("."):
            continue
        child = add_path(p / name, cid_version, emit, hidden=hidden, progress=progress)
        entries.append((raw_name, child.cid, child.tsize))
        estimate += len(raw_name) + len(bytes(child.cid))
    if estimate >= HAMT_THRESHOLD:
        return _hamt_shard(entries, 0, cid_version, emit)
    links = [dagpb.encode_link(bytes(cid), raw_name, tsize) for raw_name, cid, tsize in entries]
    return _dag_node(links, dagpb.UNIXFS_DIRECTORY, sum(t for _, _, t in entries), cid_version, emit)


def _dag_node(links: list[bytes], data: bytes, links_tsize: int, cid_version: int, emit: Emit | None) -> Node:
    block = dagpb.encode_node(links, data)
    cid = CID(cid_version, DAG_PB, hashlib.sha256(block).digest())
    if emit is not None:
        emit(cid, block)
    return Node(cid, len(block) + links_tsize, 0)


def _hamt_shard(
    entries: list[tuple[bytes, CID, int]], depth: int, cid_version: int, emit: Emit | None
) -> Node:
    """A UnixFS HAMT shard as boxo builds it: fanout 256, entry names hashed with murmur3-x64-64, one
    byte of the hash per level; an index holding one entry links it as "XX<name>", an index where
    entries collide links a child shard as "XX"."""
    buckets: dict[int, list[tuple[bytes, CID, int]]] = {}
    shift = 56 - 8 * depth
    for entry in entries:
        index = (murmur3_x64_64(entry[0]) >> shift) & 0xFF
        buckets.setdefault(index, []).append(entry)
    links = []
    bitfield = 0
    tsize = 0
    for index in sorted(buckets):
        group = buckets[index]
        bitfield |= 1 << index
        prefix = b"%02X" % index
        if len(group) == 1:
            raw_name, cid, size = group[0]
            links.append(dagpb.encode_link(bytes(cid), prefix + raw_name, size))
        else:
            child = _hamt_shard(group, depth + 1, cid_version, emit)
            cid, size = child.cid, child.tsize
            links.append(dagpb.encode_link(bytes(cid), prefix, size))
        tsize += size
    data = dagpb.unixfs_hamt(bitfield.to_bytes(HAMT_FANOUT // 8, "big").lstrip(b"\0"), HAMT_FANOUT)
    return _dag_node(links, data, tsize, cid_version, emit)


def iter_blocks(
    stream: Readable, cid_version: int = 0, progress: Progress | None = None
) -> Iterator[tuple[CID, bytes]]:
    """The blocks of a stream's DAG as they are made, the root last; constant memory."""
    pending: deque[tuple[CID, bytes]] = deque()
    builder = _Balanced(cid_version, lambda c, b: pending.append((c, b)))
    _check_version(cid_version)
    while True:
        chunk = stream.read(CHUNK_SIZE)
        while chunk and len(chunk) < CHUNK_SIZE:
            more = stream.read(CHUNK_SIZE - len(chunk))
            if not more:
                break
            chunk += more
        if chunk:
            builder.add_leaf(*_hash_leaf(cid_version, memoryview(chunk), True))
            if progress is not None:
                progress(len(chunk))
        while pending:
            yield pending.popleft()
        if len(chunk) < CHUNK_SIZE:
            break
    builder.finish()
    while pending:
        yield pending.popleft()


# --- reading ----------------------------------------------------------------------------------


def _file_node(cid: CID, block: bytes | memoryview) -> tuple[dagpb.PBNode, dagpb.UnixFSData]:
    """A dag-pb block of a UnixFS file (or raw node), decoded; anything else names the block at fault."""
    try:
        node = dagpb.decode_node(block)
        fs = dagpb.decode_unixfs(node.data or b"")
    except (CidError, UnicodeDecodeError) as exc:
        raise DagFormatError(str(cid), str(exc)) from None
    if fs.type not in (dagpb.T_FILE, dagpb.T_RAW):
        raise DagFormatError(str(cid), f"UnixFS type {fs.type} is not a file")
    return node, fs


def read_file(get_block: GetBlock, root: CID, ahead: int = 0) -> Iterator[bytes | memoryview]:
    """The file bytes under `root`, in order (a leaf's chunk as a view into its block, not a copy);
    `get_block` must return verified bytes.

    With `ahead` > 0, the next `ahead` blocks in reading order are fetched (and verified by `get_block`)
    on as many worker threads while the caller consumes this one: hashing and file reads drop the GIL and
    a node's HTTP round trips overlap. A failure still surfaces at the block it belongs to, in order.
    """
    # The blocks still to read, last first; each with its prefetch, once one is started.
    stack: list[tuple[CID, Future[bytes] | None]] = [(root, None)]
    pool = ThreadPoolExecutor(ahead, thread_name_prefix="aitrail-read") if ahead > 0 else None
    try:
        while stack:
            if pool is not None:
                for i in range(max(0, len(stack) - ahead), len(stack)):
                    if stack[i][1] is None:
                        stack[i] = (stack[i][0], pool.submit(get_block, stack[i][0]))
            cid, pending = stack.pop()
            block = get_block(cid) if pending is None else pending.result()
            if cid.codec == RAW:
                yield block
                continue
            chunk = dagpb.leaf_chunk(block)
            if chunk is not None:
                yield chunk
                continue
            node, fs = _file_node(cid, block)
            if fs.data:
                yield fs.data
            stack.extend((link.cid, None) for link in reversed(node.links))
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def read_file_from(get_block: GetBlock, root: CID, offset: int) -> Iterator[bytes]:
    """The file bytes under `root` from byte `offset` on: whole subtrees before it are skipped by their
    `blocksizes`, so a ranged read fetches only the blocks on the path to `offset` and after it."""
    stack: list[tuple[CID, int]] = [(root, offset)]
    while stack:
        cid, skip = stack.pop()
        block = get_block(cid)
        if cid.codec == RAW:
            if skip < len(block):
                yield block[skip:]
            continue
        node, fs = _file_node(cid, block)
        own = fs.data or b""
        if skip < len(own):
            yield own[skip:]
        skip = max(0, skip - len(own))
        if len(fs.blocksizes) != len(node.links):
            raise DagFormatError(str(cid), "blocksizes do not match the links")
        children: list[tuple[CID, int]] = []
        for link, size in zip(node.links, fs.blocksizes, strict=True):
            if skip >= size:
                skip -= size
                continue
            children.append((link.cid, skip))
            skip = 0
        stack.extend(reversed(children))


def walk_dag(get_block: GetBlock, root: CID) -> Iterator[tuple[CID, bytes]]:
    """Every block reachable from `root` (depth first, each once), for export and pinning."""
    seen: set[bytes] = set()
    stack = [root]
    while stack:
        cid = stack.pop()
        key = bytes(cid)
        if key in seen:
            continue
        seen.add(key)
        block = get_block(cid)
        yield cid, block
        if cid.codec == DAG_PB:
            try:
                node = dagpb.decode_node(block)
            except (CidError, UnicodeDecodeError) as exc:
                raise DagFormatError(str(cid), str(exc)) from None
            stack.extend(link.cid for link in reversed(node.links))
