"""aitrail.merkle against npm @openzeppelin/merkle-tree 1.0.8: same roots, proofs and dumps, byte for byte."""

import json
import random

import pytest

from aitrail.errors import MerkleError
from aitrail.merkle import StandardMerkleTree
from aitrail.records import RECORD_LEAF_ENCODING, PackedRecords

# 1 and 2 leaves are the edge cases; the rest are powers of two and their neighbours
SIZES = [1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 31, 100, 257]


def _random_records(rng, n):
    return [(rng.randbytes(32), rng.randbytes(32), rng.choice([0, 1, 2, 255])) for _ in range(n)]


def _json_values(tree):
    return [entry["value"] for entry in tree.dump()["values"]]


@pytest.fixture(scope="module")
def record_cases():
    rng = random.Random(7)
    cases = [_random_records(rng, n) for n in SIZES]
    # equal values twice: npm keeps input order among equal leaves (stable sort), so must we
    dup = _random_records(rng, 5)
    cases.append([*dup, dup[1], dup[3]])
    return cases


@pytest.fixture(scope="module")
def record_trees(record_cases):
    return [StandardMerkleTree.of(values, RECORD_LEAF_ENCODING) for values in record_cases]


@pytest.fixture(scope="module")
def npm_record_trees(oz_trees, record_trees):
    return oz_trees([(list(RECORD_LEAF_ENCODING), _json_values(t)) for t in record_trees])


def test_record_trees_have_npm_roots(record_trees, npm_record_trees):
    assert sum(len(t) for t in record_trees) > 450
    for ours, theirs in zip(record_trees, npm_record_trees, strict=True):
        assert "0x" + ours.root.hex() == theirs["root"]


def test_every_proof_equals_npm(record_trees, npm_record_trees):
    for ours, theirs in zip(record_trees, npm_record_trees, strict=True):
        assert [["0x" + p.hex() for p in ours.get_proof(i)] for i in range(len(ours))] == theirs["proofs"]


def test_dump_is_byte_identical_to_npm(record_trees, npm_record_trees):
    for ours, theirs in zip(record_trees, npm_record_trees, strict=True):
        assert json.dumps(ours.dump(), separators=(",", ":")) == theirs["dump"]


def test_npm_dump_loads_with_same_root_and_proofs(record_trees, npm_record_trees):
    for ours, theirs in zip(record_trees, npm_record_trees, strict=True):
        loaded = StandardMerkleTree.load(json.loads(theirs["dump"]))
        assert loaded.root == ours.root
        assert [loaded.get_proof(i) for i in range(len(loaded))] == [
            ours.get_proof(i) for i in range(len(ours))
        ]


def test_all_proofs_blocks_equal_single_proofs(record_trees):
    for tree in record_trees:
        seen = []
        for block in tree.all_proofs(block_size=7):
            proofs = [tree.get_proof(int(v)) for v in block.value_indices]
            assert [block.proof(k) for k in range(len(proofs))] == proofs
            assert block.packed() == b"".join(b"".join(p) for p in proofs)
            seen.extend(int(v) for v in block.value_indices)
        assert sorted(seen) == list(range(len(tree)))
        # leaf order: tree positions strictly decreasing
        assert [tree.tree_indices[v] for v in seen] == sorted(
            (tree.tree_indices[v] for v in seen), reverse=True
        )


def test_packed_records_fast_path_equals_generic_encoding(record_cases):
    values = record_cases[-2]
    packed = PackedRecords.from_values(values)
    fast = StandardMerkleTree.from_leaf_hashes(packed.leaf_hashes(), packed, RECORD_LEAF_ENCODING)
    assert fast.root == StandardMerkleTree.of(values, RECORD_LEAF_ENCODING).root
    assert list(packed) == values


