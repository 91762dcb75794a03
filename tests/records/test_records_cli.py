"""`aitrail dataset register` (records root), `records prove|verify`, `dataset withdraw-records` and the
audit's stale-citation flags, end to end on the embedded default (LocalChain, local store).

Tests in this module share one chain and run in file order: a later one builds on earlier state.
"""

import json
import shutil

import pytest
from click.testing import CliRunner

from aitrail import records
from aitrail.cid import CID
from aitrail.cli import main
from aitrail.config import Settings
from aitrail.flows import Session
from aitrail.flows.access import data_key_as_owner
from aitrail.merkle import leaf_hash
from aitrail.storage import LocalStore
from tests.cli_support import cli, private_home

OWNER, RESEARCHER, STRANGER = "anvil1", "anvil2", "anvil3"
CSV = (
    "id,age,diagnosis,consent\r\n"
    "p1,54,benign,allowed\r\n"
    'p2,61,"malignant,\r\nstage 2",allowed\r\n'
    "p3,47,benign,constrained\r\n"
    "p4,33,benign,notAllowed\r\n"
    "p5,70,benign,yes\r\n"
)


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    with private_home(tmp_path_factory.mktemp("aitrail-home")) as root:
        yield root




def registry():
    return Session.open(Settings.resolve(None, None)).suite.datasets


def owner_tree(path, dataset_id):
    """The tree of `path` salted as dataset `dataset_id`'s (secret from the owner's data key)."""
    session = Session.open(Settings.resolve(None, None), OWNER)
    secret = records.records_secret(data_key_as_owner(session, dataset_id))
    return records.read_records(path, secret=secret)


@pytest.fixture(scope="module")
def data(home):
    path = home / "patients.csv"
    path.write_bytes(CSV.encode())
    return path


def test_register_anchors_the_files_root_and_count(home, data):
    cli("deploy")
    r = cli("dataset", "register", data, "--name", "patients", "--license", "CC-BY-4.0", account=OWNER)
    expected = owner_tree(data, r["id"])
    assert r["records"] == 5
    assert records.read_records(data).root != expected.root  # salted: the public cannot rebuild it
    assert registry().records_root(r["id"]) == (expected.root, 5)
    shown = cli("dataset", "show", r["id"])
    assert shown["recordsRoot"] == "0x" + expected.root.hex()


def test_metadata_carries_erc7517_terms_and_the_root(home, data):
    meta_cid = cli("dataset", "show", 1)["metadataCid"]
    meta = json.loads(LocalStore(home / "store").read_all(CID.decode(meta_cid)))
    assert meta["dataMiningPreference"] == {"aiTraining": "allowed"}
    assert meta["records"]["count"] == 5
    assert meta["records"]["leafEncoding"] == ["bytes32", "bytes32", "uint8"]
    path = home / "notes.jsonl"
    path.write_text('{"id": 7, "text": "a"}\n{"id": 8, "text": "b"}\n')
    r = cli(
        "dataset", "register", path, "--name", "notes", "--license", "CC0",
        "--consent", "aiTraining=notAllowed", "--consent", "aiInference=constrained", account=OWNER,
    )  # fmt: skip
    meta = json.loads(LocalStore(home / "store").read_all(CID.decode(r["metadataCid"])))
    assert meta["dataMiningPreference"] == {"aiTraining": "notAllowed", "aiInference": "constrained"}
    assert registry().records_root(r["id"]) == (owner_tree(path, r["id"]).root, 2)
    fresh = home / "fresh.csv"
    fresh.write_text("id,v\nf1,1\n")
    blocks = sorted(p.name for p in (home / "store" / "blocks").rglob("*"))
    line = cli("dataset", "register", fresh, "--name", "x", "--license", "y", "--consent", "aiTraining=maybe",
               account=OWNER, ok=False)  # fmt: skip
    assert line == (
        "consent for aiTraining: consent value 'maybe' is not one of allowed/notAllowed/constrained"
    )
    line = cli("dataset", "register", fresh, "--name", "x", "--license", "y", "--consent", "aiTrain=allowed",
               account=OWNER, ok=False)  # fmt: skip
    assert line.startswith("unknown consent purpose 'aiTrain'; expected one of aiTraining, aiInference")
    assert sorted(p.name for p in (home / "store" / "blocks").rglob("*")) == blocks  # nothing uploaded
    assert registry().count() == 2


