"""Record datasets: canonical record bytes, leaf values, proofs, withdrawal, bad input."""

import hashlib
import json

import pytest

from aitrail.errors import ProofFileError, RecordNotFoundError, RecordsError
from aitrail.records import (
    Consent,
    build_records_tree,
    canonical_csv_row,
    canonical_json_record,
    consent_terms,
    dump_records_tree,
    load_proof,
    load_records_tree,
    open_records_tree,
    parse_proof,
    prove,
    read_records,
    record_key,
    save_records_tree,
    verify_proof,
    withdraw,
    write_proof,
)

CSV = (
    "id,name,age,consent\n"
    'P-1,"Ann",34,allowed\n'
    'P-2,"Bo, Jr.",51,notAllowed\n'
    "P-3,Cy,27,constrained\n"
    "P-4,Di,45,yes\n"
)


def _write(tmp_path, name, text, newline=None):
    path = tmp_path / name
    with path.open("w", encoding="utf-8", newline=newline) as fh:
        fh.write(text)
    return path


def _sha(b):
    return hashlib.sha256(b).digest()


def test_csv_record_values_follow_the_documented_definition(tmp_path):
    rt = read_records(_write(tmp_path, "d.csv", CSV))
    assert rt.count == 4
    assert rt.ids == ("P-1", "P-2", "P-3", "P-4")
    assert rt.key_source == "id field 'id'"
    key, digest, _ = rt.records[1]
    assert key == _sha(b"P-2")
    assert digest == _sha(b'P-2,"Bo, Jr.",51,notAllowed\n')
    assert [c for _, _, c in rt.records] == [1, 0, 2, 1]


def test_csv_quoting_and_line_endings_do_not_change_hashes(tmp_path):
    plain = read_records(_write(tmp_path, "a.csv", CSV))
    requoted = CSV.replace("P-1,", '"P-1",').replace(",34,", ',"34",').replace("\n", "\r\n")
    other = read_records(_write(tmp_path, "b.csv", requoted, newline=""))
    assert other.root == plain.root
    changed = read_records(_write(tmp_path, "c.csv", CSV.replace(",34,", ",35,")))
    assert changed.root != plain.root
    assert changed.records[0][1] != plain.records[0][1]
    assert changed.records[1] == plain.records[1]


def test_canonical_csv_row_quotes_only_what_needs_it():
    assert canonical_csv_row(["a", "b,c", 'd"e', "é"]) == 'a,"b,c","d""e",é\n'.encode()


def test_jsonl_key_order_and_whitespace_do_not_change_hashes(tmp_path):
    a = read_records(
        _write(tmp_path, "a.jsonl", '{"id": 7, "x": [1, 2], "name": "Zoë"}\n{"id": "b", "x": null}\n')
    )
    b = read_records(
        _write(tmp_path, "b.jsonl", '\n{"name":"Zoë","x":[1,2],"id":7}\n  {"x":null,"id":"b"}\n')
    )
    assert a.root == b.root
    assert a.ids == ("7", "b")
    assert a.records[0][1] == _sha('{"id":7,"name":"Zoë","x":[1,2]}'.encode())
    assert canonical_json_record({"b": 1, "a": "é"}) == '{"a":"é","b":1}'.encode()
    c = read_records(
        _write(tmp_path, "c.jsonl", '{"id": 7, "x": [2, 1], "name": "Zoë"}\n{"id": "b", "x": null}\n')
    )
    assert c.root != a.root


def test_row_index_is_the_key_without_an_id_column(tmp_path):
    rt = read_records(_write(tmp_path, "d.csv", "name,age\nAnn,34\nBo,51\n"))
    assert rt.key_source == "row index"
    assert [k for k, _, _ in rt.records] == [record_key("0"), record_key("1")]
    assert [c for _, _, c in rt.records] == [int(Consent.ALLOWED)] * 2
    rt = read_records(_write(tmp_path, "e.jsonl", '{"a":1}\n{"a":2}\n'), default_consent=Consent.NOT_ALLOWED)
    assert rt.ids == ("0", "1")
    assert [c for _, _, c in rt.records] == [0, 0]


def test_build_records_tree_returns_root_and_count(tmp_path):
    root, count, rt = build_records_tree(_write(tmp_path, "d.csv", CSV))
    assert (root, count) == (rt.tree.root, 4)


