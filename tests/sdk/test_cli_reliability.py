"""Issue 17: nothing lost, nothing half-done, no plaintext left behind. The CLI on the embedded default
(its own Anvil under a private home, the local store), with the faults injected for real where the
machine can: the chain stopped in the middle of an upload, a register refused for lack of funds.

Tests share one chain and run in file order.
"""

import hashlib
import json
import os
import stat
from pathlib import Path

import pytest
from web3 import Web3

from aitrail.chain.contracts import DatasetRegistryClient
from aitrail.chain.local import LocalChain
from aitrail.cid import CID
from aitrail.crypto import EncryptingReader, generate_data_key
from aitrail.errors import ChainUnreachableError
from aitrail.storage.local import LocalStore
from tests.cli_support import cli, private_home

OWNER, RESEARCHER = "anvil1", "anvil2"


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    with private_home(tmp_path_factory.mktemp("reliability-home")) as root:
        cli("deploy")
        yield root


def _store(home):
    return LocalStore(home / "store")


def _blocks(home):
    return sorted(p.name for p in (home / "store" / "blocks").rglob("*") if p.is_file())


def _pins(home):
    return sorted(p.name for p in (home / "store" / "pins").iterdir())


def test_an_upload_left_by_one_account_is_not_reused_by_another(home, tmp_path, monkeypatch):
    monkeypatch.setenv("AITRAIL_PASSWORD_POOR", "pw")
    cli("account", "new", "poor")  # no ETH: its register fails after the upload
    data = tmp_path / "shared.csv"
    data.write_text("id,v\ns1,1\ns2,2\n")
    args = ("dataset", "register", data, "--name", "shared", "--license", "CC0")
    assert "cannot pay for" in cli(*args, account="poor", ok=False)

    r = cli(*args, account=OWNER)

    assert r["reusedUpload"] is False
    meta = json.loads(_store(home).read_all(CID.decode(r["metadataCid"])))
    owner = cli("dataset", "show", r["id"])["owner"]
    assert meta["creator"] == owner
    # The owner key is wrapped for the owner: it can fetch (and so grant) its own dataset.
    cli("dataset", "fetch", r["id"], "-o", tmp_path / "out", account=OWNER)
    assert (tmp_path / "out" / "shared.csv").read_bytes() == data.read_bytes()


def test_a_journal_entry_naming_this_owner_is_still_checked_before_reuse(home, tmp_path, monkeypatch):
    monkeypatch.setenv("AITRAIL_PASSWORD_POOR", "pw")
    data = tmp_path / "forged.csv"
    data.write_text("id,v\nf1,1\n")
    args = ("dataset", "register", data, "--name", "forged", "--license", "CC0")
    assert "cannot pay for" in cli(*args, account="poor", ok=False)
    (entry,) = (home / "uploads").rglob(f"{hashlib.sha256(data.read_bytes()).hexdigest()}.json")
    upload = json.loads(entry.read_text())
    owner = Web3.to_checksum_address(cli("dataset", "show", 1)["owner"])
    # Poor's entry, relabelled as the owner's: the owner and key fields agree, the upload does not.
    upload["owner"] = owner
    forged = entry.parent.parent / owner.lower() / entry.name
    forged.parent.mkdir(parents=True, exist_ok=True)
    forged.write_text(json.dumps(upload))

    r = cli(*args, account=OWNER)

    assert r["reusedUpload"] is False
    assert json.loads(_store(home).read_all(CID.decode(r["metadataCid"])))["creator"] == owner


def test_the_chain_stopping_mid_upload_leaves_a_resumable_upload_not_an_orphan(
    home, tmp_path, monkeypatch
):
    data = tmp_path / "big.bin"
    data.write_bytes(os.urandom(700_000))  # several chunks: a real DAG
    real_add = LocalStore.add_stream

    def add_then_stop_the_chain(self, *args, **kwargs):
        cid = real_add(self, *args, **kwargs)
        LocalChain(home).stop()  # the embedded chain goes away while the command is uploading
        return cid

    monkeypatch.setattr(LocalStore, "add_stream", add_then_stop_the_chain)
    args = ("dataset", "register", data, "--name", "big", "--license", "CC0")
    line = cli(*args, account=OWNER, ok=False)
    monkeypatch.undo()
    assert "chain" in line
    assert cli("store", "gc")["orphans"] == []  # the journal still references the upload
    blocks = _blocks(home)

    r = cli(*args, account=OWNER)

    assert r["reusedUpload"] is True
    assert _blocks(home) == blocks  # uploaded once
    assert cli("store", "gc")["orphans"] == []