def test_owner_proves_from_the_saved_tree_and_anyone_verifies(home, tmp_path):
    out = tmp_path / "p2.json"
    doc = cli("records", "prove", 1, "p2", "-o", out, account=OWNER)
    assert doc["recordId"] == "p2" and doc["version"] == 1 and doc["consent"] == "allowed"
    assert json.loads(out.read_text())["leaf"] == doc["leaf"]
    r = cli("records", "verify", out, account=STRANGER)
    assert r["verified"] is True and r["datasetId"] == 1 and r["version"] == 1
    # the data subject's file carries the record's salt: the key is derivable from it and the id only
    salt = bytes.fromhex(doc["recordSalt"][2:])
    assert doc["values"][0] == "0x" + records.record_key("p2", salt).hex()
    assert doc["values"][0] != "0x" + records.record_key("p2").hex()  # the unsalted guess misses
    assert r["models"] == [] and r["withdrawnIn"] == []
    # printed when no -o; the salt in a proof comes from the data key, so the owner's account proves
    assert cli("records", "prove", 1, "p4", account=OWNER)["consent"] == "notAllowed"
    assert cli("records", "prove", 1, "p4", account=STRANGER, ok=False).startswith("no records tree")


def test_researcher_proves_from_a_fetched_copy(home, tmp_path):
    cli("access", "request", 1, "--purpose", "prove my records", account=RESEARCHER)
    cli("access", "grant", 1, RESEARCHER, account=OWNER)
    fetched = cli("dataset", "fetch", 1, "-o", tmp_path, account=RESEARCHER)
    saved = home / "records"
    shutil.move(saved, tmp_path / "hidden")  # a researcher's machine has no owner tree
    try:
        line = cli("records", "prove", 1, "p3", account=RESEARCHER, ok=False)
        assert line.startswith("no records tree of dataset 1 on this machine")
        doc = cli("records", "prove", 1, "p3", "--from", fetched["path"], "-o", tmp_path / "p3.json",
                  account=RESEARCHER)  # fmt: skip
        assert doc["consent"] == "constrained"
        assert cli("records", "verify", tmp_path / "p3.json")["recordId"] == "p3"
        # the owner needs no saved tree: the data is decrypted from the store with the owner's key
        assert cli("records", "prove", 1, "p5", account=OWNER)["recordId"] == "p5"
        other = tmp_path / "other.csv"
        other.write_text("id,age\np1,1\n")
        line = cli("records", "prove", 1, "p1", "--from", other, account=RESEARCHER, ok=False)
        assert line.endswith("not this dataset's data") and "(1 records)" in line
    finally:
        shutil.move(tmp_path / "hidden", saved)


@pytest.fixture(scope="module")
def proof(home, tmp_path_factory):
    path = tmp_path_factory.mktemp("proofs") / "p2.json"
    cli("records", "prove", 1, "p2", "-o", path, account=OWNER)
    return path


def _tampered(proof, tmp_path, change):
    doc = json.loads(proof.read_text())
    change(doc)
    path = tmp_path / "tampered.json"
    path.write_text(json.dumps(doc))
    return path


