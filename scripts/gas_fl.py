"""Gas per operation of FederatedTraining, beside the anchors and the issue's goal.

    brownie run scripts/gas_fl.py --network wtfl               # print the table, compare with the snapshot
    UPDATE_GAS_SNAPSHOT=1 brownie run scripts/gas_fl.py ...    # also rewrite gas/fl.json

Every figure is the total gas of one transaction (21,000 base included), measured in steady state: the
task exists, the round is open, each participant has committed in an earlier round (its slot is not
written for the first time) and was credited before; that is a middle round (2 of 3). "per participant"
rows are derived: the aggregate of a round with N participants divided by N. The last round of a task
costs more, once: it reserves the final model's weights digest in the ModelRegistry (a call and a new
slot), measured on its own row, as is publishing the final model (publishFinalModel, the attested
citations of the four included participants' datasets). The goal of issue 14 is at most 60,000 gas per
participant per round; a participant's round costs its own update commit plus its share of the
coordinator's aggregate.
"""

from __future__ import annotations

import hashlib
from typing import Any

from brownie import DatasetRegistry, FederatedTraining, ModelRegistry, Rewards, RewardToken, accounts

from scripts import brownie_receipts
from scripts.datasets_support import REGISTRATION_DELAY, committed_register
from scripts.gas_snapshot import GAS_DIR, GasSnapshot

brownie_receipts.install()

ANCHORS: dict[str, tuple[str, int] | None] = {
    "create task, 5 participants (pool escrowed)": ("Ocean createNftWithErc20", 1_039_198),
    "commit update (per participant per round)": ("anchor one Merkle root (storage write + event)", 45_578),
    "commit aggregate, 5 participants (4 included)": None,
    "commit aggregate, 20 participants (19 included)": None,
    "commit aggregate, last round, 5 participants (final digest reserved)": None,
    "publish final model, 4 datasets cited (attested)": None,
    "aggregate per participant, 5 participants": None,
    "aggregate per participant, 20 participants": None,
    "participant's round, 5 participants (update + aggregate share)": None,
    "claim reward": None,
    "close task (refund)": None,
}
TARGETS = {
    "commit update (per participant per round)": 60_000,
    "participant's round, 5 participants (update + aggregate share)": 60_000,
}
SNAPSHOT = GasSnapshot(GAS_DIR / "fl.json", ANCHORS, TARGETS)


def _input(owner: Any, n: int) -> tuple[Any, ...]:
    h = (0xF1DA7A * 2**200 + n).to_bytes(32, "big")
    return (owner, h, h, 0, h, 1, b"\x00" * 32, 0, 0)


def _digest(n: int) -> bytes:
    return (0xF1D16E57 * 2**200 + n).to_bytes(32, "big")


def _weights(aggregate: bytes) -> bytes:
    return hashlib.sha256(aggregate).digest()


def _cid(n: int) -> tuple[bytes, int]:
    return ((0xC1D * 2**200 + n).to_bytes(32, "big"), 0)


def measure() -> dict[str, int]:
    admin, coordinator = accounts[0], accounts[1]
    # Fixed keys: the addresses are calldata (16 gas per non-zero byte), so they must be the same every run.
    participants = [accounts.add(hashlib.sha256(b"aitrail gas fl %d" % i).hexdigest()) for i in range(20)]
    for p in participants:
        admin.transfer(p, 10**18)
    registry = DatasetRegistry.deploy(REGISTRATION_DELAY, {"from": admin})
    token = RewardToken.deploy(admin, 10**27, {"from": admin})
    rewards = Rewards.deploy(admin, token, registry, 7 * 86400, 1_000, 500 * 10**18, {"from": admin})
    models = ModelRegistry.deploy(registry, rewards, 0, {"from": admin})
    fl = FederatedTraining.deploy(registry, models, token, {"from": admin})
    models.setFederatedTraining(fl, {"from": admin})
    token.grantRole(token.MINTER_ROLE(), admin, {"from": admin})
    token.mint(coordinator, 10**24, {"from": admin})
    token.approve(fl, 2**256 - 1, {"from": coordinator})
    models.registerModel("federated", {"from": coordinator})
    datasets = []
    for i, p in enumerate(participants):
        committed_register(registry, _input(p, i + 1), [], p)
        datasets.append(registry.datasetCount())
    gas: dict[str, int] = {}
    pool = 1_000 * 10**18

    def run_task(n: int, rounds: int = 3) -> tuple[int, Any, list[Any], list[Any]]:
        tx = fl.createTask(
            1, "MultiKrum f=1 keep=4", rounds, participants[:n], datasets[:n], pool, {"from": coordinator}
        )
        task = tx.return_value
        updates, aggregates = [], []
        for r in range(1, rounds + 1):
            for i, p in enumerate(participants[:n]):
                update = fl.commitUpdate(task, r, _digest(1000 * r + i), _cid(1000 * r + i), {"from": p})
            updates.append(update)
            aggregates.append(
                fl.commitAggregate(
                    task, r, _digest(100 * task + r), _cid(r), (1 << (n - 1)) - 1, {"from": coordinator}
                )
            )
        return task, tx, updates, aggregates

    task5, create5, updates5, aggregates5 = run_task(5)
    update5, aggregate5 = updates5[1], aggregates5[1]  # round 2 of 3: steady state
    gas["create task, 5 participants (pool escrowed)"] = create5.gas_used
    gas["commit update (per participant per round)"] = update5.gas_used
    gas["commit aggregate, 5 participants (4 included)"] = aggregate5.gas_used
    gas["commit aggregate, last round, 5 participants (final digest reserved)"] = aggregates5[2].gas_used
    gas["publish final model, 4 datasets cited (attested)"] = fl.publishFinalModel(
        task5, _weights(_digest(100 * task5 + 3)), _cid(7), _cid(8), datasets[:4], {"from": coordinator}
    ).gas_used
    _, _, _, aggregates20 = run_task(20)
    aggregate20 = aggregates20[1]
    gas["commit aggregate, 20 participants (19 included)"] = aggregate20.gas_used
    gas["aggregate per participant, 5 participants"] = aggregate5.gas_used // 5
    gas["aggregate per participant, 20 participants"] = aggregate20.gas_used // 20
    gas["participant's round, 5 participants (update + aggregate share)"] = (
        update5.gas_used + aggregate5.gas_used // 5
    )
    gas["claim reward"] = fl.claimReward(task5, {"from": participants[0]}).gas_used
    gas["close task (refund)"] = fl.closeTask(task5, {"from": coordinator}).gas_used
    return {name: gas[name] for name in ANCHORS}


def main() -> dict[str, int]:
    return SNAPSHOT.report(measure())
