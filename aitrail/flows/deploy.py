"""Deploy the suite, idempotently: a second run finds every contract and its wiring and sends nothing.

Order and wiring (each step skipped when already done, so an interrupted deploy resumes):
DatasetRegistry; RewardToken(admin, cap); Rewards(admin, token, registry, epoch, bps, cap);
ModelRegistry(registry, rewards); AccessMarket(token, registry, rewards); then RewardToken's MINTER_ROLE
to Rewards, Rewards' MARKET_ROLE to the market and REGISTRY_ROLE to the model registry.
The address book is written after every deployment, with the chain id and the first block.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from web3 import Web3

from aitrail import abi
from aitrail.chain.accounts import DEV_CHAIN_IDS
from aitrail.chain.contracts import DAY, address
from aitrail.errors import WrongChainError
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

    registry = ensure("DatasetRegistry")
    token = ensure("RewardToken", admin, params.token_cap)
    rewards = ensure(
        "Rewards", admin, token, registry, params.epoch_length, params.reward_bps, params.dataset_epoch_cap
    )
    commit_age = params.min_commit_age
    if commit_age is None:
        commit_age = 0 if session.chain_id in DEV_CHAIN_IDS else 120
    models = ensure("ModelRegistry", registry, rewards, commit_age)
    market = ensure("AccessMarket", token, registry, rewards)
    result.addresses = {k: v for k, v in entries.items() if k in abi.names()}

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
