"""Views other contracts rely on: unknown ids, the EIP-712 domain, constants."""

import brownie
from brownie import chain
from eth_abi import encode
from eth_utils import keccak

from aitrail.chain.eip712 import DOMAIN_VERSION, REGISTRY_DOMAIN_NAME
from scripts.datasets_support import hx


def test_owner_and_status_of_unknown_ids_revert(registry, dataset_id):
    for unknown in (0, dataset_id + 1, 2**200):
        with brownie.reverts(f"DatasetUnknown: {unknown}"):
            registry.datasetOwner(unknown)
        with brownie.reverts(f"DatasetUnknown: {unknown}"):
            registry.isWithdrawn(unknown)
        with brownie.reverts(f"DatasetUnknown: {unknown}"):
            registry.recordsRoot(unknown)


def test_has_access_is_false_for_unknown_ids(registry, owner, dataset_id):
    assert registry.hasAccess(dataset_id, owner) is True
    for unknown in (0, dataset_id + 1, 2**200):
        assert registry.hasAccess(unknown, owner) is False


def test_content_hash_lookup_of_an_unregistered_hash_is_zero(registry):
    assert registry.datasetIdOf(b"\x01" * 32) == 0


def test_domain_separator_binds_chain_and_contract(registry, other_registry):
    type_hash = keccak(
        text="EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
    )
    expected = keccak(
        encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [
                type_hash,
                keccak(text=REGISTRY_DOMAIN_NAME),
                keccak(text=DOMAIN_VERSION),
                chain.id,
                registry.address,
            ],
        )
    )
    assert registry.DOMAIN_SEPARATOR() == hx(expected)
    assert other_registry.DOMAIN_SEPARATOR() != registry.DOMAIN_SEPARATOR()


def test_grant_bounds_are_published(registry):
    assert registry.DEFAULT_GRANT_DURATION() == 30 * 86400
    assert registry.MIN_GRANT_DURATION() == 3600
    assert registry.MAX_GRANT_DURATION() == 365 * 86400
    assert registry.MAX_BATCH() == 100


def test_grant_expiry_of_unknown_ids_is_zero_even_where_keys_would_alias(
    registry, owner, researcher, dataset_id
):
    registry.grantAccess(dataset_id, researcher, 0, bytes(32), {"from": owner})
    assert registry.grantExpiry(dataset_id, researcher) > 0
    for unknown in (dataset_id + 1, 2**96 + dataset_id):
        assert registry.grantExpiry(unknown, researcher) == 0
        assert registry.hasAccess(unknown, researcher) is False
