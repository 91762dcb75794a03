"""The EIP-712 messages the suite verifies, defined once for the SDK, the scripts and the tests.

DatasetRegistry verifies `Registration` (registerWithSig) and `AccessGrant` (grantAccessWithSig) under the
domain ("aitrail DatasetRegistry", "1", chain id, registry); RewardToken verifies EIP-2612 `Permit` under
(token name, "1", chain id, token). Binding the chain id and the contract is what makes a signature
useless on another chain or against another deployment.
"""

from __future__ import annotations

from typing import Any

REGISTRY_DOMAIN_NAME = "aitrail DatasetRegistry"
DOMAIN_VERSION = "1"

EIP712_DOMAIN = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]
REGISTRATION = [
    {"name": "owner", "type": "address"},
    {"name": "contentHash", "type": "bytes32"},
    {"name": "cidDigest", "type": "bytes32"},
    {"name": "cidKind", "type": "uint8"},
    {"name": "metadataDigest", "type": "bytes32"},
    {"name": "metadataKind", "type": "uint8"},
    {"name": "recordsRoot", "type": "bytes32"},
    {"name": "recordsCount", "type": "uint40"},
    {"name": "predecessor", "type": "uint256"},
    {"name": "withdrawnLeaves", "type": "bytes32[]"},
    {"name": "nonce", "type": "uint256"},
    {"name": "deadline", "type": "uint256"},
]
ACCESS_GRANT = [
    {"name": "datasetId", "type": "uint256"},
    {"name": "grantee", "type": "address"},
    {"name": "duration", "type": "uint64"},
    {"name": "keyRef", "type": "bytes32"},
    {"name": "nonce", "type": "uint256"},
    {"name": "deadline", "type": "uint256"},
]
PERMIT = [
    {"name": "owner", "type": "address"},
    {"name": "spender", "type": "address"},
    {"name": "value", "type": "uint256"},
    {"name": "nonce", "type": "uint256"},
    {"name": "deadline", "type": "uint256"},
]


def domain(name: str, chain_id: int, contract: str) -> dict[str, Any]:
    return {"name": name, "version": DOMAIN_VERSION, "chainId": chain_id, "verifyingContract": str(contract)}


def registry_domain(chain_id: int, registry: str) -> dict[str, Any]:
    return domain(REGISTRY_DOMAIN_NAME, chain_id, registry)


def typed_data(
    primary: str, fields: list[dict[str, str]], dom: dict[str, Any], message: dict[str, Any]
) -> dict[str, Any]:
    """A full `eth_signTypedData_v4` document (what eth-account's encode_typed_data(full_message=) takes)."""
    return {"types": {"EIP712Domain": EIP712_DOMAIN, primary: fields}, "primaryType": primary,
            "domain": dom, "message": message}


def permit(token_name: str, chain_id: int, token: str, owner: str, spender: str, value: int, nonce: int,
           deadline: int) -> dict[str, Any]:
    """EIP-2612 Permit for the reward token (the AccessMarket takes it with buyAccessWithPermit)."""
    message = {"owner": owner, "spender": spender, "value": value, "nonce": nonce, "deadline": deadline}
    return typed_data("Permit", PERMIT, domain(token_name, chain_id, token), message)
