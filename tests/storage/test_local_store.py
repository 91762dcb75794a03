"""The embedded store: add, get, has, pin, list; every read verified; CAR export and import."""

import os

import pytest

from aitrail.car import CarReader, encode_header, write_car
from aitrail.cid import CID
from aitrail.errors import BlockCorruptedError, BlockNotFoundError, CarFormatError
from aitrail.storage import LocalStore
from aitrail.unixfs import CHUNK_SIZE, add_bytes


def _flip_byte(path, offset=-1):
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def test_add_bytes_gives_kubo_cid_and_cat_returns_the_bytes(store):
    cid = store.add_bytes(b"hello world\n")
    assert str(cid) == "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"
    assert store.read_all(cid) == b"hello world\n"
    assert store.has(cid)
    assert cid in store.pins()


def test_multi_level_file_round_trips_v0_and_v1(store):
    data = os.urandom(3 * CHUNK_SIZE + 17)
    for version in (0, 1):
        cid = store.add_bytes(data, version)
        assert cid == add_bytes(data, version).cid
        assert store.read_all(cid) == data


def test_add_file_and_directory(store, corpus, oracle):
    assert store.add_file(corpus / "size-262145") == oracle["entries"]["size-262145"]
    assert store.add_path(corpus, hidden=True) == oracle["root"]
    nested = oracle["entries"]["sub/deeper/x"]
    assert store.read_all(nested) == b"x" * 1000


def test_corrupted_block_is_reported_by_cid_never_returned(store):
    data = os.urandom(2 * CHUNK_SIZE)
    cid = store.add_bytes(data)
    leaf = next(c for c, _ in store.walk(cid) if c != cid)
    _flip_byte(store._path(leaf))
    with pytest.raises(BlockCorruptedError, match=f"block {leaf} is corrupted"):
        store.read_all(cid)
    with pytest.raises(BlockCorruptedError):
        store.get_block(leaf)


def test_missing_block_is_reported_by_cid(store):
    cid = store.add_bytes(os.urandom(2 * CHUNK_SIZE), 1)
    leaf = [c for c, _ in store.walk(cid)][-1]
    store.delete_block(leaf)
    assert not store.has(leaf)
    with pytest.raises(BlockNotFoundError, match=f"block {leaf} not found"):
        list(store.cat(cid))
    with pytest.raises(BlockNotFoundError):
        store.pin(cid)


def test_put_block_refuses_bytes_that_do_not_match(store):
    cid = add_bytes(b"right").cid
    with pytest.raises(BlockCorruptedError):
        store.put_block(cid, b"wrong")
    assert not store.has(cid)


def test_pin_unpin_and_list(store):
    a = store.add_bytes(b"a", pin=False)
    b = store.add_bytes(b"b")
    assert store.pins() == [b]
    store.pin(a)
    assert set(store.pins()) == {a, b}
    store.unpin(b)
    assert store.pins() == [a]


def test_car_round_trip_into_a_fresh_store_keeps_cids(store, tmp_path, corpus):
    root = store.add_path(corpus / "sub", hidden=True)
    big = store.add_bytes(os.urandom(5 * CHUNK_SIZE), 1)
    car = tmp_path / "sub.car"
    count = store.export_car(root, car)
    assert count == len(list(store.walk(root)))

    fresh = LocalStore(tmp_path / "fresh")
    assert fresh.import_car(car) == [root]
    assert fresh.pins() == [root]
    assert [c for c, _ in fresh.walk(root)] == [c for c, _ in store.walk(root)]

    car_v1 = tmp_path / "big.car"
    store.export_car(big, car_v1)
    assert fresh.import_car(car_v1) == [big]
    assert fresh.read_all(big) == store.read_all(big)


def test_car_header_is_dag_cbor_with_roots_then_version():
    cid = CID.decode("QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o")
    header = encode_header([cid])
    assert header.startswith(b"\xa2\x65roots\x81\xd8\x2a\x58\x23\x00" + bytes(cid))
    assert header.endswith(b"\x67version\x01")


def test_car_with_a_tampered_block_is_refused(store, tmp_path):
    cid = store.add_bytes(os.urandom(CHUNK_SIZE + 5))
    car = tmp_path / "x.car"
    store.export_car(cid, car)
    _flip_byte(car, -3)
    fresh = LocalStore(tmp_path / "fresh")
    with pytest.raises(CarFormatError, match="does not match its CID"):
        fresh.import_car(car)


def test_truncated_car_is_refused(store, tmp_path):
    cid = store.add_bytes(os.urandom(CHUNK_SIZE + 5))
    car = tmp_path / "x.car"
    store.export_car(cid, car)
    car.write_bytes(car.read_bytes()[:-10])
    with pytest.raises(CarFormatError, match="truncated"):
        LocalStore(tmp_path / "fresh").import_car(car)


def test_missing_car_file_is_one_error(tmp_path, store):
    with pytest.raises(CarFormatError, match="No such file"):
        store.import_car(tmp_path / "none.car")


def test_car_reader_reads_what_write_car_wrote(tmp_path):
    blocks = [(add_bytes(b"one", 1).cid, b"one"), (add_bytes(b"two", 1).cid, b"two")]
    path = tmp_path / "two.car"
    with open(path, "wb") as f:
        write_car(f, [blocks[0][0]], blocks)
    with open(path, "rb") as f:
        reader = CarReader(f)
        assert reader.roots == [blocks[0][0]]
        assert list(reader) == blocks
