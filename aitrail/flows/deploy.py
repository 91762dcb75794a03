"""Deploy the suite, idempotently: a second run finds every contract and its wiring and sends nothing.

Order and wiring (each step skipped when already done, so an interrupted deploy resumes):
DatasetRegistry(registration delay);
RewardToken(admin, cap); Rewards(admin, token, registry, epoch, bps, cap);
ModelRegistry(registry, rewards); AccessMarket(token, registry, rewards); FederatedTraining(registry,
models, token), which needs no role (it escrows existing tokens, never mints); then the model registry names
FederatedTraining as the contract that attests federated versions (`setFederatedTraining`, once, by the
deployer: the registry is built before FederatedTraining, which takes its address), RewardToken's
MINTER_ROLE to Rewards, Rewards' MARKET_ROLE to the market and REGISTRY_ROLE to the model registry.
The address book is written after every deployment, with the chain id and the first block.

A second home (another party, another machine) does not copy that file: `find_suite` rebuilds it from
the chain alone, by scanning creation transactions for the suite's own creation bytecode and following
the constructor arguments that wire the five contracts together (see `aitrail deploy --find`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from eth_abi.abi import decode as abi_decode
from web3 import Web3

from aitrail import abi
from aitrail.chain.accounts import DEV_CHAIN_IDS
from aitrail.chain.contracts import DAY, address
from aitrail.errors import ChainError, NotDeployedError, WrongChainError
from aitrail.flows.session import Session

TOKEN = 10**18


@dataclass(frozen=True)
class DeployParams:
    token_cap: int = 100_000_000 * TOKEN
    epoch_length: int = 7 * DAY
    reward_bps: int = 1_000  # 10 % of an access fee becomes a citation voucher
    dataset_epoch_cap: int = 500 * TOKEN
    # Tokens minted once to the deployer as a treasury (research funds that pay the first access fees).
    treasury: int = 0
    # Seconds between a registration's commitment and its reveal (DatasetRegistry, against squatting);
    # None: 60 s, or 1 s on a development chain (31337, 1337), where nobody watches a mempool.
    registration_delay: int | None = None
    # Seconds between a model commitment and its publication (front-running, see IModelRegistry); None:
    # 0 on a development chain (only its owner sends to it, and an idle automining chain makes no new
    # block to pass a delay in), 120 s elsewhere (ten 12 s blocks).
    min_commit_age: int | None = None


@dataclass
class DeployResult:
    chain_id: int
    addresses: dict[str, str]
    deployed: list[str] = field(default_factory=list)
    wired: list[str] = field(default_factory=list)


def deploy_suite(
    session: Session, params: DeployParams | None = None, log: Callable[[str], None] = lambda _: None
) -> DeployResult:
    session.require_signer()
    params = params or DeployParams()
    w3, sender, book = session.w3, session.sender, session.book
    entries = dict(book.load(session.chain_id))
    if entries.get("chainId") not in (None, str(session.chain_id)):
        raise WrongChainError(int(entries["chainId"]), session.chain_id, "the address book")
    result = DeployResult(session.chain_id, {})
    admin = session.address

    def ensure(name: str, *args: Any) -> str:
        at = entries.get(name)
        if at and sender.rpc(lambda: w3.eth.get_code(address(str(at)))):
            log(f"{name:<16} found at {at}")
            return at
        factory = w3.eth.contract(abi=abi.abi(name), bytecode=abi.bytecode(name))
        receipt = sender.deploy(factory.constructor(*args).data_in_transaction, f"deploy {name}")
        at = str(receipt["contractAddress"])
        if not result.deployed:
            entries["deployedAtBlock"] = str(receipt["blockNumber"])
        entries[name] = at
        entries["chainId"] = str(session.chain_id)
        book.save(session.chain_id, entries)
        result.deployed.append(name)
        log(f"{name:<16} deployed at {at} (gas {receipt['gasUsed']:,})")
        return at

    delay = params.registration_delay
    if delay is None:
        delay = 1 if session.chain_id in DEV_CHAIN_IDS else 60
    registry = ensure("DatasetRegistry", delay)
    token = ensure("RewardToken", admin, params.token_cap)
    rewards = ensure(
        "Rewards", admin, token, registry, params.epoch_length, params.reward_bps, params.dataset_epoch_cap
    )
    commit_age = params.min_commit_age
    if commit_age is None:
        commit_age = 0 if session.chain_id in DEV_CHAIN_IDS else 120
    models = ensure("ModelRegistry", registry, rewards, commit_age)
    market = ensure("AccessMarket", token, registry, rewards)
    federated = ensure("FederatedTraining", registry, models, token)
    result.addresses = {k: v for k, v in entries.items() if k in abi.names()}

    models_c = w3.eth.contract(address=address(models), abi=abi.abi("ModelRegistry"))
    trusted = str(sender.call(models_c.functions.federatedTrainingOf()))
    label = "ModelRegistry federated training → FederatedTraining"
    if int(trusted, 16) == 0:
        sender.transact(models_c.functions.setFederatedTraining(address(federated)), label)
        result.wired.append(label)
        log(f"wired {label}")
    elif trusted.lower() != federated.lower():
        # Set once: a book naming another FederatedTraining than the one the registry trusts is stale.
        raise ChainError(
            f"the model registry {models} trusts FederatedTraining {trusted}, "
            f"the address book names {federated}"
        )

    token_c = w3.eth.contract(address=address(token), abi=abi.abi("RewardToken"))
    rewards_c = w3.eth.contract(address=address(rewards), abi=abi.abi("Rewards"))
    minter = sender.call(token_c.functions.MINTER_ROLE())
    for contract, role_fn, holder, label in (
        (token_c, "MINTER_ROLE", rewards, "RewardToken MINTER_ROLE → Rewards"),
        (rewards_c, "MARKET_ROLE", market, "Rewards MARKET_ROLE → AccessMarket"),
        (rewards_c, "REGISTRY_ROLE", models, "Rewards REGISTRY_ROLE → ModelRegistry"),
    ):
        role = sender.call(getattr(contract.functions, role_fn)())
        if not sender.call(contract.functions.hasRole(role, address(holder))):
            sender.transact(contract.functions.grantRole(role, address(holder)), label)
            result.wired.append(label)
            log(f"wired {label}")

    if params.treasury and sender.call(token_c.functions.totalSupply()) == 0:
        # A one-off seed: the admin takes the minter role just long enough to fund the treasury.
        sender.transact(token_c.functions.grantRole(minter, Web3.to_checksum_address(admin)), "seed: minter")
        sender.transact(
            token_c.functions.mint(Web3.to_checksum_address(admin), params.treasury), "seed: mint"
        )
        sender.transact(
            token_c.functions.renounceRole(minter, Web3.to_checksum_address(admin)), "seed: renounce minter"
        )
        result.wired.append(f"treasury {params.treasury // TOKEN:,} TRAIL → {admin}")
        log(f"treasury of {params.treasury // TOKEN:,} TRAIL minted to {admin}")
    return result


@dataclass(frozen=True)
class _Created:
    name: str
    address: str
    block: int
    args: tuple[Any, ...]


def _constructor_types(name: str) -> list[str]:
    for entry in abi.abi(name):
        if entry["type"] == "constructor":
            return [str(i["type"]) for i in entry["inputs"]]
    return []


def _creations(session: Session, from_block: int, to_block: int) -> list[_Created]:
    """Every creation of a suite contract in the range, recognised by its creation bytecode (the
    constructor arguments follow it in the transaction's input)."""
    w3, rpc = session.w3, session.sender.rpc
    codes = {name: bytes.fromhex(abi.bytecode(name)[2:]) for name in abi.names()}
    found = []
    for number in range(from_block, to_block + 1):
        block: Any = rpc(partial(w3.eth.get_block, number, full_transactions=True))
        for tx in block["transactions"]:
            if tx.get("to") is not None:
                continue
            data = bytes(tx["input"])
            for name, code in codes.items():
                if data.startswith(code):
                    receipt = rpc(partial(w3.eth.get_transaction_receipt, tx["hash"]))
                    if receipt["status"] == 1 and receipt["contractAddress"]:
                        args = tuple(abi_decode(_constructor_types(name), data[len(code):]))
                        found.append(_Created(name, str(receipt["contractAddress"]), number, args))
    return found


def find_suite(
    session: Session, from_block: int = 0, to_block: int | None = None,
    log: Callable[[str], None] = lambda _: None,
) -> DeployResult:
    """Find the newest complete deployment of the suite on the chain and write it to this home's address
    book. Complete means an AccessMarket whose token, registry and rewards were created as the suite's
    own contracts, with a ModelRegistry on the same registry and rewards and Rewards on the same token
    and registry, each still holding code. Sends nothing; needs no account."""
    w3 = session.w3
    last = int(w3.eth.block_number) if to_block is None else to_block
    created = _creations(session, from_block, last)
    by_address = {c.address.lower(): c for c in created}

    def alive(c: _Created | None, name: str) -> bool:
        return c is not None and c.name == name and bool(w3.eth.get_code(address(c.address)))

    for market in sorted((c for c in created if c.name == "AccessMarket"), key=lambda c: -c.block):
        token, registry, rewards = (by_address.get(str(a).lower()) for a in market.args)
        if not (alive(token, "RewardToken") and alive(registry, "DatasetRegistry")
                and alive(rewards, "Rewards") and alive(market, "AccessMarket")):
            continue
        assert token is not None and registry is not None and rewards is not None
        if [str(a).lower() for a in rewards.args[1:3]] != [token.address.lower(), registry.address.lower()]:
            continue
        models = [
            c for c in created
            if c.name == "ModelRegistry" and alive(c, "ModelRegistry")
            # (registry, rewards, minCommitAge): the first two tie it to this suite.
            and [str(a).lower() for a in c.args[:2]] == [registry.address.lower(), rewards.address.lower()]
        ]
        if not models:
            continue
        suite = {"DatasetRegistry": registry, "RewardToken": token, "Rewards": rewards,
                 "ModelRegistry": max(models, key=lambda c: c.block), "AccessMarket": market}
        chosen = suite["ModelRegistry"]
        federated = [
            c for c in created
            if c.name == "FederatedTraining" and alive(c, "FederatedTraining")
            # (registry, models, token): optional, a chain deployed before it has none.
            and [str(a).lower() for a in c.args] == [registry.address.lower(), chosen.address.lower(),
                                                     token.address.lower()]
        ]
        # The one the registry trusts, if it names one (anyone may deploy another FederatedTraining on the
        # same contracts later; only the wired one can publish federated versions).
        models_c = w3.eth.contract(address=address(chosen.address), abi=abi.abi("ModelRegistry"))
        trusted = str(models_c.functions.federatedTrainingOf().call()).lower()
        wired = [c for c in federated if c.address.lower() == trusted]
        if wired or federated:
            suite["FederatedTraining"] = (wired or [max(federated, key=lambda c: c.block)])[0]
        entries: dict[str, str] = {name: str(w3.to_checksum_address(c.address)) for name, c in suite.items()}
        entries["chainId"] = str(session.chain_id)
        entries["deployedAtBlock"] = str(min(c.block for c in suite.values()))
        session.book.save(session.chain_id, entries)
        for name, c in suite.items():
            log(f"{name:<16} found at {entries[name]} (created in block {c.block})")
        return DeployResult(session.chain_id, {k: v for k, v in entries.items() if k in abi.names()})
    raise NotDeployedError(
        f"the suite (no complete deployment in blocks {from_block}-{last})", session.chain_id
    )
