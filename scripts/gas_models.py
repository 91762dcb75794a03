"""Gas per operation of ModelRegistry, Rewards and AccessMarket, beside the anchors and the targets.

    brownie run scripts/gas_models.py --network wt4               # print the table, compare with the snapshot
    UPDATE_GAS_SNAPSHOT=1 brownie run scripts/gas_models.py ...   # also rewrite gas/models.json

Every figure is the total gas of one transaction (21,000 base included), measured in steady state:
counters are already non-zero, the model already has a version, and the dataset owner was credited
before (its reward account is not written for the first time). "paid" citations consume a voucher
from an earlier market purchase, the expensive path; "free" ones cite a plain grant and earn nothing.
"per extra dataset" rows are derived: (gas citing N - gas citing 1) / (N - 1). Publishing is two
transactions (commit-reveal, against front-running): "commit version" is the first, every "publish" row
the second (which also clears the commitment), and "commit + publish, cites 1 dataset (paid)" their sum.
Purchases carry the buyer's 64-byte public key and burn the reward share of the fee. The "new earner" rows
are the worst case: each cited dataset's owner is credited for the first time, a fresh storage slot
each (so 5 new earners cost about 34,000 per extra dataset, over the 25,000 target). The test
tests/contracts/test_gas_snapshot_models.py runs `measure()` and `compare()` from here.
"""

from __future__ import annotations

import hashlib
from typing import Any

from brownie import (
    AccessMarket,
    DatasetRegistry,
    ModelRegistry,
    Rewards,
    RewardToken,
    accounts,
    chain,
)
from eth_account import Account
from eth_account.messages import encode_typed_data

from aitrail.chain import eip712
from aitrail.crypto import public_key_from_private
from aitrail.flows.models import commitment
from aitrail.flows.session import account_from_brownie
from scripts import brownie_receipts
from scripts.datasets_support import REGISTRATION_DELAY, committed_register
from scripts.gas_snapshot import GAS_DIR, GasSnapshot

brownie_receipts.install()

DAY = 86_400
PRICE_PER_DAY = 10**18

# operation -> (anchor from ../shared/ANCHORS.md, its gas); None where no anchor system has the operation.
ANCHORS: dict[str, tuple[str, int] | None] = {
    "register model": ("Ocean deployERC721Contract (NFT clone)", 588_924),
    "commit version": None,
    "commit + publish, cites 1 dataset (paid)": ("Ocean setMetaData (1 KB DDO)", 158_196),
    "publish, no datasets": ("Ocean setMetaData (1 KB DDO)", 158_196),
    "publish, cites 1 dataset (free)": ("Ocean setMetaData (1 KB DDO)", 158_196),
    "publish, cites 1 dataset (paid)": ("Ocean setMetaData (1 KB DDO)", 158_196),
    "publish, cites 5 datasets (paid)": ("Ocean setMetaData (1 KB DDO)", 158_196),
    "publish, cites 20 datasets (paid)": ("Ocean setMetaData (1 KB DDO)", 158_196),
    "per extra dataset, 1->5 (paid)": None,
    "per extra dataset, 1->20 (paid)": None,
    "publish, cites 1 dataset of a new earner (paid)": ("Ocean setMetaData (1 KB DDO)", 158_196),
    "publish, cites 5 datasets of 5 new earners (paid)": ("Ocean setMetaData (1 KB DDO)", 158_196),
    "publish, cites 20 datasets (free)": ("Ocean setMetaData (1 KB DDO)", 158_196),
    "publish, 1 dataset + 2 parents": ("Ocean setMetaData (1 KB DDO)", 158_196),
    "move alias": ("ERC-4907 setUser overwrite", 31_428),
    "deprecate version": None,
    "claim": None,
    "buy access, first (approve)": ("Ocean startOrder first", 135_048),
    "buy access, again (approve)": ("Ocean startOrder later", 80_948),
    "buy access, new buyer (permit)": ("Ocean startOrder first", 135_048),
    "set price": None,
}

