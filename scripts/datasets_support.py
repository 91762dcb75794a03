"""Shared by the dataset tests and the gas script: dataset inputs, EIP-712 typed data, signatures.

Signatures come from the node (`eth_signTypedData_v4` on Anvil's unlocked test accounts), so no private
key is handled here. Researcher encryption keys are derived from a seed with coincurve: they are only
curve points for `requestAccess`, never account keys.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import coincurve
from brownie import chain, web3
from eth_abi import encode as abi_encode
from eth_utils import keccak

from aitrail.chain.eip712 import (
    ACCESS_GRANT,
    REGISTRATION,
    registry_domain,
    typed_data,
)

DEFAULT_GRANT_DURATION = 30 * 86400
DAY = 86400
# The registration delay of the test and gas-script deployments (a real deployment's default is 60 s too).
REGISTRATION_DELAY = 60
INPUT_FIELDS = [f["name"] for f in REGISTRATION[:9]]


def h(label: str | int) -> bytes:
    """A deterministic non-zero 32-byte value for a label (content hashes, digests, key refs)."""
    return hashlib.sha256(str(label).encode()).digest()


def hx(value: bytes) -> str:
    return "0x" + value.hex()


def dataset_input(
    owner: Any,
    seed: str | int,
    *,
    records: int = 0,
    root: bytes | None = None,
    predecessor: int = 0,
    cid_kind: int = 0,
    metadata_kind: int = 1,
) -> tuple[Any, ...]:
    """A `DatasetInput` tuple in field order; `records` > 0 adds a records root (or `root` if given)."""
    records_root = (root or h(f"root-{seed}")) if records else bytes(32)
    return (
        str(owner),
        h(f"content-{seed}"),
        h(f"cid-{seed}"),
        cid_kind,
        h(f"meta-{seed}"),
        metadata_kind,
        records_root,
        records,
        predecessor,
    )


def salt_of(dataset: tuple[Any, ...]) -> bytes:
    """The salt the tests commit with for a dataset input (deterministic, so a test can recompute it)."""
    return h(f"salt-{dataset[0]}-{dataset[1].hex()}")


def commit(registry: Any, dataset: tuple[Any, ...], sender: Any, salt: bytes | None = None) -> Any:
    """Step 1 of a registration: commit to (owner, content hash, salt) from `sender`."""
    commitment = registry.registrationCommitmentOf(dataset[0], dataset[1], salt or salt_of(dataset))
    return registry.commitRegistration(commitment, {"from": sender})


def committed_register(
    registry: Any, dataset: tuple[Any, ...], withdrawn: list[bytes], sender: Any, salt: bytes | None = None
) -> Any:
    """Commit, let the registration delay pass, and register (the two steps the SDK hides)."""
    salt = salt or salt_of(dataset)
    commit(registry, dataset, sender, salt)
    chain.sleep(int(registry.REGISTRATION_DELAY()))
    return registry.register(dataset, list(withdrawn), salt, {"from": sender})


def as_dict(dataset: tuple[Any, ...]) -> dict[str, Any]:
    return dict(zip(INPUT_FIELDS, dataset, strict=True))


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return hx(value)
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value if isinstance(value, int) else str(value)


def domain(registry: Any, chain_id: int | None = None, contract: str | None = None) -> dict[str, Any]:
    chain_id = web3.eth.chain_id if chain_id is None else chain_id
    return registry_domain(chain_id, str(contract or registry.address))


def registration_typed_data(
    registry: Any,
    dataset: tuple[Any, ...],
    withdrawn: list[bytes],
    nonce: int,
    deadline: int,
    **domain_overrides: Any,
) -> dict[str, Any]:
    message = {k: _jsonable(v) for k, v in as_dict(dataset).items()}
    message |= {"withdrawnLeaves": _jsonable(withdrawn), "nonce": nonce, "deadline": deadline}
    return typed_data("Registration", REGISTRATION, domain(registry, **domain_overrides), message)


def grant_typed_data(
    registry: Any,
    dataset_id: int,
    grantee: Any,
    duration: int,
    key_ref: bytes,
    nonce: int,
    deadline: int,
    **domain_overrides: Any,
) -> dict[str, Any]:
    message = {
        "datasetId": dataset_id,
        "grantee": str(grantee),
        "duration": duration,
        "keyRef": hx(key_ref),
        # Hex: unordered nonces are full 256-bit values, beyond what a JSON number carries exactly.
        "nonce": hex(nonce),
        "deadline": deadline,
    }
    return typed_data("AccessGrant", ACCESS_GRANT, domain(registry, **domain_overrides), message)


def sign(signer: Any, typed: dict[str, Any]) -> bytes:
    """EIP-712 signature by an unlocked node account (65 bytes r ‖ s ‖ v)."""
    reply = web3.provider.make_request("eth_signTypedData_v4", [str(signer), json.dumps(typed)])
    if "error" in reply:
        raise RuntimeError(f"eth_signTypedData_v4 failed: {reply['error']}")
    return bytes.fromhex(reply["result"].removeprefix("0x"))


def account_public_key(account: Any) -> bytes:
    """The 64-byte public key of an unlocked node account, recovered from its signature (`requestAccess`
    takes only the sender's own key; no private key is handled here)."""
    from eth_account.messages import _hash_eip191_message, encode_defunct
    from eth_keys import keys

    message = b"aitrail: my public key"
    signature = bytes(web3.eth.sign(str(account), data=message))
    r, s, v = signature[:32], signature[32:64], signature[64]
    digest = _hash_eip191_message(encode_defunct(message))
    vrs = (v - 27 if v >= 27 else v, int.from_bytes(r, "big"), int.from_bytes(s, "big"))
    return bytes(keys.Signature(vrs=vrs).recover_public_key_from_msg_hash(digest).to_bytes())


def record_leaf(values: tuple[bytes, bytes, int]) -> bytes:
    """The StandardMerkleTree leaf of record values `(recordKey, recordSha256, consent)`."""
    return leaf(["bytes32", "bytes32", "uint8"], list(values))


def public_key(seed: str | int) -> bytes:
    """A valid secp256k1 public key (x ‖ y, 64 bytes) derived from a seed, for access requests."""
    return coincurve.PrivateKey(h(f"researcher-key-{seed}")).public_key.format(compressed=False)[1:]


# ---------------------------------------------------------------- OpenZeppelin-style Merkle trees


def leaf(values_types: list[str], values: list[Any]) -> bytes:
    """StandardMerkleTree leaf: keccak256(bytes.concat(keccak256(abi.encode(values))))."""
    return keccak(keccak(abi_encode(values_types, values)))


def _node(a: bytes, b: bytes) -> bytes:
    return keccak(min(a, b) + max(a, b))


def root_and_proof(leaves: list[bytes], index: int) -> tuple[bytes, list[bytes]]:
    """Root of a sorted-pair tree over `leaves` and the proof of `leaves[index]` (odd nodes move up)."""
    level, position, proof = list(leaves), index, []
    while len(level) > 1:
        sibling = position ^ 1
        if sibling < len(level):
            proof.append(level[sibling])
        level = [
            _node(level[i], level[i + 1]) if i + 1 < len(level) else level[i] for i in range(0, len(level), 2)
        ]
        position //= 2
    return level[0], proof


def path_root(leaf_hash: bytes, proof: list[bytes]) -> bytes:
    """The root a proof leads to (what MerkleProof.processProof computes)."""
    node = leaf_hash
    for sibling in proof:
        node = _node(node, sibling)
    return node