@pytest.mark.parametrize(
    "name, text, message",
    [
        ("d.csv", "id,a\n1,x\n1,y\n", "d.csv:3: duplicate record id '1' (first on line 2)"),
        ("d.csv", "id,a\n1,x\n2\n", "d.csv:3: 1 fields, header has 2"),
        ("d.csv", "id,a\n,x\n", "d.csv:2: empty record id"),
        (
            "d.csv",
            "id,consent\n1,maybe\n",
            "d.csv:2: consent value 'maybe' is not one of allowed/notAllowed/constrained",
        ),
        ("d.jsonl", '{"id":1}\n[1,2]\n', "d.jsonl:2: a record must be a JSON object, got list"),
        ("d.jsonl", '{"id":1}\n{"id":\n', "d.jsonl:2: not JSON"),
        ("d.jsonl", '{"id":1}\n{"a":2}\n', "d.jsonl:2: id field 'id' missing unlike the first record"),
        ("d.jsonl", '{"id":1.5}\n', "d.jsonl:1: id 1.5 must be a string or an integer"),
        ("d.csv", "id,a\n", "has no records"),
        ("d.txt", "id\n1\n", "cannot tell the record format"),
    ],
)
def test_bad_files_give_one_clear_error(tmp_path, name, text, message):
    with pytest.raises(RecordsError) as err:
        read_records(_write(tmp_path, name, text))
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_non_utf8_file_is_refused(tmp_path):
    path = tmp_path / "d.csv"
    path.write_bytes(b"id,a\n1,\xff\n")
    with pytest.raises(RecordsError, match="not UTF-8"):
        read_records(path)


def test_consent_terms_use_the_erc7517_vocabulary():
    assert consent_terms(aiTraining="allowed", aiInference="notAllowed", dataMining=Consent.CONSTRAINED) == {
        "dataMiningPreference": {
            "aiTraining": "allowed",
            "aiInference": "notAllowed",
            "dataMining": "constrained",
        }
    }
    with pytest.raises(RecordsError, match="unknown consent purpose 'selling'"):
        consent_terms(selling="allowed")
    with pytest.raises(RecordsError, match="consent for aiTraining"):
        consent_terms(aiTraining="perhaps")


def test_proof_document_verifies_and_names_the_dataset_version(tmp_path):
    rt = read_records(_write(tmp_path, "d.csv", CSV))
    doc = prove(rt, "P-3", dataset_id=5, version=2)
    assert (doc["datasetId"], doc["version"], doc["recordId"], doc["consent"]) == (5, 2, "P-3", "constrained")
    assert doc["root"] == "0x" + rt.root.hex()
    assert doc["values"] == ["0x" + _sha(b"P-3").hex(), "0x" + _sha(b"P-3,Cy,27,constrained\n").hex(), "2"]
    path = tmp_path / "proof.json"
    path.write_text(json.dumps(doc))
    proof = load_proof(path)
    assert verify_proof(proof)
    assert verify_proof(proof, rt.root)
    assert prove(rt, _sha(b"P-3"), dataset_id=5, version=2) == doc


def test_tampered_record_is_rejected(tmp_path):
    rt = read_records(_write(tmp_path, "d.csv", CSV))
    doc = prove(rt, "P-2", dataset_id=1, version=1)
    forged = dict(
        doc, values=[doc["values"][0], "0x" + _sha(b"P-2,Bo,52,notAllowed\n").hex(), doc["values"][2]]
    )
    assert not verify_proof(parse_proof(forged), rt.root)
    # claiming consent that was not given changes the leaf too
    forged = dict(doc, values=[*doc["values"][:2], "1"])
    assert not verify_proof(parse_proof(forged), rt.root)


def test_tampered_proof_is_rejected(tmp_path):
    rt = read_records(_write(tmp_path, "d.csv", CSV))
    doc = prove(rt, "P-2", dataset_id=1, version=1)
    first = doc["proof"][0]
    forged = dict(doc, proof=[first[:-1] + ("0" if first[-1] != "0" else "1"), *doc["proof"][1:]])
    assert not verify_proof(parse_proof(forged), rt.root)


def test_proof_against_another_dataset_is_rejected(tmp_path):
    rt = read_records(_write(tmp_path, "d.csv", CSV))
    other = read_records(_write(tmp_path, "e.csv", CSV.replace("Di,45", "Di,46")))
    doc = prove(rt, "P-1", dataset_id=1, version=1)
    assert verify_proof(parse_proof(doc), rt.root)
    assert not verify_proof(parse_proof(doc), other.root)


