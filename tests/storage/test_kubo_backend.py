"""The Kubo RPC backend against a real IPFS node (js-ipfs, the session's `ipfs_node`), and against the
STAND-IN server (kubo_rpc_server.py) only where a real node cannot be made to misbehave or to answer
with Kubo's own strings."""

import json
import os
import socket

import pytest
import requests

from aitrail.errors import BlockCorruptedError, BlockNotFoundError, KuboApiError, KuboUnreachableError
from aitrail.storage import KuboStore
from aitrail.storage.kubo import node_cid, node_size
from aitrail.unixfs import CHUNK_SIZE, add_bytes, add_path

# --- the real node ---------------------------------------------------------------------------------


def test_version_is_the_real_js_ipfs(kubo):
    assert kubo.version() == "0.18.1"


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


def test_add_v1_is_base32_and_matches_the_importer(kubo):
    data = os.urandom(CHUNK_SIZE * 2)
    cid = kubo.add_bytes(data, cid_version=1)
    assert cid == add_bytes(data, 1).cid
    assert str(cid).startswith("bafybei")
    assert kubo.read_all(cid) == data


def test_small_v1_document_is_one_raw_block_and_pinned(kubo):
    cid = kubo.add_bytes(b'{"name": "small"}', cid_version=1)
    assert str(cid).startswith("bafkrei")
    assert cid in kubo.pins()  # js-ipfs lists it base58btc (z...): parsed back to the same CID
    assert kubo.block_size(cid) == len(b'{"name": "small"}')


def test_js_ipfs_prints_cidv1_base58btc_unless_asked(ipfs_node):
    files = {"file": ("d", b"base test", "application/octet-stream")}
    resp = requests.post(f"{ipfs_node.api_url}/api/v0/add", params={"cid-version": "1"}, files=files)
    answer = resp.json()
    assert answer["Hash"].startswith("z")  # the difference the client asks around with cid-base=base32
    assert isinstance(answer["Size"], int)  # Kubo sends a string
    assert node_cid(answer["Hash"]) == add_bytes(b"base test", 1).cid


def test_js_ipfs_refuses_a_part_without_content_type(ipfs_node):
    body = (b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="h.txt"\r\n\r\n'
            b"hello world\n\r\n--XyZ--\r\n")
    resp = requests.post(f"{ipfs_node.api_url}/api/v0/add", data=body,
                         headers={"Content-Type": "multipart/form-data; boundary=XyZ"})
    assert resp.status_code == 500
    assert resp.json()["Message"] == "No content-type in multipart part"


def test_unknown_block_is_block_not_found_not_a_hang(kubo):
    missing = add_bytes(b"never added").cid
    assert not kubo.has(missing)
    assert kubo.block_size(missing) is None
    with pytest.raises(BlockNotFoundError, match=str(missing)):
        kubo.get_block(missing)


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


def test_pin_of_unknown_cid_fails_clearly(kubo):
    with pytest.raises(KuboApiError, match=r"pin/add failed \(HTTP 500\): .*timed out"):
        kubo.pin(add_bytes(b"absent").cid)


def test_get_is_405_like_kubo(ipfs_node):
    assert requests.get(f"{ipfs_node.api_url}/api/v0/version").status_code == 405


def test_car_exported_locally_imports_into_kubo_with_same_cids(store, kubo, tmp_path, corpus):
    root = store.add_path(corpus / "sub", hidden=True)
    car = tmp_path / "sub.car"
    store.export_car(root, car)
    assert kubo.import_car(car) == [root]
    assert root in kubo.pins()
    assert [c for c, _ in kubo.walk(root)] == [c for c, _ in store.walk(root)]


def test_directory_is_added_with_the_importers_cid(kubo, corpus):
    root = kubo.add_path(corpus / "sub" / "deeper")
    assert root == add_path(corpus / "sub" / "deeper").cid
    assert root in kubo.pins()
    assert kubo.has(root)


def test_bad_car_is_rejected_by_dag_import(kubo, tmp_path):
    car = tmp_path / "junk.car"
    car.write_bytes(b"\x05hello")
    with pytest.raises(KuboApiError, match="dag/import failed"):
        kubo.import_car(car)


def test_unreachable_api_is_one_clear_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    store = KuboStore(f"http://127.0.0.1:{port}")
    expected = f"unreachable at http://127.0.0.1:{port}: connection refused"
    with pytest.raises(KuboUnreachableError, match=expected.replace(".", r"\.")):
        store.version()


def test_size_is_read_as_a_number_or_a_string():
    assert node_size(20) == node_size("20") == 20


# --- the stand-in: error injection and Kubo's own strings ------------------------------------------


def test_node_returning_bad_bytes_is_caught(kubo_standin, kubo_server):
    cid = kubo_standin.add_bytes(os.urandom(CHUNK_SIZE + 1))
    leaf = [c for c, _ in kubo_standin.walk(cid)][-1]
    path = kubo_server.store._path(leaf)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(BlockCorruptedError, match=f"block {leaf} is corrupted"):
        kubo_standin.read_all(cid)


def test_kubo_shaped_answers_are_read_too(kubo_standin, kubo_server):
    """Kubo's `add` sends Size as a string and its offline node says "not found" (the stand-in's)."""
    body = (b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="h.txt"\r\n\r\n'
            b"hello world\n\r\n--XyZ--\r\n")
    resp = requests.post(f"{kubo_server.api_url}/api/v0/add", data=body,
                         headers={"Content-Type": "multipart/form-data; boundary=XyZ"})
    expected = {"Name": "h.txt", "Hash": "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o", "Size": "20"}
    assert json.loads(resp.text.strip()) == expected
    missing = add_bytes(b"never added").cid
    assert not kubo_standin.has(missing)
    with pytest.raises(BlockNotFoundError):
        kubo_standin.get_block(missing)
    with pytest.raises(KuboApiError, match=r"pin/add failed .* could not find"):
        kubo_standin.pin(missing)
