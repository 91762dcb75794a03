"""Issue 11 item 11: record keys and digests are salted with a per-dataset secret derived from the data
key, so ids like `P-4711` and low-entropy rows cannot be recovered by guessing from proof files or
`RecordsWithdrawn` leaves, while the data subject handed a proof can still check it."""

import hashlib

import pytest

from aitrail import crypto, records
from aitrail.errors import RecordsError

ROWS = "id,age,consent\nP-4711,54,allowed\nP-4712,61,notAllowed\nP-4713,47,constrained\n"


@pytest.fixture
def data(tmp_path):
    path = tmp_path / "patients.csv"
    path.write_text(ROWS)
    return path


@pytest.fixture
def secret():
    return records.records_secret(crypto.generate_data_key())


def test_salted_keys_and_digests_cannot_be_rebuilt_by_guessing(data, secret):
    plain, salted = records.read_records(data), records.read_records(data, secret=secret)
    assert salted.root != plain.root
    for i, record_id in enumerate(salted.ids):
        key, digest, _ = salted.records[i]
        # what a guesser computes from a known id or row no longer matches anything on-chain or in a proof
        assert key != hashlib.sha256(record_id.encode()).digest() == plain.records[i][0]
        assert digest != plain.records[i][1]


def test_the_same_data_key_rebuilds_the_same_tree_and_another_does_not(data, secret):
    again = records.read_records(data, secret=secret)
    assert again.root == records.read_records(data, secret=secret).root
    other = records.records_secret(crypto.generate_data_key())
    assert records.read_records(data, secret=other).root != again.root


def test_a_proof_carries_the_one_salt_its_data_subject_needs(data, secret):
    rt = records.read_records(data, secret=secret)
    doc = records.prove(rt, "P-4712", dataset_id=1, version=1)
    salt = bytes.fromhex(doc["recordSalt"][2:])
    assert salt == records.record_salt(secret, "P-4712")
    assert doc["values"][0] == "0x" + hashlib.sha256(salt + b"P-4712").hexdigest()
    assert doc["values"][1] == "0x" + hashlib.sha256(salt + b"P-4712,61,notAllowed\n").hexdigest()
    assert records.verify_proof(records.parse_proof(doc), rt.root) is True
    # that salt tells nothing about a neighbour: its key is not the salted hash of its id
    neighbour = rt.records[rt.index_of("P-4713")][0]
    assert neighbour != records.record_key("P-4713", salt)


def test_withdrawn_leaves_are_salted_leaves(data, secret):
    rt = records.read_records(data, secret=secret)
    w = records.withdraw(rt, ["P-4711"])
    assert w.tree.secret == secret and w.tree.index_of("P-4712") == 0
    unsalted = records.read_records(data)
    assert w.withdrawn_leaves[0] != unsalted.tree.leaf_at(unsalted.index_of("P-4711"))


def test_a_saved_salted_tree_needs_its_secret(data, secret, tmp_path):
    rt = records.read_records(data, secret=secret)
    path = tmp_path / "tree.json"
    records.save_records_tree(rt, path)
    assert secret.hex() not in path.read_text()  # the secret is derived again, never saved
    assert records.open_records_tree(path, secret=secret).root == rt.root
    with pytest.raises(RecordsError, match="needs the dataset's secret"):
        records.open_records_tree(path)
    with pytest.raises(RecordsError, match="a record id does not match its key"):
        records.open_records_tree(path, secret=records.records_secret(b"\x01" * 32))
