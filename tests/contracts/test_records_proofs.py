"""verifyRecord: real OpenZeppelin StandardMerkleTree proofs (from the npm library, run with node)
verify on-chain; tampered records, tampered proofs and the wrong dataset are rejected."""

import json
import shutil
import subprocess
from pathlib import Path

import brownie
import pytest

from scripts.datasets_support import dataset_input, h, leaf, path_root, root_and_proof

ROOT = Path(__file__).resolve().parents[2]
TYPES = ["string", "bytes32", "bool"]
NODE_TREE = """
const { StandardMerkleTree } = require('@openzeppelin/merkle-tree');
const values = JSON.parse(process.argv[1]);
const tree = StandardMerkleTree.of(values, TYPES);
const out = { root: tree.root, entries: [] };
for (const [i, v] of tree.entries()) out.entries.push({ leaf: tree.leafHash(v), proof: tree.getProof(i) });
console.log(JSON.stringify(out));
""".replace("TYPES", json.dumps(TYPES))


def _records(n, salt="r"):
    return [[f"patient-{salt}-{i}", "0x" + h(f"{salt}-{i}").hex(), i % 3 != 0] for i in range(n)]


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
    return registry.register(
        dataset_input(owner, "tree", records=len(values), root=root), [], {"from": owner}
    ).return_value


def test_every_record_of_an_npm_built_tree_verifies_on_chain(registry, tree_dataset, npm_tree):
    values, tree = npm_tree
    assert len(tree["entries"]) == len(values)
    for entry in tree["entries"]:
        assert registry.verifyRecord(tree_dataset, entry["leaf"], entry["proof"]) is True


def test_python_leaf_matches_the_npm_leaf(npm_tree):
    values, tree = npm_tree
    npm_leaves = {e["leaf"] for e in tree["entries"]}
    ours = {"0x" + leaf(TYPES, [v[0], bytes.fromhex(v[1][2:]), v[2]]).hex() for v in values}
    assert ours == npm_leaves


def test_a_tampered_record_is_rejected(registry, tree_dataset, npm_tree):
    values, tree = npm_tree
    entry = tree["entries"][0]
    tampered = leaf(TYPES, ["patient-r-0", h("r-0"), not values[0][2]])  # consent flag flipped
    original = leaf(TYPES, ["patient-r-0", h("r-0"), values[0][2]])
    assert tampered != original
    proof = next(e["proof"] for e in tree["entries"] if e["leaf"] == "0x" + original.hex())
    assert registry.verifyRecord(tree_dataset, original, proof) is True
    assert registry.verifyRecord(tree_dataset, tampered, proof) is False
    assert entry["proof"]  # a 13-leaf tree has non-empty proofs


def test_a_tampered_proof_is_rejected(registry, tree_dataset, npm_tree):
    _, tree = npm_tree
    entry = tree["entries"][5]
    proof = list(entry["proof"])
    proof[-1] = "0x" + h("forged sibling").hex()
    assert registry.verifyRecord(tree_dataset, entry["leaf"], proof) is False
    assert registry.verifyRecord(tree_dataset, entry["leaf"], entry["proof"][:-1]) is False


def test_a_proof_against_the_wrong_dataset_is_rejected(registry, owner, tree_dataset, npm_tree, dataset_id):
    _, tree = npm_tree
    entry = tree["entries"][2]
    other = registry.register(dataset_input(owner, "other", records=3), [], {"from": owner}).return_value
    assert registry.verifyRecord(other, entry["leaf"], entry["proof"]) is False


def test_dataset_without_records_verifies_nothing(registry, owner):
    plain = registry.register(dataset_input(owner, "plain"), [], {"from": owner}).return_value
    assert registry.verifyRecord(plain, bytes(32), []) is False


def test_verify_on_an_unknown_dataset_reverts(registry):
    with brownie.reverts("DatasetUnknown: 99"):
        registry.verifyRecord(99, bytes(32), [])


def test_withdrawn_dataset_still_verifies_its_records(registry, owner, tree_dataset, npm_tree):
    _, tree = npm_tree
    registry.withdrawDataset(tree_dataset, h("consent"), {"from": owner})
    entry = tree["entries"][1]
    assert registry.verifyRecord(tree_dataset, entry["leaf"], entry["proof"]) is True


@pytest.mark.parametrize("depth", [10, 20])
def test_deep_proofs_verify(registry, owner, depth):
    target = h(f"leaf-{depth}")
    proof = [h(f"sibling-{depth}-{i}") for i in range(depth)]
    dataset = registry.register(
        dataset_input(owner, f"deep-{depth}", records=2**depth, root=path_root(target, proof)),
        [],
        {"from": owner},
    ).return_value
    assert registry.verifyRecord(dataset, target, proof) is True


def test_python_tree_helper_agrees_with_the_contract(registry, owner):
    leaves = [h(f"x{i}") for i in range(7)]
    root, proof = root_and_proof(leaves, 4)
    dataset = registry.register(
        dataset_input(owner, "py", records=7, root=root), [], {"from": owner}
    ).return_value
    assert registry.verifyRecord(dataset, leaves[4], proof) is True
