"""Fixtures for the contract tests: one deployment per module, reverted after every test.

DatasetRegistry tests use `registry`; the model registry, rewards, market and token tests use `datasets`
(the same real DatasetRegistry) with the suite wired the way a deployment wires it: Rewards holds the
token's MINTER_ROLE, the market holds MARKET_ROLE and the model registry REGISTRY_ROLE on Rewards. Test
accounts get tokens from a treasury account the admin gives MINTER_ROLE (the way a deployment seeds the
first access fees); nothing else mints.
"""

import importlib.util
import itertools
from pathlib import Path

import brownie.test
import pytest
from brownie import DatasetRegistry

from scripts.datasets_support import REGISTRATION_DELAY, committed_register, dataset_input


@pytest.fixture(scope="module", autouse=True)
def _module_chain(module_isolation):
    """Module-scoped deployments are undone when the module ends, so modules don't shift each other."""


@pytest.fixture(scope="module")
def owner(accounts):
    return accounts[1]


@pytest.fixture(scope="module")
def researcher(accounts):
    return accounts[2]


@pytest.fixture(scope="module")
def operator(accounts):
    return accounts[3]


@pytest.fixture(scope="module")
def relayer(accounts):
    return accounts[4]


@pytest.fixture(scope="module")
def registry(admin):
    return DatasetRegistry.deploy(REGISTRATION_DELAY, {"from": admin})


@pytest.fixture(scope="module")
def other_registry(admin):
    """A second deployment on the same chain, for cross-contract signature replay."""
    return DatasetRegistry.deploy(REGISTRATION_DELAY, {"from": admin})


@pytest.fixture(scope="module")
def dataset_id(registry, owner):
    """Dataset 1, owned by `owner`, with a records root."""
    return committed_register(registry, dataset_input(owner, "base", records=8), [], owner).return_value


