"""The Kubo RPC backend against the stand-in server (kubo_rpc_server.py): success and error answers."""

import json
import os
import socket

import pytest
import requests

from aitrail.errors import BlockCorruptedError, BlockNotFoundError, KuboApiError, KuboUnreachableError
from aitrail.storage import KuboStore
from aitrail.unixfs import CHUNK_SIZE, add_bytes


def test_version(kubo):
    assert kubo.version() == "0.32.1"


def test_add_returns_kubo_cid_and_pins(kubo):
    cid = kubo.add_bytes(b"hello world\n")
    assert str(cid) == "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"
    assert cid in kubo.pins()
    assert kubo.has(cid)


def test_add_large_file_streams_and_cat_verifies(kubo, corpus, oracle):
    cid = kubo.add_file(corpus / "chunks-175")
    assert cid == oracle["entries"]["chunks-175"]
    data = (corpus / "chunks-175").read_bytes()
    assert kubo.read_all(cid) == data
    assert b"".join(kubo.cat_raw(cid)) == data


def test_add_v1(kubo):
    data = os.urandom(CHUNK_SIZE * 2)
    assert kubo.add_bytes(data, cid_version=1) == add_bytes(data, 1).cid


def test_add_answer_is_kubo_ndjson(kubo_server):
    body = (b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="h.txt"\r\n\r\n'
            b"hello world\n\r\n--XyZ--\r\n")
    resp = requests.post(f"{kubo_server.api_url}/api/v0/add", data=body,
                         headers={"Content-Type": "multipart/form-data; boundary=XyZ"})
    assert resp.status_code == 200
    expected = {"Name": "h.txt", "Hash": "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o", "Size": "20"}
    assert json.loads(resp.text.strip()) == expected


def test_unknown_block_is_block_not_found(kubo):
    missing = add_bytes(b"never added").cid
    assert not kubo.has(missing)
    with pytest.raises(BlockNotFoundError, match=str(missing)):
        kubo.get_block(missing)


def test_node_returning_bad_bytes_is_caught(kubo, kubo_server):
    cid = kubo.add_bytes(os.urandom(CHUNK_SIZE + 1))
    leaf = [c for c, _ in kubo.walk(cid)][-1]
    path = kubo_server.store._path(leaf)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(BlockCorruptedError, match=f"block {leaf} is corrupted"):
        kubo.read_all(cid)


def test_error_body_becomes_kubo_api_error(kubo):
    with pytest.raises(KuboApiError) as info:
        kubo._post("pin/ls", {"arg": str(add_bytes(b"not pinned").cid)})
    assert info.value.status == 500
    assert "is not pinned" in str(info.value)
    assert str(info.value).startswith("IPFS (Kubo) pin/ls failed (HTTP 500): path '")


def test_missing_argument_is_http_400_code_1(kubo):
    with pytest.raises(KuboApiError) as info:
        kubo._post("cat")
    assert (info.value.status, info.value.code) == (400, 1)
    assert info.value.kubo_message == 'argument "ipfs-path" is required'


def test_pin_of_unknown_cid_fails_clearly(kubo):
    with pytest.raises(KuboApiError, match=r"pin/add failed .* could not find"):
        kubo.pin(add_bytes(b"absent").cid)


def test_unreachable_api_is_one_clear_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    store = KuboStore(f"http://127.0.0.1:{port}")
    expected = f"unreachable at http://127.0.0.1:{port}: connection refused"
    with pytest.raises(KuboUnreachableError, match=expected.replace(".", r"\.")):
        store.version()


def test_get_is_405_like_kubo(kubo_server):
    assert requests.get(f"{kubo_server.api_url}/api/v0/version").status_code == 405


def test_car_exported_locally_imports_into_kubo_with_same_cids(store, kubo, tmp_path, corpus):
    root = store.add_path(corpus / "sub", hidden=True)
    car = tmp_path / "sub.car"
    store.export_car(root, car)
    assert kubo.import_car(car) == [root]
    assert root in kubo.pins()
    assert [c for c, _ in kubo.walk(root)] == [c for c, _ in store.walk(root)]


def test_bad_car_is_rejected_by_dag_import(kubo, tmp_path):
    car = tmp_path / "junk.car"
    car.write_bytes(b"\x05hello")
    with pytest.raises(KuboApiError, match="dag/import failed"):
        kubo.import_car(car)