def test_a_register_failing_before_its_journal_is_written_discards_its_blocks(
    home, tmp_path, monkeypatch
):
    import aitrail.flows.datasets as datasets

    data = tmp_path / "discarded.bin"
    data.write_bytes(os.urandom(600_000))
    blocks, pins = _blocks(home), _pins(home)

    def metadata_fails(*args, **kwargs):
        raise ChainUnreachableError("http://127.0.0.1", "connection reset")

    monkeypatch.setattr(datasets, "add_json", metadata_fails)
    line = cli("dataset", "register", data, "--name", "d", "--license", "CC0", account=OWNER, ok=False)
    assert line == "chain unreachable at http://127.0.0.1: connection reset"
    assert _blocks(home) == blocks and _pins(home) == pins


def _count_opens(monkeypatch):
    """Every time the register flow opens its source (a pass over the file), appended to a list."""
    import dataclasses

    import aitrail.flows.datasets as datasets

    opened = []
    real = datasets.source_of

    def counted(path):
        source = real(path)

        def open_counted():
            opened.append(path)
            return source.open()

        return dataclasses.replace(source, open=open_counted)

    monkeypatch.setattr(datasets, "source_of", counted)
    return opened


def test_a_first_register_reads_the_file_once_and_a_rerun_finds_it_without_uploading(
    home, tmp_path, monkeypatch
):
    data = tmp_path / "once.bin"
    data.write_bytes(os.urandom(900_000))
    opened = _count_opens(monkeypatch)
    args = ("dataset", "register", data, "--name", "once", "--license", "CC0")

    first = cli(*args, account=OWNER)

    assert len(opened) == 1  # hashed, encrypted and stored in one pass
    assert first["alreadyRegistered"] is False
    blocks = _blocks(home)
    opened.clear()

    again = cli(*args, account=OWNER)

    assert len(opened) == 1  # the stat note: hashed first, found registered, nothing uploaded
    assert again["alreadyRegistered"] is True and again["id"] == first["id"]
    assert _blocks(home) == blocks


def test_a_rerun_that_uploads_again_keeps_one_upload(home, tmp_path, monkeypatch):
    """Without the note (the file touched, so its stat changed) the one pass uploads again before the
    content hash is known; the copy is discarded once the registration is found."""
    data = tmp_path / "touched.bin"
    data.write_bytes(os.urandom(700_000))
    args = ("dataset", "register", data, "--name", "touched", "--license", "CC0")
    first = cli(*args, account=OWNER)
    blocks = _blocks(home)
    os.utime(data, ns=(1, 1))

    again = cli(*args, account=OWNER)

    assert again["alreadyRegistered"] is True and again["cid"] == first["cid"]
    assert _blocks(home) == blocks
    assert cli("store", "gc")["orphans"] == []


def test_content_another_owner_registered_is_refused_and_its_upload_discarded(home, tmp_path):
    data = tmp_path / "theirs.bin"
    data.write_bytes(os.urandom(500_000))
    args = ("dataset", "register", data, "--name", "theirs", "--license", "CC0")
    first = cli(*args, account=OWNER)
    blocks = _blocks(home)

    line = cli(*args, account=RESEARCHER, ok=False)

    owner = cli("dataset", "show", first["id"])["owner"]
    assert line.lower() == f"this content is already registered as dataset {first['id']} by {owner}".lower()
    assert _blocks(home) == blocks
    assert cli("store", "gc")["orphans"] == []


def test_store_gc_lists_orphans_with_sizes_and_deletes_them_only_when_asked(home, tmp_path):
    store = _store(home)
    # Stand-ins for what a SIGKILLed register leaves: an encrypted upload, pinned, that nothing
    # references, and the blocks of one killed before its pin was written.
    pinned = store.add_stream(EncryptingReader(generate_data_key(), open_random(tmp_path, 500_000)))
    unpinned = store.add_stream(
        EncryptingReader(generate_data_key(), open_random(tmp_path, 300_000)), pin=False
    )
    sizes = {str(c): sum(len(b) for _, b in store.walk(c)) for c in (pinned, unpinned)}
    in_use = cli("dataset", "show", 1)
    blocks = _blocks(home)

    dry = cli("store", "gc")

    assert {o["cid"]: o["size"] for o in dry["orphans"]} == {
        str(pinned.to_v1()): sizes[str(pinned)],
        str(unpinned.to_v1()): sizes[str(unpinned)],
    }
    assert dry["applied"] is False and dry["bytes"] == sum(sizes.values())
    assert _blocks(home) == blocks  # a dry run deletes nothing

    applied = cli("store", "gc", "--yes")

    assert applied["applied"] is True and len(applied["orphans"]) == 2
    assert not store.has(pinned) and not store.has(unpinned)
    assert str(pinned) not in _pins(home)
    assert cli("store", "gc")["orphans"] == []
    # Everything registered is intact: shown, and fetched (all its blocks re-hashed on the way).
    assert cli("dataset", "show", 1) == in_use
    for dataset in cli("dataset", "list"):
        cli("dataset", "fetch", dataset["id"], "-o", tmp_path / f"after-gc-{dataset['id']}", account=OWNER)


