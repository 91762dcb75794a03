"""Proofs built in Python verify with OpenZeppelin's MerkleProof on-chain (through MerkleProofHarness).

The harness only exposes the real OpenZeppelin library; the registry's verifyRecord is tested on its
own branch once it lands.
"""

import random

import pytest
from brownie import MerkleProofHarness

from aitrail.merkle import StandardMerkleTree
from aitrail.records import RECORD_LEAF_ENCODING


@pytest.fixture(scope="module")
def harness(admin):
    return MerkleProofHarness.deploy({"from": admin})


@pytest.fixture(scope="module")
def tree():
    rng = random.Random(3)
    values = [(rng.randbytes(32), rng.randbytes(32), rng.choice([0, 1, 2])) for _ in range(37)]
    return StandardMerkleTree.of(values, RECORD_LEAF_ENCODING)


def test_solidity_computes_the_same_leaf(harness, tree):
    for i in (0, 17, 36):
        assert bytes(harness.recordLeaf(*tree.values[i])) == tree.leaf_at(i)


def test_every_proof_verifies_on_chain(harness, tree):
    for i in range(len(tree)):
        assert harness.verify(tree.get_proof(i), tree.root, tree.leaf_at(i))
        assert harness.verifyRecord(tree.get_proof(i), tree.root, *tree.values[i])


def test_tampered_record_fails_on_chain(harness, tree):
    key, digest, consent = tree.values[4]
    assert not harness.verifyRecord(tree.get_proof(4), tree.root, key, digest, (consent + 1) % 3)
    assert not harness.verifyRecord(tree.get_proof(4), tree.root, key, bytes(32), consent)


def test_tampered_proof_fails_on_chain(harness, tree):
    proof = tree.get_proof(9)
    proof[-1] = bytes(32)
    assert not harness.verify(proof, tree.root, tree.leaf_at(9))
    assert not harness.verify(tree.get_proof(9)[:-1], tree.root, tree.leaf_at(9))


def test_proof_for_another_tree_fails_on_chain(harness, tree):
    other = StandardMerkleTree.of(list(tree.values)[1:], RECORD_LEAF_ENCODING)
    assert not harness.verify(tree.get_proof(5), other.root, tree.leaf_at(5))
