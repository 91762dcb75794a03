"""Proofs made by aitrail.records (prove, withdraw) from real CSV and JSON Lines files verify with the
deployed DatasetRegistry's verifyRecord; altered records, altered proofs and the wrong dataset do not;
a consent withdrawal registers a version whose root excludes the records and lists their leaves."""

import json
import random

import pytest

from aitrail import records
from aitrail.merkle import leaf_hash
from scripts.datasets_support import committed_register, dataset_input


def _values(doc):
    key, digest, consent = doc["values"]
    return bytes.fromhex(key[2:]), bytes.fromhex(digest[2:]), int(consent)


def _leaf(values):
    return leaf_hash(records.RECORD_LEAF_ENCODING, values)


@pytest.fixture(scope="module")
def csv_tree(tmp_path_factory):
    rng = random.Random(7)
    path = tmp_path_factory.mktemp("records") / "patients.csv"
    rows = ["id,age,note,consent"]
    for i in range(57):
        consent = rng.choice(["allowed", "notAllowed", "constrained"])
        rows.append(f'P-{i:03d},{rng.randint(18, 90)},"line one\nline two {i}",{consent}')
    path.write_text("\n".join(rows) + "\n")
    return records.read_records(path)


@pytest.fixture(scope="module")
def jsonl_tree(tmp_path_factory):
    path = tmp_path_factory.mktemp("records") / "notes.jsonl"
    path.write_text(
        "".join(json.dumps({"id": i, "text": f"note {i}", "consent": i % 2 == 0}) + "\n" for i in range(9))
    )
    return records.read_records(path)


def _register(registry, owner, seed, rt, predecessor=0, withdrawn=()):
    data = dataset_input(owner, seed, records=rt.count, root=rt.root, predecessor=predecessor)
    return committed_register(registry, data, list(withdrawn), owner)


@pytest.fixture(scope="module")
def csv_dataset(registry, owner, csv_tree):
    return _register(registry, owner, "csv", csv_tree).return_value


def test_register_anchors_the_root_and_count_of_the_file(registry, csv_dataset, csv_tree):
    root, count = registry.recordsRoot(csv_dataset)
    assert (bytes(root), count) == (csv_tree.root, 57)


def test_every_python_proof_verifies_on_chain(registry, csv_dataset, csv_tree):
    for record_id in csv_tree.ids:
        doc = records.prove(csv_tree, record_id, dataset_id=csv_dataset, version=1)
        leaf = _leaf(_values(doc))
        assert "0x" + leaf.hex() == doc["leaf"]
        assert registry.verifyRecord(csv_dataset, *_values(doc), doc["proof"]) is True


def test_json_lines_proofs_verify_on_chain(registry, owner, jsonl_tree):
    dataset = _register(registry, owner, "jsonl", jsonl_tree).return_value
    for record_id in ("0", "4", "8"):
        doc = records.prove(jsonl_tree, record_id, dataset_id=dataset, version=1)
        assert doc["consent"] == ("allowed" if int(record_id) % 2 == 0 else "notAllowed")
        assert registry.verifyRecord(dataset, *_values(doc), doc["proof"]) is True


@pytest.mark.parametrize("field", [0, 1, 2])
def test_an_altered_record_is_rejected(registry, csv_dataset, csv_tree, field):
    doc = records.prove(csv_tree, "P-010", dataset_id=csv_dataset, version=1)
    values = list(_values(doc))
    values[field] = (values[field] + 1) % 3 if field == 2 else bytes(31) + b"\x01"
    assert _leaf(tuple(values)) != bytes.fromhex(doc["leaf"][2:])
    assert registry.verifyRecord(csv_dataset, *values, doc["proof"]) is False


def test_an_altered_proof_is_rejected(registry, csv_dataset, csv_tree):
    doc = records.prove(csv_tree, "P-020", dataset_id=csv_dataset, version=1)
    for i in range(len(doc["proof"])):
        forged = list(doc["proof"])
        forged[i] = "0x" + bytes(32).hex()
        assert registry.verifyRecord(csv_dataset, *_values(doc), forged) is False
    assert registry.verifyRecord(csv_dataset, *_values(doc), doc["proof"][:-1]) is False
    assert registry.verifyRecord(csv_dataset, *_values(doc), list(reversed(doc["proof"]))) is False


def test_a_proof_against_the_wrong_dataset_is_rejected(registry, owner, csv_dataset, csv_tree, jsonl_tree):
    other = _register(registry, owner, "other", jsonl_tree).return_value
    doc = records.prove(csv_tree, "P-030", dataset_id=csv_dataset, version=1)
    assert registry.verifyRecord(other, *_values(doc), doc["proof"]) is False
    assert registry.verifyRecord(csv_dataset, *_values(doc), doc["proof"]) is True


def test_offline_check_agrees_with_the_chain(registry, csv_dataset, csv_tree):
    root, _ = registry.recordsRoot(csv_dataset)
    doc = records.prove(csv_tree, "P-040", dataset_id=csv_dataset, version=1)
    assert records.verify_proof(records.parse_proof(doc), bytes(root)) is True
    doc["values"][2] = "0" if doc["values"][2] != "0" else "1"
    assert records.verify_proof(records.parse_proof(doc), bytes(root)) is False


def test_withdrawal_version_excludes_the_records_and_lists_their_leaves(
    registry, owner, csv_dataset, csv_tree
):
    gone = ["P-003", "P-044"]
    w = records.withdraw(csv_tree, gone)
    tx = _register(registry, owner, "csv-v2", w.tree, predecessor=csv_dataset, withdrawn=w.withdrawn_leaves)
    version = tx.return_value
    event = tx.events["RecordsWithdrawn"]
    assert (event["datasetId"], event["predecessor"]) == (version, csv_dataset)
    assert [bytes(x) for x in event["leaves"]] == list(w.withdrawn_leaves)
    assert list(registry.datasetHistory(version)) == [version, csv_dataset]
    assert registry.recordsRoot(version)[1] == 55
    for record_id in gone:
        old = records.prove(csv_tree, record_id, dataset_id=csv_dataset, version=1)
        assert bytes.fromhex(old["leaf"][2:]) in w.withdrawn_leaves
        # still provable in the old version (history stays), not in the new one
        assert registry.verifyRecord(csv_dataset, *_values(old), old["proof"]) is True
        assert registry.verifyRecord(version, *_values(old), old["proof"]) is False
    kept = records.prove(w.tree, "P-004", dataset_id=version, version=2)
    assert kept["leaf"] == records.prove(csv_tree, "P-004", dataset_id=csv_dataset, version=1)["leaf"]
    assert registry.verifyRecord(version, *_values(kept), kept["proof"]) is True