def test_a_tampered_record_is_rejected(home, proof, tmp_path):
    def flip_consent(doc):
        doc["values"][2] = "0"

    line = cli("records", "verify", _tampered(proof, tmp_path, flip_consent), ok=False)
    assert line.endswith("REJECTED, not a record of dataset 1: the record values do not hash to the proof's "
                         "leaf (the record was altered)")  # fmt: skip

    def new_hash(doc):  # a consistent forgery: leaf recomputed from the altered values
        doc["values"][1] = "0x" + "ab" * 32
        values = (bytes.fromhex(doc["values"][0][2:]), bytes(32 * [0xAB]), 1)
        doc["leaf"] = "0x" + leaf_hash(records.RECORD_LEAF_ENCODING, values).hex()

    line = cli("records", "verify", _tampered(proof, tmp_path, new_hash), ok=False)
    assert line.endswith("REJECTED, not a record of dataset 1: the record and its proof path do not lead to "
                         "the dataset's root (one of them was altered)")  # fmt: skip


def test_a_tampered_proof_is_rejected(home, proof, tmp_path):
    def forge(doc):
        doc["proof"][0] = "0x" + "11" * 32

    line = cli("records", "verify", _tampered(proof, tmp_path, forge), ok=False)
    assert line.endswith("do not lead to the dataset's root (one of them was altered)")

    def drop(doc):
        doc["proof"] = doc["proof"][:-1]

    assert "REJECTED" in cli("records", "verify", _tampered(proof, tmp_path, drop), ok=False)


def test_labels_that_disagree_with_the_values_and_the_chain_are_refused(home, proof, tmp_path):
    """Issue 17: before, changing only `recordId` printed VERIFIED for another record, and edited `leaf`
    and `root` fields were ignored. Everything printed must follow from the values and the chain."""
    doc = json.loads(proof.read_text())

    def other_id(d):
        d["recordId"] = "p3"

    line = cli("records", "verify", _tampered(proof, tmp_path, other_id), ok=False)
    assert line.startswith(f"bad proof file {tmp_path / 'tampered.json'}: recordKey says {doc['values'][0]}")
    assert "the key of recordId 'p3'" in line and line.endswith("the labels disagree")

    for field, value in (("leaf", "0x" + "22" * 32), ("root", "0x" + "33" * 32), ("version", 7),
                         ("consent", "notAllowed"), ("count", 99)):  # fmt: skip
        def edit(d, field=field, value=value):
            d[field] = value

        line = cli("records", "verify", _tampered(proof, tmp_path, edit), ok=False)
        assert line.startswith(f"bad proof file {tmp_path / 'tampered.json'}: {field} says {value}"), line
    # the untouched file still verifies, and what it prints is derived, not copied
    r = cli("records", "verify", proof)
    assert (r["recordId"], r["leaf"], r["root"], r["consent"]) == ("p2", doc["leaf"], doc["root"], "allowed")


def test_a_proof_against_the_wrong_dataset_is_rejected(home, proof, tmp_path):
    def retarget(doc):
        doc["datasetId"] = 2

    line = cli("records", "verify", _tampered(proof, tmp_path, retarget), ok=False)
    assert line.startswith(f"{tmp_path / 'tampered.json'}: REJECTED, not a record of dataset 2: the proof")
    assert line.endswith("(a proof for another dataset?)")

    def unknown(doc):
        doc["datasetId"] = 99

    line = cli("records", "verify", _tampered(proof, tmp_path, unknown), ok=False)
    assert line == "dataset 99 does not exist"


