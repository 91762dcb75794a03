"""CIDs: spec vectors, string and binary forms, and the on-chain (digest, kind) form."""

import hashlib

import pytest

from aitrail.cid import CID, DAG_PB, RAW, CidKind
from aitrail.errors import CidError

HELLO_V0 = "Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD"
HELLO_V1 = "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"
HELLO_NL_V0 = "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"
EMPTY_V0 = "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH"


@pytest.mark.parametrize("text", [HELLO_V0, HELLO_V1, HELLO_NL_V0, EMPTY_V0])
def test_decode_encode_round_trips_spec_vectors(text):
    assert CID.decode(text).encode() == text
    assert CID.from_bytes(bytes(CID.decode(text))).encode() == text


def test_raw_v1_vector_digest_is_sha256_of_the_bytes():
    cid = CID.decode(HELLO_V1)
    assert (cid.version, cid.codec) == (1, RAW)
    assert cid.digest == hashlib.sha256(b"hello world").digest()


def test_v0_and_v1_dag_pb_forms_convert():
    v0 = CID.decode(HELLO_V0)
    v1 = v0.to_v1()
    assert v1.encode().startswith("bafy")
    assert (v1.version, v1.codec) == (1, DAG_PB)
    assert v1.to_v0() == v0
    assert bytes(v1)[:2] == b"\x01\x70"


@pytest.mark.parametrize("text,kind", [(HELLO_V0, 0), (HELLO_V0, 1), (HELLO_V1, 2), (EMPTY_V0, 0)])
def test_onchain_form_rebuilds_the_exact_cid(text, kind):
    cid = CID.decode(text)
    if kind == 1:
        cid = cid.to_v1()
    digest, got_kind = cid.to_onchain()
    assert got_kind == kind
    assert len(digest) == 32 and digest == cid.digest
    assert CID.from_onchain(digest, kind) == cid
    assert str(CID.from_onchain(digest, kind)) == str(cid)


def test_onchain_kinds_are_the_contract_values():
    assert [int(k) for k in CidKind] == [0, 1, 2]


def test_onchain_rejects_unknown_kind_and_short_digest():
    with pytest.raises(CidError, match="unknown on-chain CID kind 3"):
        CID.from_onchain(b"\x00" * 32, 3)
    with pytest.raises(CidError, match="must be 32 bytes"):
        CID.from_onchain(b"\x00" * 31, 0)


def test_raw_cid_has_no_v0_form():
    with pytest.raises(CidError, match="raw CID has no v0 form"):
        CID.decode(HELLO_V1).to_v0()


BAD_CIDS = ["", "Qm123", "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff50", "bafy!!", "zdj7W"]


@pytest.mark.parametrize("bad", BAD_CIDS)
def test_garbage_is_a_cid_error(bad):
    with pytest.raises(CidError):
        CID.decode(bad)


def test_unsupported_multihash_is_refused():
    sha1_mh = b"\x01\x55\x11\x14" + b"\x00" * 20
    with pytest.raises(CidError, match="only sha2-256"):
        CID.from_bytes(sha1_mh)