def open_random(tmp_path, size):
    path = tmp_path / f"random-{size}"
    path.write_bytes(os.urandom(size))
    return path.open("rb")


def _private_files(home):
    kept = ("uploads", "records", "keystores")
    return [p for p in home.rglob("*") if p.is_file() and p.parts[len(home.parts)] in kept]


def _holding(home, secret):
    return [p for p in home.rglob("*") if p.is_file() and secret in p.read_bytes()]


def test_a_directory_register_leaves_no_plaintext_whether_it_fails_or_succeeds(
    home, tmp_path, monkeypatch
):
    secret = os.urandom(32).hex().encode()  # appears in the tar verbatim, and nowhere else
    folder = tmp_path / "scans"
    (folder / "images").mkdir(parents=True)
    (folder / "images" / "a.txt").write_bytes(b"patient scan " + secret)
    (folder / "labels.txt").write_text("a cat\n")
    args = ("dataset", "register", folder, "--name", "scans", "--license", "CC0")

    def chain_gone(self, *a, **k):
        raise ChainUnreachableError("http://127.0.0.1", "connection reset")

    monkeypatch.setattr(DatasetRegistryClient, "register", chain_gone)
    cli(*args, account=OWNER, ok=False)
    monkeypatch.undo()
    assert _holding(home, secret) == [] and not (home / "packed").exists()

    r = cli(*args, account=OWNER)

    assert r["reusedUpload"] is True
    assert _holding(home, secret) == [] and not (home / "packed").exists()
    fetched = cli("dataset", "fetch", r["id"], "-o", tmp_path / "out", account=OWNER)
    assert secret in Path(fetched["path"]).read_bytes()  # the data is all there, encrypted in the store
    assert stat.S_IMODE(os.stat(fetched["path"]).st_mode) == 0o600


def test_files_the_cli_writes_with_data_are_owner_only(home, tmp_path):
    data = tmp_path / "consent.csv"
    data.write_text("id,v\nc1,1\nc2,2\nc3,3\n")
    r = cli("dataset", "register", data, "--name", "consent", "--license", "CC0", account=OWNER)
    reduced = cli("dataset", "withdraw-records", r["id"], "c2", "-o", tmp_path / "reduced", account=OWNER)
    proof = tmp_path / "proof.json"
    cli("records", "prove", r["id"], "c1", "-o", proof, account=OWNER)
    cli("access", "request", r["id"], "--purpose", "signed", account=RESEARCHER)
    signed = tmp_path / "grant.json"
    cli("access", "sign", r["id"], RESEARCHER, "-o", signed, account=OWNER)
    written = [reduced["path"], proof, signed, *_private_files(home)]
    assert any("records" in str(p) for p in written) and any("keystores" in str(p) for p in written)
    modes = {str(p): oct(stat.S_IMODE(os.stat(p).st_mode)) for p in written}
    assert modes == {str(p): "0o600" for p in written}


def test_store_gc_keeps_the_wrapped_key_of_a_grant_signed_but_not_yet_submitted(home, tmp_path):
    cli("access", "request", 1, "--purpose", "signed, submitted later", account=RESEARCHER)
    signed = tmp_path / "grant.json"
    cli("access", "sign", 1, RESEARCHER, "-o", signed, account=OWNER)  # its key is named only in the file
    cli("store", "gc", "--yes")
    cli("access", "submit", signed, account=RESEARCHER)
    fetched = cli("dataset", "fetch", 1, "-o", tmp_path / "out", account=RESEARCHER)
    assert Path(fetched["path"]).name == "shared.csv"


def test_a_second_home_labels_what_it_cannot_read(home, tmp_path):
    cli("access", "request", 1, "--purpose", "survival analysis", account=RESEARCHER)
    second = tmp_path / "second"
    (second / "deployments").mkdir(parents=True)
    for book in (home / "deployments").glob("*.json"):
        (second / "deployments" / book.name).write_bytes(book.read_bytes())
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AITRAIL_HOME", str(second))
        mp.setenv("AITRAIL_RPC_URL", LocalChain(home).url)
        (row,) = cli("access", "requests", 1, account=OWNER)
        listed = cli("dataset", "list")
    assert row["purpose"].startswith("(text not in this store; its sha256 is 0x")
    assert all(d["name"] is None for d in listed)  # the list still lists; `show` says why (see the table)


def test_store_gc_refuses_a_home_whose_store_serves_a_second_chain(home):
    other = home / "deployments" / "11155111.json"
    other.write_text("{}")
    try:
        line = cli("store", "gc", ok=False)
    finally:
        other.unlink()
    assert line.startswith("this home's store also holds data of chain(s) 11155111")