# Targets of issue 4 (at most this much gas).
TARGETS = {
    "publish, cites 1 dataset (free)": 150_000,
    "publish, cites 1 dataset (paid)": 150_000,
    "publish, cites 1 dataset of a new earner (paid)": 150_000,
    "per extra dataset, 1->5 (paid)": 25_000,
    "per extra dataset, 1->20 (paid)": 25_000,
    "claim": 60_000,
}

SNAPSHOT = GasSnapshot(GAS_DIR / "models.json", ANCHORS, TARGETS)


def _digest(n: int) -> bytes:
    return (0x6A5 * 2**200 + n).to_bytes(32, "big")


def _dataset_input(owner: Any, n: int) -> tuple[Any, ...]:
    h = (0xDA7A6A5 * 2**200 + n).to_bytes(32, "big")
    return (owner, h, h, 0, h, 1, b"\x00" * 32, 0, 0)


def _salt(n: int) -> bytes:
    # Random-looking like a real salt (a real one is keccak-derived), so its calldata is not underpriced.
    return hashlib.sha256(b"salt %d" % n).digest()[:16]


def _public_key(account: Any) -> bytes:
    return public_key_from_private(bytes(account_from_brownie(account).key))


def measure(txs: dict[str, str] | None = None) -> dict[str, int]:
    """Deploy a fresh suite and return gas per operation (deterministic for given contracts).
    If given, `txs` receives each measured transaction's hash (`make bench` computes their floors)."""
    admin, owner, publisher, grantee_owner = accounts[0], accounts[1], accounts[2], accounts[3]
    token = RewardToken.deploy(admin, 10**27, {"from": admin})
    datasets = DatasetRegistry.deploy(REGISTRATION_DELAY, {"from": admin})
    rewards = Rewards.deploy(admin, token, datasets, 7 * DAY, 1_000, 10**24, {"from": admin})
    # Commitment age 0: gas does not depend on it, and the measurement needs no time travel.
    models = ModelRegistry.deploy(datasets, rewards, 0, {"from": admin})
    market = AccessMarket.deploy(token, datasets, rewards, {"from": admin})
    token.grantRole(token.MINTER_ROLE(), rewards, {"from": admin})
    token.grantRole(token.MINTER_ROLE(), admin, {"from": admin})  # seeds the buyers' fees
    rewards.grantRole(rewards.REGISTRY_ROLE(), models, {"from": admin})
    rewards.grantRole(rewards.MARKET_ROLE(), market, {"from": admin})
    datasets.setOperator(market, True, {"from": owner})
    token.mint(publisher, 10**24, {"from": admin})
    token.approve(market, 2**256 - 1, {"from": publisher})
    gas: dict[str, int] = {}
    serial = iter(range(1, 10**6))
    key = _public_key(publisher)

    def record(name: str, tx: Any) -> None:
        gas[name] = int(tx.gas_used)
        if txs is not None:
            txs[name] = tx.txid

    def new_dataset(who: Any = owner) -> int:
        return int(committed_register(datasets, _dataset_input(who, next(serial)), [], who).return_value)

    def paid(n: int) -> list[int]:
        ids = [new_dataset() for _ in range(n)]
        for dataset_id in ids:
            market.setPrice(dataset_id, PRICE_PER_DAY, {"from": owner})
            market.buyAccess(dataset_id, 30, key, 2**255, {"from": publisher})
        return ids

    def free(n: int) -> list[int]:
        ids = [new_dataset(grantee_owner) for _ in range(n)]
        for dataset_id in ids:
            datasets.grantAccess(dataset_id, publisher, 0, b"\x00" * 32, {"from": grantee_owner})
        return ids

    commits: list[Any] = []

    def publish(model_id: int, datasets_: list[int], parents: list[int] | None = None) -> Any:
        n = next(serial)
        sealed = commitment(publisher.address, _digest(n), _salt(n))
        commits.append(models.commitVersion(sealed, {"from": publisher}))
        return models.publishVersion(
            model_id,
            _digest(n),
            _salt(n),
            (_digest(n), 1),
            (_digest(n + 10**5), 1),
            datasets_,
            parents or [],
            {"from": publisher},
        )

    # Warm-up: counters, the model's version count and the owner's reward account become non-zero.
    models.registerModel("warm-up", {"from": publisher})
    record("register model", models.registerModel("llm", {"from": publisher}))
    model_id = int(models.modelCount())
    publish(model_id, paid(1))

    record("publish, no datasets", publish(model_id, []))
    record("publish, cites 1 dataset (free)", publish(model_id, free(1)))
    for n in (1, 5, 20):
        record(f"publish, cites {n} dataset{'s' if n > 1 else ''} (paid)", publish(model_id, paid(n)))
    record("commit version", commits[-1])
    one = gas["publish, cites 1 dataset (paid)"]
    gas["commit + publish, cites 1 dataset (paid)"] = gas["commit version"] + one
    gas["per extra dataset, 1->5 (paid)"] = (gas["publish, cites 5 datasets (paid)"] - one) // 4
    gas["per extra dataset, 1->20 (paid)"] = (gas["publish, cites 20 datasets (paid)"] - one) // 19

    # Worst case: every cited dataset has a different owner never credited before, so each citation
    # writes a fresh reward account (a zero-to-non-zero storage write, 22,100 gas) on top of the rest.
    def sold_by(earner: Any) -> int:
        datasets.setOperator(market, True, {"from": earner})
        dataset_id = new_dataset(earner)
        market.setPrice(dataset_id, PRICE_PER_DAY, {"from": earner})
        market.buyAccess(dataset_id, 30, key, 2**255, {"from": publisher})
        return dataset_id

    fresh = [sold_by(accounts[4])]
    record("publish, cites 1 dataset of a new earner (paid)", publish(model_id, fresh))
    fresh = [sold_by(accounts[i]) for i in (5, 6, 7, 8, 9)]
    record("publish, cites 5 datasets of 5 new earners (paid)", publish(model_id, fresh))
    record("publish, cites 20 datasets (free)", publish(model_id, free(20)))
    last = int(models.versionCount())
    record("publish, 1 dataset + 2 parents", publish(model_id, free(1), [last - 1, last]))

    alias = b"production".ljust(32, b"\x00")
    models.setAlias(model_id, alias, last - 1, {"from": publisher})
    record("move alias", models.setAlias(model_id, alias, last, {"from": publisher}))
    record("deprecate version", models.deprecateVersion(last - 1, {"from": publisher}))

    # The owner already holds tokens (the access fees it was paid), so the mint tops up a balance.
    record("claim", rewards.claim({"from": owner}))

    dataset_id = new_dataset()
    record("set price", market.setPrice(dataset_id, PRICE_PER_DAY, {"from": owner}))
    for label in ("first", "again"):
        tx = market.buyAccess(dataset_id, 30, key, 2**255, {"from": publisher})
        record(f"buy access, {label} (approve)", tx)
    record("buy access, new buyer (permit)", _permit_purchase(token, market, dataset_id, admin))
    return {name: gas[name] for name in ANCHORS}