@pytest.fixture
def state_machine():
    """brownie's `state_machine`, loaded from the pure-Python stateful.py that brownie ships.

    brownie 1.22.2's mypyc-compiled stateful module rejects every rules class ("TypeError:
    brownie.test.stateful._BrownieStateMachine object expected; got ...BrownieStateMachine"): the
    compiled base class cannot be subclassed by the generated machine. The .py file beside the
    compiled one is the same code and works.
    """
    path = Path(brownie.test.__file__).with_name("stateful.py")
    spec = importlib.util.spec_from_file_location("brownie_stateful_pure", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.state_machine


# ---- model registry, rewards, access market, reward token (issue 4) ----

CAP = 10**27
EPOCH = 7 * 86400
REWARD_BPS = 1_000  # 10 % of each access fee becomes a citation voucher
DATASET_EPOCH_CAP = 500 * 10**18
PRICE_PER_DAY = 2 * 10**18
DAY = 86400
MIN_COMMIT_AGE = 60  # seconds between commitVersion and publishVersion

_salt = itertools.count(1)


def err(name, *args):
    """The revert string brownie decodes from a custom error: `Name: arg1, arg2`."""
    parts = []
    for a in args:
        if isinstance(a, bytes):
            parts.append(repr(a))
        elif hasattr(a, "address") or (isinstance(a, str) and a.startswith("0x")):
            parts.append(str(getattr(a, "address", a)).lower())
        else:
            parts.append(str(a))
    return f"{name}: {', '.join(parts)}"


def model_dataset_input(owner, n=None):
    """A valid DatasetInput tuple for the real DatasetRegistry, unique per call."""
    n = next(_salt) if n is None else n
    h = (0xDA7A * 2**200 + n).to_bytes(32, "big")
    return (owner, h, h, 0, h, 1, b"\x00" * 32, 0, 0)


def register_dataset(datasets, owner):
    """Register a fresh dataset owned by `owner` in the real DatasetRegistry; returns its id."""
    committed_register(datasets, model_dataset_input(owner), [], owner)
    return datasets.datasetCount()


def withdraw_dataset(datasets, owner, dataset_id):
    datasets.withdrawDataset(dataset_id, b"\x01" * 32, {"from": owner})


def revoke_access(datasets, owner, dataset_id, grantee):
    datasets.revokeAccess(dataset_id, grantee, {"from": owner})


def grant(datasets, owner, dataset_id, grantee, days=30):
    return datasets.grantAccess(dataset_id, grantee, days * DAY, b"\x00" * 32, {"from": owner})


def cid(n, kind=0):
    return (n.to_bytes(32, "big"), kind)


def digest(n):
    return (0xD16E57 * 2**200 + n).to_bytes(32, "big")


@pytest.fixture(scope="module")
def other(accounts):
    return accounts[3]


@pytest.fixture(scope="module")
def treasury(accounts):
    return accounts[8]


@pytest.fixture(scope="module")
def token(RewardToken, admin):
    return RewardToken.deploy(admin, CAP, {"from": admin})


@pytest.fixture(scope="module")
def datasets(DatasetRegistry, admin):
    return DatasetRegistry.deploy(REGISTRATION_DELAY, {"from": admin})


@pytest.fixture(scope="module")
def rewards(Rewards, admin, token, datasets):
    r = Rewards.deploy(admin, token, datasets, EPOCH, REWARD_BPS, DATASET_EPOCH_CAP, {"from": admin})
    token.grantRole(token.MINTER_ROLE(), r, {"from": admin})
    return r


@pytest.fixture(scope="module")
def models(ModelRegistry, admin, datasets, rewards):
    m = ModelRegistry.deploy(datasets, rewards, MIN_COMMIT_AGE, {"from": admin})
    rewards.grantRole(rewards.REGISTRY_ROLE(), m, {"from": admin})
    return m


@pytest.fixture(scope="module")
def market(AccessMarket, admin, token, datasets, rewards):
    m = AccessMarket.deploy(token, datasets, rewards, {"from": admin})
    rewards.grantRole(rewards.MARKET_ROLE(), m, {"from": admin})
    return m


@pytest.fixture(scope="module")
def fund(token, admin, treasury):
    """fund(account, amount): the treasury mints `amount` to `account` (seeding, not a reward)."""
    token.grantRole(token.MINTER_ROLE(), treasury, {"from": admin})

    def _fund(account, amount):
        token.mint(account, amount, {"from": treasury})

    return _fund


@pytest.fixture(scope="module")
def listed(datasets, market, owner):
    """A dataset of `owner`, priced at PRICE_PER_DAY, with the market approved as operator."""
    dataset_id = register_dataset(datasets, owner)
    datasets.setOperator(market, True, {"from": owner})
    market.setPrice(dataset_id, PRICE_PER_DAY, {"from": owner})
    return dataset_id


@pytest.fixture(scope="module")
def model_id(models, researcher):
    models.registerModel("resnet", {"from": researcher})
    return models.modelCount()


def transfer_dataset(datasets, owner, dataset_id, new_owner):
    datasets.transferDatasetOwnership(dataset_id, new_owner, {"from": owner})
    datasets.acceptDatasetOwnership(dataset_id, {"from": new_owner})


def role_error(account, role):
    return err("AccessControlUnauthorizedAccount", account, bytes.fromhex(str(role)[2:]))


def buy(market, token, fund, dataset_id, buyer, days=30):
    """`buyer` gets the tokens and buys `days` days of access through the market."""
    fee = market.quote(dataset_id, days)
    fund(buyer, fee)
    token.approve(market, fee, {"from": buyer})
    return market.buyAccess(dataset_id, days, public_key(buyer), fee, {"from": buyer})


def public_key(account):
    """The 64-byte secp256k1 public key of a brownie test account (Anvil's known keys)."""
    from aitrail.crypto import public_key_from_private
    from aitrail.flows.session import account_from_brownie

    return public_key_from_private(bytes(account_from_brownie(account).key))


def salt(n):
    return (0x5A17 * 2**100 + n).to_bytes(16, "big")


def commitment(who, weights_digest, salt_):
    """keccak256(abi.encode(publisher, weightsDigest, salt)), as ModelRegistry computes it."""
    from eth_abi import encode
    from web3 import Web3

    return bytes(Web3.keccak(encode(["address", "bytes32", "bytes16"], [str(who), weights_digest, salt_])))


def commit(models, who, n, age=MIN_COMMIT_AGE):
    """Commit `who` to digest(n) with salt(n) (unless a refused publication left it committed), then
    let `age` seconds pass."""
    from brownie import chain

    c = commitment(who, digest(n), salt(n))
    tx = models.commitVersion(c, {"from": who}) if models.commitmentTime(c) == 0 else None
    chain.sleep(age)
    return tx


def publish(models, model_id, who, n, datasets=(), parents=()):
    """Commit, wait MIN_COMMIT_AGE, publish digest(n): the two steps every publication takes."""
    commit(models, who, n)
    return models.publishVersion(
        model_id, digest(n), salt(n), cid(n), cid(1000 + n), list(datasets), list(parents), {"from": who}
    )


# The federated tests' world: FederatedTraining wired into the model registry, five hospitals with a
# dataset each, and the researcher account as the coordinator.
@pytest.fixture(scope="module")
def fl(FederatedTraining, admin, datasets, models, token):
    f = FederatedTraining.deploy(datasets, models, token, {"from": admin})
    models.setFederatedTraining(f, {"from": admin})
    return f


@pytest.fixture(scope="module")
def hospitals(accounts):
    return [accounts[i] for i in (1, 3, 4, 5, 6)]


@pytest.fixture(scope="module")
def hospital_datasets(datasets, hospitals):
    return [register_dataset(datasets, h) for h in hospitals]


@pytest.fixture(scope="module")
def coordinator(researcher):
    return researcher
