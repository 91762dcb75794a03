"""The fetch path: verified blocks, decryption, content-hash check, atomic write, nothing left on failure."""

import hashlib
import io
import os

import pytest

from aitrail.crypto import EncryptingReader, generate_data_key
from aitrail.errors import BlockCorruptedError, BlockNotFoundError, ContentHashMismatchError, DecryptionError
from aitrail.fetch import fetch
from aitrail.unixfs import CHUNK_SIZE

PLAIN = os.urandom(3 * CHUNK_SIZE + 1234)
SHA = hashlib.sha256(PLAIN).digest()


@pytest.fixture
def encrypted(store):
    key = generate_data_key()
    cid = store.add_stream(EncryptingReader(key, io.BytesIO(PLAIN)))
    return cid, key


def _leftovers(directory):
    return sorted(p.name for p in directory.iterdir())


def test_fetch_decrypts_and_checks_hash(store, encrypted, tmp_path):
    cid, key = encrypted
    out = tmp_path / "out" / "data.bin"
    out.parent.mkdir()
    result = fetch(store, cid, out, expected_sha256=SHA, data_key=key)
    assert out.read_bytes() == PLAIN
    assert (result.size, result.sha256) == (len(PLAIN), SHA)
    assert _leftovers(out.parent) == ["data.bin"]


def test_fetch_plain_data_with_hex_hash(store, tmp_path):
    cid = store.add_bytes(PLAIN, 1)
    result = fetch(store, str(cid), tmp_path / "p", expected_sha256="0x" + SHA.hex())
    assert result.path.read_bytes() == PLAIN


@pytest.fixture
def target(tmp_path):
    d = tmp_path / "target"
    d.mkdir()
    return d / "data.bin"


def test_one_flipped_byte_in_any_block_is_detected(store, encrypted, target):
    cid, key = encrypted
    for block_cid, _ in list(store.walk(cid)):
        path = store._path(block_cid)
        original = path.read_bytes()
        damaged = bytearray(original)
        damaged[len(damaged) // 2] ^= 0x10
        path.write_bytes(bytes(damaged))
        with pytest.raises(BlockCorruptedError, match=str(block_cid)):
            fetch(store, cid, target, expected_sha256=SHA, data_key=key)
        path.write_bytes(original)
        assert _leftovers(target.parent) == []


def test_missing_block_leaves_nothing(store, encrypted, target):
    cid, key = encrypted
    last = [c for c, _ in store.walk(cid)][-1]
    store.delete_block(last)
    with pytest.raises(BlockNotFoundError, match=str(last)):
        fetch(store, cid, target, data_key=key)
    assert _leftovers(target.parent) == []


def test_wrong_key_leaves_nothing_and_keeps_an_existing_file(store, encrypted, target):
    cid, _ = encrypted
    target.write_bytes(b"previous version")
    with pytest.raises(DecryptionError, match="wrong key"):
        fetch(store, cid, target, expected_sha256=SHA, data_key=generate_data_key())
    assert target.read_bytes() == b"previous version"
    assert _leftovers(target.parent) == ["data.bin"]


def test_tampered_ciphertext_stored_under_its_own_cid_fails_decryption(store, encrypted, target):
    # An attacker who re-adds modified ciphertext gets a valid DAG with a new CID: the AEAD catches it.
    cid, key = encrypted
    blob = bytearray(store.read_all(cid))
    blob[CHUNK_SIZE + 7] ^= 1
    forged = store.add_bytes(bytes(blob))
    with pytest.raises(DecryptionError, match="modified"):
        fetch(store, forged, target, expected_sha256=SHA, data_key=key)
    assert _leftovers(target.parent) == []


def test_truncated_ciphertext_fails(store, encrypted, target):
    cid, key = encrypted
    blob = store.read_all(cid)
    short = store.add_bytes(blob[: len(blob) // 2])
    with pytest.raises(DecryptionError, match="truncated"):
        fetch(store, short, target, data_key=key)
    assert _leftovers(target.parent) == []


def test_content_hash_mismatch_is_reported(store, encrypted, target):
    cid, key = encrypted
    wrong = hashlib.sha256(b"other").digest()
    with pytest.raises(ContentHashMismatchError, match=f"expected {wrong.hex()}"):
        fetch(store, cid, target, expected_sha256=wrong, data_key=key)
    assert _leftovers(target.parent) == []


def test_fetch_through_kubo_backend(kubo, encrypted, store, target):
    cid, key = encrypted
    assert kubo.add_stream(EncryptingReader(key, io.BytesIO(PLAIN))) != cid  # fresh file id, new CID
    kubo_cid = kubo.add_bytes(store.read_all(cid))
    assert kubo_cid == cid
    fetch(kubo, cid, target, expected_sha256=SHA, data_key=key)
    assert target.read_bytes() == PLAIN


def test_progress_bar_on_request(store, target, capsys):
    cid = store.add_bytes(PLAIN)
    fetch(store, cid, target, expected_sha256=SHA, show_progress=True)
    assert "fetch" in capsys.readouterr().err
