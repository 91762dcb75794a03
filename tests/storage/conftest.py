import os
import random

import pytest
from kubo_oracle import SIZES, kubo_add, repo_block
from kubo_rpc_server import KuboStandIn

from aitrail import dagpb
from aitrail.storage import KuboStore, LocalStore


def _write_random(path, size, rng):
    path.write_bytes(rng.randbytes(size))


@pytest.fixture(scope="session")
def corpus(tmp_path_factory):
    """One directory holding every case, so the oracle runs once."""
    root = tmp_path_factory.mktemp("corpus") / "dataset"
    rng = random.Random(5)
    (root / "sub" / "deeper").mkdir(parents=True)
    for name, size in SIZES.items():
        _write_random(root / name, size, rng)
    # Names chosen for byte-order sorting: upper case before lower, "a" < "a.b" < "aa", UTF-8 last.
    for name in ("B", "a", "a.b", "aa", "é.txt"):
        (root / "sub" / name).write_bytes(name.encode() * 3)
    (root / "sub" / ".hidden").write_bytes(b"dotfile")
    (root / "sub" / "deeper" / "x").write_bytes(b"x" * 1000)
    (root / "empty-dir").mkdir()
    # 1000 links of 240-char names + 34-byte CIDs reach Kubo's 256 KiB threshold: a HAMT-sharded directory.
    many = root / "many"
    many.mkdir()
    for i in range(1000):
        (many / (f"{i:04d}-" + "n" * 235)).write_bytes(b"%d" % i)
    # Links of exactly 262144 bytes (names + 34-byte CIDv0s): the threshold itself.
    edge = root / "edge"
    edge.mkdir()
    for i in range(1000):
        length = 229 if i < 144 else 228
        (edge / (f"{i:04d}-".ljust(length, "e"))).write_bytes(b"%d" % i)
    os.symlink("size-1", root / "link-to-size-1")
    return root


@pytest.fixture(scope="session")
def oracle(corpus, tmp_path_factory):
    """Kubo's CIDs: the corpus root and, read from Kubo's own repo, every entry's CID by name."""
    repo = tmp_path_factory.mktemp("kubo-repo")
    root = kubo_add(corpus, repo)
    entries = {}

    def walk(cid, prefix):
        node = dagpb.decode_node(repo_block(repo, cid))
        if dagpb.decode_unixfs(node.data or b"").type != dagpb.T_DIRECTORY:
            return
        for link in node.links:
            entries[prefix + link.name] = link.cid
            walk(link.cid, prefix + link.name + "/")

    walk(root, "")
    return {"root": root, "entries": entries, "repo": repo}


@pytest.fixture
def store(tmp_path):
    return LocalStore(tmp_path / "store")


@pytest.fixture(scope="module")
def kubo_server(tmp_path_factory):
    """The STAND-IN Kubo server, only for what a real node cannot be made to do (serve corrupted bytes,
    answer with Kubo's own strings)."""
    server = KuboStandIn(tmp_path_factory.mktemp("kubo-standin")).start()
    yield server
    server.stop()


@pytest.fixture
def kubo_standin(kubo_server):
    return KuboStore(kubo_server.api_url, timeout=30)


@pytest.fixture
def kubo(ipfs_node):
    """The Kubo RPC backend on the session's real IPFS node (js-ipfs); a missing block is given 2 s."""
    return KuboStore(ipfs_node.api_url, timeout=30, read_timeout=2)