def _permit_purchase(token: Any, market: Any, dataset_id: int, funder: Any) -> Any:
    fee = PRICE_PER_DAY * 30
    deadline = 2**48 - 1  # fixed, so the calldata (and its gas) is the same in every run
    # A fresh key that lives only in memory signs the permit (accounts.add() without a key would print
    # a mnemonic). Calldata costs 4 gas per zero byte and 16 per other byte, so keep drawing until the
    # signature and the buyer's public key have no zero byte: the figure then does not depend on the key.
    while True:
        key = Account.create()
        data = eip712.permit(
            token.name(), chain.id, token.address, key.address, market.address, fee, 0, deadline
        )
        signed = Account.sign_message(encode_typed_data(full_message=data), key.key)
        r, s = signed.r.to_bytes(32, "big"), signed.s.to_bytes(32, "big")
        public = public_key_from_private(bytes(key.key))  # also calldata and event data
        if 0 not in r + s + public:
            break
    buyer = accounts.add(key.key.hex())
    funder.transfer(buyer, 10**17)
    token.mint(buyer, fee, {"from": funder})
    return market.buyAccessWithPermit(
        dataset_id, 30, public, fee, deadline, signed.v, r, s, {"from": buyer}
    )




def main() -> dict[str, int]:
    return SNAPSHOT.report(measure())
