"""A dataset owned by a smart account (ERC-1271): its key's EIP-712 signature grants access."""

import brownie
import pytest
from brownie import TestERC1271Wallet, chain

from scripts.datasets_support import REGISTRATION_DELAY, dataset_input, grant_typed_data, h, salt_of, sign


@pytest.fixture
def wallet_dataset(registry, owner):
    wallet = TestERC1271Wallet.deploy(owner, {"from": owner})
    dataset = dataset_input(wallet, "wallet-owned")
    commitment = registry.registrationCommitmentOf(wallet, dataset[1], salt_of(dataset))
    wallet.execute(registry, registry.commitRegistration.encode_input(commitment), {"from": owner})
    chain.sleep(REGISTRATION_DELAY)
    wallet.execute(registry, registry.register.encode_input(dataset, [], salt_of(dataset)), {"from": owner})
    assert registry.datasetOwner(1) == wallet
    return wallet, 1


def test_signature_valid_for_the_wallet_grants_access(registry, owner, researcher, wallet_dataset):
    wallet, dataset_id = wallet_dataset
    deadline = chain.time() + 3600
    typed = grant_typed_data(registry, dataset_id, researcher, 0, h("key"), 0, deadline)
    signature = sign(owner, typed)  # the wallet's key signs; the wallet vouches via ERC-1271
    registry.grantAccessWithSig(
        dataset_id, researcher, 0, h("key"), 0, deadline, signature, {"from": researcher}
    )
    assert registry.hasAccess(dataset_id, researcher) is True
    assert registry.grantNonceUsed(wallet, 0) is True


def test_signature_the_wallet_rejects_is_refused(registry, researcher, wallet_dataset):
    wallet, dataset_id = wallet_dataset
    deadline = chain.time() + 3600
    typed = grant_typed_data(registry, dataset_id, researcher, 0, h("key"), 0, deadline)
    signature = sign(researcher, typed)
    with brownie.reverts(f"AccessSignatureInvalid: {wallet.address.lower()}"):
        registry.grantAccessWithSig(
            dataset_id, researcher, 0, h("key"), 0, deadline, signature, {"from": researcher}
        )
