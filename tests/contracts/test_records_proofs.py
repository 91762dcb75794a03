"""verifyRecord: real OpenZeppelin StandardMerkleTree proofs (from the npm library, run with node)
verify on-chain from the record's values; tampered records, tampered proofs, the wrong dataset, and
inner nodes or the root passed off as records are rejected."""

import json
import shutil
import subprocess
from pathlib import Path

import brownie
import pytest

from scripts.datasets_support import (
    committed_register,
    dataset_input,
    h,
    leaf,
    path_root,
    record_leaf,
    root_and_proof,
)

ROOT = Path(__file__).resolve().parents[2]
TYPES = ["bytes32", "bytes32", "uint8"]
NODE_TREE = """
const { StandardMerkleTree } = require('@openzeppelin/merkle-tree');
const values = JSON.parse(process.argv[1]);
const tree = StandardMerkleTree.of(values, TYPES);
const out = { root: tree.root, entries: [] };
for (const [i, v] of tree.entries())
  out.entries.push({ values: v, leaf: tree.leafHash(v), proof: tree.getProof(i) });
console.log(JSON.stringify(out));
""".replace("TYPES", json.dumps(TYPES))


def _records(n, salt="r"):
    return [["0x" + h(f"patient-{salt}-{i}").hex(), "0x" + h(f"{salt}-{i}").hex(), i % 3] for i in range(n)]


@pytest.fixture(scope="module")
def npm_tree():
    assert shutil.which("node"), "node is part of the toolchain (make setup)"
    values = _records(13)
    out = subprocess.run(
        ["node", "-e", NODE_TREE, json.dumps(values)], cwd=ROOT, check=True, capture_output=True, text=True
    )
    tree = json.loads(out.stdout)
    return values, tree


@pytest.fixture
def tree_dataset(registry, owner, npm_tree):
    values, tree = npm_tree
    root = bytes.fromhex(tree["root"][2:])
    data = dataset_input(owner, "tree", records=len(values), root=root)
    return committed_register(registry, data, [], owner).return_value


def _values(entry):
    key, digest, consent = entry["values"]
    return bytes.fromhex(key[2:]), bytes.fromhex(digest[2:]), int(consent)


def test_every_record_of_an_npm_built_tree_verifies_on_chain(registry, tree_dataset, npm_tree):
    values, tree = npm_tree
    assert len(tree["entries"]) == len(values)
    for entry in tree["entries"]:
        assert registry.verifyRecord(tree_dataset, *_values(entry), entry["proof"]) is True


def test_python_leaf_matches_the_npm_leaf(npm_tree):
    values, tree = npm_tree
    npm_leaves = {e["leaf"] for e in tree["entries"]}
    ours = {
        "0x" + leaf(TYPES, [bytes.fromhex(v[0][2:]), bytes.fromhex(v[1][2:]), v[2]]).hex() for v in values
    }
    assert ours == npm_leaves


def test_a_tampered_record_is_rejected(registry, tree_dataset, npm_tree):
    _, tree = npm_tree
    entry = tree["entries"][0]
    key, digest, consent = _values(entry)
    assert registry.verifyRecord(tree_dataset, key, digest, consent, entry["proof"]) is True
    assert registry.verifyRecord(tree_dataset, key, digest, (consent + 1) % 3, entry["proof"]) is False
    assert registry.verifyRecord(tree_dataset, key, h("other row"), consent, entry["proof"]) is False
    assert registry.verifyRecord(tree_dataset, h("other id"), digest, consent, entry["proof"]) is False
    assert entry["proof"]  # a 13-leaf tree has non-empty proofs


def test_a_tampered_proof_is_rejected(registry, tree_dataset, npm_tree):
    _, tree = npm_tree
    entry = tree["entries"][5]
    proof = list(entry["proof"])
    proof[-1] = "0x" + h("forged sibling").hex()
    assert registry.verifyRecord(tree_dataset, *_values(entry), proof) is False
    assert registry.verifyRecord(tree_dataset, *_values(entry), entry["proof"][:-1]) is False


def test_the_root_and_inner_nodes_do_not_pass_as_records(registry, owner):
    """Issue 11 item 7: before, verifyRecord took the leaf, so (root, []) and (inner node, upper proof)
    verified. Now the contract hashes values into a leaf; a 64-byte node is no such preimage, and the
    only way to name a node is as values, which hash to something else."""
    values = [(h(f"k{i}"), h(f"d{i}"), i % 3) for i in range(4)]
    leaves = [record_leaf(v) for v in values]
    root, _ = root_and_proof(leaves, 0)
    dataset = committed_register(registry, dataset_input(owner, "nodes", records=4, root=root), [], owner)
    dataset = dataset.return_value
    inner = path_root(min(leaves[0], leaves[1]), [max(leaves[0], leaves[1])])
    sibling = path_root(min(leaves[2], leaves[3]), [max(leaves[2], leaves[3])])
    assert path_root(inner, [sibling]) == root  # the inner node and its proof lead to the root
    for node, proof in ((root, []), (inner, [sibling])):
        # the node split into the value slots a caller controls: still not a leaf of the tree
        assert registry.verifyRecord(dataset, node, bytes(32), 0, proof) is False
        assert registry.verifyRecord(dataset, node[:16] + bytes(16), node[16:] + bytes(16), 0, proof) is False
    for i, v in enumerate(values):
        _, proof = root_and_proof(leaves, i)
        assert registry.verifyRecord(dataset, *v, proof) is True


def test_a_proof_against_the_wrong_dataset_is_rejected(registry, owner, tree_dataset, npm_tree, dataset_id):
    _, tree = npm_tree
    entry = tree["entries"][2]
    other = committed_register(registry, dataset_input(owner, "other", records=3), [], owner).return_value
    assert registry.verifyRecord(other, *_values(entry), entry["proof"]) is False


def test_dataset_without_records_verifies_nothing(registry, owner):
    plain = committed_register(registry, dataset_input(owner, "plain"), [], owner).return_value
    assert registry.verifyRecord(plain, bytes(32), bytes(32), 0, []) is False


def test_verify_on_an_unknown_dataset_reverts(registry):
    with brownie.reverts("DatasetUnknown: 99"):
        registry.verifyRecord(99, bytes(32), bytes(32), 0, [])


def test_withdrawn_dataset_still_verifies_its_records(registry, owner, tree_dataset, npm_tree):
    _, tree = npm_tree
    registry.withdrawDataset(tree_dataset, h("consent"), {"from": owner})
    entry = tree["entries"][1]
    assert registry.verifyRecord(tree_dataset, *_values(entry), entry["proof"]) is True


@pytest.mark.parametrize("depth", [10, 20])
def test_deep_proofs_verify(registry, owner, depth):
    values = (h(f"key-{depth}"), h(f"row-{depth}"), 1)
    proof = [h(f"sibling-{depth}-{i}") for i in range(depth)]
    root = path_root(record_leaf(values), proof)
    data = dataset_input(owner, f"deep-{depth}", records=2**depth, root=root)
    dataset = committed_register(registry, data, [], owner).return_value
    assert registry.verifyRecord(dataset, *values, proof) is True