def test_malformed_proof_files_and_unknown_records(home, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert cli("records", "verify", bad, ok=False).startswith(f"bad proof file {bad}: not JSON")
    assert cli("records", "verify", tmp_path / "none.json", ok=False).startswith(f"bad proof file {tmp_path}")
    assert cli("records", "prove", 1, "p9", account=OWNER, ok=False) == "record 'p9' is not in dataset 1"
    plain = tmp_path / "weights.bin"
    plain.write_bytes(b"\x00\x01")
    d = cli("dataset", "register", plain, "--name", "blob", "--license", "CC0", account=OWNER)
    assert cli("records", "prove", d["id"], "p1", ok=False) == (
        f"dataset {d['id']} has no records root (only CSV and JSON Lines datasets have records)"
    )


def test_model_trained_before_the_withdrawal(home, tmp_path):
    weights = tmp_path / "m1.bin"
    weights.write_bytes(b"weights one")
    cli("model", "publish", "tumour", weights, "--dataset", 1, account=RESEARCHER)


def test_non_owner_cannot_withdraw_records_and_nothing_is_registered(home, tmp_path):
    before = registry().count()
    line = cli("dataset", "withdraw-records", 1, "p2", "-o", tmp_path, account=STRANGER, ok=False)
    assert line.endswith("is not the owner of dataset 1: only its owner can publish a version without some records")  # noqa: E501
    line = cli("dataset", "withdraw-records", 1, "p2", "p9", "-o", tmp_path, account=OWNER, ok=False)
    assert line == "record 'p9' is not in dataset 1"
    assert registry().count() == before and list(tmp_path.iterdir()) == []


def test_owner_withdraws_records_as_a_new_version(home, data, tmp_path_factory):
    out = tmp_path_factory.mktemp("v2")
    r = cli("dataset", "withdraw-records", 1, "p2", "p4", "-o", out, account=OWNER)
    assert r["predecessor"] == 1 and r["withdrawn"] == 2 and r["records"] == 3
    reduced = out / "patients.v2.csv"
    assert reduced.read_bytes() == (
        b"id,age,diagnosis,consent\r\np1,54,benign,allowed\r\np3,47,benign,constrained\r\np5,70,benign,yes\r\n"
    )
    old = owner_tree(data, 1)
    reg = registry()
    new_id = r["id"]
    assert reg.records_root(new_id) == (owner_tree(reduced, new_id).root, 3)
    assert reg.history(new_id) == [new_id, 1]
    (event,) = reg.events("RecordsWithdrawn", datasetId=new_id)
    gone = {old.tree.leaf_at(old.index_of(i)) for i in ("p2", "p4")}
    assert event["args"]["predecessor"] == 1 and {bytes(x) for x in event["args"]["leaves"]} == gone
    # the new version's content is the reduced data, encrypted; the owner fetches it back intact
    fetched = cli("dataset", "fetch", new_id, "-o", out / "fetched", account=OWNER)
    assert (out / "fetched" / "patients.csv").read_bytes() == reduced.read_bytes()
    assert fetched["sha256"] == "0x" + reg.get(new_id).content_hash.hex()
    meta = json.loads(LocalStore(home / "store").read_all(CID.decode(r["metadataCid"])))
    assert meta["withdrawnRecords"]["count"] == 2 and meta["isVersionOf"] == 1
    assert meta["name"] == "patients" and meta["dataMiningPreference"] == {"aiTraining": "allowed"}
    line = cli("dataset", "withdraw-records", 1, "p5", "-o", out / "again", account=OWNER, ok=False)
    assert line == (
        f"dataset 1 already has a later version ({new_id}): withdraw records from the latest version"
    )
    assert reg.count() == new_id and not (out / "again").exists()
    line = cli("records", "prove", new_id, "p2", account=OWNER, ok=False)
    assert line == f"record 'p2' is not in dataset {new_id}"
    assert cli("records", "prove", new_id, "p3", account=OWNER)["version"] == 2


def test_models_after_the_withdrawal_are_flagged(home, proof, tmp_path):
    new_id = registry().count()
    stale = tmp_path / "m2.bin"
    stale.write_bytes(b"weights two")
    cli("model", "publish", "tumour", stale, "--dataset", 1, account=RESEARCHER)
    cli("access", "request", new_id, "--purpose", "retrain", account=RESEARCHER)
    cli("access", "grant", new_id, RESEARCHER, account=OWNER)
    fresh = tmp_path / "m3.bin"
    fresh.write_bytes(b"weights three")
    cli("model", "publish", "tumour", fresh, "--dataset", new_id, account=RESEARCHER)

    r = cli("records", "verify", proof)
    assert [w["datasetId"] for w in r["withdrawnIn"]] == [new_id]
    assert [(m["number"], m["afterWithdrawal"]) for m in r["models"]] == [(1, False), (2, True)]

    flags = cli("audit", "dataset", 1)["flags"]
    assert [(f["model"], f["number"], f["withdrawnIn"], f["withdrawnRecords"]) for f in flags] == [
        ("tumour", 2, new_id, 2)
    ]
    assert "cites dataset 1 although 2 record(s) were withdrawn from it (consent)" in flags[0]["message"]
    assert cli("audit", "dataset", new_id)["flags"] == []
    model_flags = cli("audit", "model", "tumour")["flags"]
    assert [(f["number"], f["datasetId"]) for f in model_flags] == [(2, 1)]
    human = CliRunner().invoke(main, ["audit", "model", "tumour"])
    assert human.exit_code == 0 and "FLAG: model 'tumour' version 2" in human.stdout


def test_a_record_provable_in_the_new_version_reaches_only_the_fresh_model(home, tmp_path):
    new_id = registry().count()
    path = tmp_path / "p1.json"
    cli("records", "prove", new_id, "p1", "-o", path, account=OWNER)
    r = cli("records", "verify", path)
    assert r["version"] == 2 and r["history"] == [new_id, 1] and r["withdrawnIn"] == []
    assert [(m["number"], m["afterWithdrawal"]) for m in r["models"]] == [(3, False)]


def test_withdrawing_from_a_row_indexed_dataset_is_refused(home, tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text("age,score\n1,2\n3,4\n")
    d = cli("dataset", "register", path, "--name", "rows", "--license", "CC0", account=OWNER)
    before = registry().count()
    line = cli("dataset", "withdraw-records", d["id"], "0", "-o", tmp_path / "o", account=OWNER, ok=False)
    assert line.startswith(f"dataset {d['id']} keys its records by row index (no id field)")
    assert registry().count() == before


def test_large_trees_are_not_saved_and_proofs_rebuild_from_the_data(home, tmp_path, monkeypatch):
    from aitrail.flows import datasets

    monkeypatch.setattr(datasets, "SAVED_TREE_MAX_RECORDS", 2)
    small, large = tmp_path / "small.csv", tmp_path / "large.csv"
    small.write_text("id,v\ns1,1\ns2,2\n")
    large.write_text("id,v\nl1,1\nl2,2\nl3,3\n")
    for path in (small, large):
        cli("dataset", "register", path, "--name", path.stem, "--license", "CC0", account=OWNER)
    saved = {p.name for p in (home / "records").iterdir()}
    assert f"{_sha256(small)}.json" in saved
    assert f"{_sha256(large)}.json" not in saved
    large_id = registry().id_of(bytes.fromhex(_sha256(large)))
    doc = cli("records", "prove", large_id, "l3", account=OWNER)  # decrypted from the store
    assert doc["root"] == "0x" + owner_tree(large, large_id).root.hex()


def _sha256(path):
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_json_lines_withdrawal_keeps_the_other_lines_byte_for_byte(home, tmp_path):
    path = tmp_path / "notes.jsonl"
    lines = ['{"id": 1, "text": "x"}\n', "\n", '{"text": "y",   "id": 2}\n', '{"id": "3", "text": "z"}']
    path.write_text("".join(lines))
    d = cli("dataset", "register", path, "--name", "jl", "--license", "CC0", account=OWNER)
    r = cli("dataset", "withdraw-records", d["id"], "2", "-o", tmp_path / "out", account=OWNER)
    reduced = tmp_path / "out" / "notes.v2.jsonl"
    assert r["path"] == str(reduced) and r["records"] == 2
    assert reduced.read_text() == lines[0] + lines[1] + lines[3]
    assert registry().records_root(r["id"]) == (owner_tree(reduced, r["id"]).root, 2)