def test_generic_types_match_npm(oz_trees):
    # static types on the fast encoder, dynamic ones through eth_abi
    rng = random.Random(11)
    static = [
        (
            "0x" + rng.randbytes(20).hex(),
            rng.randrange(2**256),
            rng.randrange(-(2**15), 2**15),
            rng.random() < 0.5,
            rng.randbytes(4),
        )
        for _ in range(23)
    ]
    static_enc = ["address", "uint256", "int16", "bool", "bytes4"]
    dynamic = [
        (
            "naïve " + rng.randbytes(5).hex(),
            rng.randbytes(rng.randrange(0, 70)),
            [rng.randrange(10**6) for _ in range(3)],
        )
        for _ in range(19)
    ]
    dynamic_enc = ["string", "bytes", "uint256[]"]
    ours = [StandardMerkleTree.of(static, static_enc), StandardMerkleTree.of(dynamic, dynamic_enc)]
    theirs = oz_trees([(static_enc, _json_values(ours[0])), (dynamic_enc, _json_values(ours[1]))])
    for tree, ref in zip(ours, theirs, strict=True):
        assert "0x" + tree.root.hex() == ref["root"]
        assert [["0x" + p.hex() for p in tree.get_proof(i)] for i in range(len(tree))] == ref["proofs"]


def test_tampered_value_does_not_verify(record_trees):
    tree = record_trees[7]
    key, digest, consent = tree.values[3]
    proof = tree.get_proof(3)
    assert tree.verify((key, digest, consent), proof)
    assert not tree.verify((key, digest[:-1] + bytes([digest[-1] ^ 1]), consent), proof)
    assert not tree.verify((key, digest, consent ^ 1), proof)


def test_tampered_proof_does_not_verify(record_trees):
    tree = record_trees[7]
    proof = tree.get_proof(5)
    for j in range(len(proof)):
        bad = list(proof)
        bad[j] = bad[j][:7] + bytes([bad[j][7] ^ 0x80]) + bad[j][8:]
        assert not tree.verify(tree.values[5], bad)
    assert not tree.verify(tree.values[5], proof[:-1])


def test_proof_from_another_tree_does_not_verify(record_trees):
    a, b = record_trees[8], record_trees[9]
    assert all(not b.verify(a.values[i], a.get_proof(i)) for i in range(len(a)))
    assert all(
        StandardMerkleTree.verify_against(a.root, RECORD_LEAF_ENCODING, a.values[i], a.get_proof(i))
        for i in range(len(a))
    )


def test_proof_by_value_equals_proof_by_index(record_trees):
    tree = record_trees[10]
    assert tree.get_proof(tree.values[12]) == tree.get_proof(12)
    with pytest.raises(MerkleError, match="not in the tree"):
        tree.get_proof((bytes(32), bytes(32), 0))


def test_load_rejects_a_tampered_dump(record_trees):
    dump = record_trees[5].dump()
    dump["tree"][2] = "0x" + "00" * 32
    with pytest.raises(MerkleError, match="not the hash of its children"):
        StandardMerkleTree.load(dump)
    dump = record_trees[5].dump()
    dump["values"][0]["value"][2] = str((int(dump["values"][0]["value"][2]) + 1) % 256)
    with pytest.raises(MerkleError, match="does not hash to its leaf"):
        StandardMerkleTree.load(dump)
    with pytest.raises(MerkleError, match="unknown Merkle tree format"):
        StandardMerkleTree.load({"format": "simple-v1"})


def test_empty_tree_and_bad_values_are_refused():
    with pytest.raises(MerkleError, match="at least one leaf"):
        StandardMerkleTree.of([], RECORD_LEAF_ENCODING)
    with pytest.raises(MerkleError, match="out of range"):
        StandardMerkleTree.of([(bytes(32), bytes(32), 256)], RECORD_LEAF_ENCODING)
    with pytest.raises(MerkleError, match="must be 32 bytes"):
        StandardMerkleTree.of([(bytes(31), bytes(32), 1)], RECORD_LEAF_ENCODING)


def test_proof_length_grows_with_log2_of_the_leaf_count(record_trees):
    # what makes on-chain verification cost O(log n): every proof has floor or ceil of log2(n) siblings
    for tree in record_trees:
        n = len(tree)
        lengths = {len(tree.get_proof(i)) for i in range(n)}
        low, high = n.bit_length() - 1, (n - 1).bit_length()  # floor and ceil of log2(n)
        assert lengths <= {low, high}, (n, lengths)
        assert max(lengths) == high
