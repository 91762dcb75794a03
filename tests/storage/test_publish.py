"""publish_file: one pass from plaintext to stored ciphertext, and back through fetch()."""

import hashlib
import os

import pytest

from aitrail.crypto import generate_data_key
from aitrail.errors import ImportInputError
from aitrail.fetch import fetch
from aitrail.publish import publish_file
from aitrail.unixfs import CHUNK_SIZE


@pytest.fixture
def plain_file(tmp_path):
    path = tmp_path / "records.csv"
    path.write_bytes(os.urandom(2 * CHUNK_SIZE + 99))
    return path


def test_publish_then_fetch_round_trip(store, plain_file, tmp_path):
    key = generate_data_key()
    pub = publish_file(store, plain_file, key)
    data = plain_file.read_bytes()
    assert pub.sha256 == hashlib.sha256(data).digest()
    assert pub.size == len(data)
    stored = store.read_all(pub.cid)
    assert len(stored) == pub.stored_size
    assert data[:64] not in stored  # ciphertext only in the store
    out = fetch(store, pub.cid, tmp_path / "back.csv", expected_sha256=pub.sha256, data_key=key)
    assert out.path.read_bytes() == data


def test_publish_unencrypted_gives_the_plain_kubo_cid(store, plain_file):
    from aitrail.unixfs import add_path

    pub = publish_file(store, plain_file, None, cid_version=1)
    assert pub.cid == add_path(plain_file, 1).cid


def test_publish_to_kubo_backend(kubo, plain_file, tmp_path):
    key = generate_data_key()
    pub = publish_file(kubo, plain_file, key)
    out = fetch(kubo, pub.cid, tmp_path / "k.csv", expected_sha256=pub.sha256, data_key=key)
    assert out.sha256 == pub.sha256


def test_publish_a_directory_is_refused_clearly(store, tmp_path):
    with pytest.raises(ImportInputError, match="not a file"):
        publish_file(store, tmp_path, generate_data_key())