def test_unknown_record_and_malformed_proof_files(tmp_path):
    rt = read_records(_write(tmp_path, "d.csv", CSV))
    with pytest.raises(RecordNotFoundError, match="record 'P-9' is not in the dataset"):
        prove(rt, "P-9", dataset_id=1, version=1)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ProofFileError, match=r"bad proof file .*bad\.json: not JSON"):
        load_proof(bad)
    doc = prove(rt, "P-1", dataset_id=1, version=1)
    with pytest.raises(ProofFileError, match=r"proof\[0\] must be a 0x-prefixed 32-byte hex string"):
        parse_proof(dict(doc, proof=["0x12"]))
    with pytest.raises(ProofFileError, match="format is 'x'"):
        parse_proof(dict(doc, format="x"))


def test_withdrawal_excludes_exactly_the_named_records(tmp_path):
    rt = read_records(_write(tmp_path, "d.csv", CSV))
    w = withdraw(rt, ["P-4", _sha(b"P-2")])
    assert w.tree.ids == ("P-1", "P-3")
    assert w.withdrawn_keys == (_sha(b"P-2"), _sha(b"P-4"))
    assert w.withdrawn_leaves == (rt.tree.leaf_at(1), rt.tree.leaf_at(3))
    # the new root is the root of the file without those rows
    lines = CSV.splitlines(keepends=True)
    expected = read_records(_write(tmp_path, "e.csv", lines[0] + lines[1] + lines[3]))
    assert w.tree.root == expected.root
    # a withdrawn record cannot be proved in the new version; a kept one can
    old = parse_proof(prove(rt, "P-2", dataset_id=1, version=1))
    assert not verify_proof(old, w.tree.root)
    with pytest.raises(RecordNotFoundError):
        prove(w.tree, "P-2", dataset_id=1, version=2)
    assert verify_proof(parse_proof(prove(w.tree, "P-3", dataset_id=1, version=2)), w.tree.root)


def test_withdrawal_refuses_unknown_or_all_records(tmp_path):
    rt = read_records(_write(tmp_path, "d.csv", CSV))
    with pytest.raises(RecordNotFoundError, match="P-7"):
        withdraw(rt, ["P-1", "P-7"])
    with pytest.raises(RecordsError, match="empty dataset"):
        withdraw(rt, ["P-1", "P-2", "P-3", "P-4"])
    with pytest.raises(RecordsError, match="no records to withdraw"):
        withdraw(rt, [])


def test_record_tree_root_equals_npm(tmp_path, oz_trees):
    rt = read_records(_write(tmp_path, "d.csv", CSV))
    values = [entry["value"] for entry in rt.tree.dump()["values"]]
    (ref,) = oz_trees([(["bytes32", "bytes32", "uint8"], values)])
    assert ref["root"] == "0x" + rt.root.hex()
    assert ref["proofs"][2] == prove(rt, "P-3", dataset_id=1, version=1)["proof"]


def test_saved_tree_reopens_and_proves_the_same(tmp_path):
    rt = read_records(_write(tmp_path, "d.csv", CSV))
    save_records_tree(rt, tmp_path / "tree.json")
    again = open_records_tree(tmp_path / "tree.json")
    assert (again.root, again.ids, again.key_source) == (rt.root, rt.ids, rt.key_source)
    assert prove(again, "P-2", dataset_id=3, version=1) == prove(rt, "P-2", dataset_id=3, version=1)
    # the inner standard-v1 dump is what npm StandardMerkleTree.load() reads
    assert json.loads((tmp_path / "tree.json").read_text())["tree"]["format"] == "standard-v1"


def test_saved_tree_with_a_forged_value_or_id_is_refused(tmp_path):
    rt = read_records(_write(tmp_path, "d.csv", CSV))
    doc = dump_records_tree(rt)
    doc["tree"]["values"][1]["value"][2] = "1"  # P-2 claims consent it did not give
    with pytest.raises(RecordsError, match="tree does not match its values"):
        load_records_tree(doc)
    doc = dump_records_tree(rt)
    doc["ids"][0] = "P-9"
    with pytest.raises(RecordsError, match="a record id does not match its key"):
        load_records_tree(doc)
    with pytest.raises(RecordsError, match="not an aitrail-records-tree-v1 document"):
        load_records_tree({"format": "standard-v1"})


def test_written_proof_file_loads_back(tmp_path):
    rt = read_records(_write(tmp_path, "d.csv", CSV))
    doc = prove(rt, "P-4", dataset_id=2, version=7)
    write_proof(doc, tmp_path / "p.json")
    proof = load_proof(tmp_path / "p.json")
    assert (proof.dataset_id, proof.version, proof.record_id, proof.consent) == (2, 7, "P-4", 1)
    assert verify_proof(proof, rt.root)
