"""aitrail's own ABI codec (aitrail/abi/codec.py), which the web3-free audit path decodes with, against
the libraries it stands in for: eth_utils' EIP-55 checksums and keccak, eth_abi's decoding. And the index's
lazily decoded event arguments against the eager decoding of the same row."""

import os
import random

import pytest
from eth_abi import encode
from eth_utils import keccak as eth_keccak
from eth_utils import to_checksum_address

from aitrail import abi
from aitrail.abi import codec
from aitrail.index.decode import shape_by_name, shapes


def test_checksums_match_eth_utils_on_random_and_edge_addresses():
    samples = [os.urandom(20) for _ in range(3000)] + [bytes(20), b"\xff" * 20, bytes.fromhex("ab" * 20)]
    for raw in samples:
        assert codec.checksum_address.__wrapped__(raw) == to_checksum_address(raw)


def test_keccak_and_selectors_match_eth_utils():
    for data in (b"", b"abc", os.urandom(200)):
        assert codec.keccak(data) == eth_keccak(data)
    assert codec.selector("datasetOwner(uint256)") == eth_keccak(text="datasetOwner(uint256)")[:4]


KINDS = ["uint256", "int64", "address", "bool", "bytes32", "bytes", "string", "address[]", "uint64[]"]


@pytest.mark.parametrize("seed", range(20))
def test_decoding_matches_eth_abi(seed):
    rng = random.Random(seed)
    values = [
        rng.randrange(2**256),
        rng.randrange(-(2**63), 2**63),
        to_checksum_address(rng.randbytes(20)),
        rng.random() < 0.5,
        rng.randbytes(32),
        rng.randbytes(rng.randrange(70)),
        "".join(rng.choice("aé€z ") for _ in range(rng.randrange(40))),
        [to_checksum_address(rng.randbytes(20)) for _ in range(rng.randrange(4))],
        [rng.randrange(2**64) for _ in range(rng.randrange(4))],
    ]
    assert codec.decode(KINDS, encode(KINDS, values)) == values


def test_a_truncated_dynamic_value_is_refused():
    data = encode(["bytes"], [b"x" * 40])
    with pytest.raises(ValueError, match="too short"):
        codec.decode(["bytes"], data[:-32])


def test_canonical_type_expands_tuples():
    assert abi.canonical_type({"type": "tuple[2]", "components": [{"type": "uint8"}, {"type": "bytes"}]}) == (
        "(uint8,bytes)[2]"
    )


def test_lazy_event_arguments_equal_the_eager_decoding_for_every_shipped_event():
    rng = random.Random(7)
    for contract in abi.names():
        for shape in shapes(contract).values():
            padding = [None] * (3 - len(shape.indexed))
            topics = [shape.topic0] + [rng.randbytes(32) for _ in shape.indexed] + padding
            kinds = [kind for _, kind in shape.data]
            if any("(" in k or k.count("[") > 1 for k in kinds):
                continue  # nested values: decoded by eth_abi, not by the codec under test
            data = encode(kinds, [_sample(k, rng) for k in kinds])
            eager = shape.decode(topics, data)
            lazy = shape.lazy(topics, data)
            assert list(lazy) == list(shape.order) and dict(lazy) == eager, (contract, shape.name)


def _sample(kind, rng):
    if kind.endswith("[]"):
        return [_sample(kind[:-2], rng) for _ in range(rng.randrange(3))]
    if kind == "address":
        return to_checksum_address(rng.randbytes(20))
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "string":
        return "purpose ✓"
    if kind == "bytes":
        return rng.randbytes(rng.randrange(50))
    if kind.startswith("bytes"):
        return rng.randbytes(int(kind[5:]))
    if kind.startswith("uint"):
        return rng.randrange(2 ** int(kind[4:] or 256))
    bits = int(kind[3:] or 256)
    return rng.randrange(-(2 ** (bits - 1)), 2 ** (bits - 1))


def test_granted_event_reads_its_grantee_without_decoding_the_rest():
    shape = shape_by_name("DatasetRegistry", "AccessGranted")
    grantee = os.urandom(20)
    topics = [shape.topic0, (5).to_bytes(32, "big"), bytes(12) + grantee, None]
    args = shape.lazy(topics, (123).to_bytes(32, "big") + bytes(32))
    assert args["grantee"] == to_checksum_address(grantee)
    assert args._values.keys() == {"grantee"}  # only what was read
    assert args == {
        "datasetId": 5,
        "grantee": to_checksum_address(grantee),
        "expiresAt": 123,
        "keyRef": bytes(32),
    }
