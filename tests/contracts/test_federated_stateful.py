"""Stateful: random tasks, update commits, aggregates with random included sets, claims, closes, time jumps.

A plain Python model of every task (open round, who committed, credits, claims, refunds) is compared with
the contract after every step. One participant trains on a 5-day grant, so time jumps end its access in
the middle of a run. Invariants: the contract holds exactly the pools escrowed minus claims and refunds;
per task credited <= pool and credited == sum of participants' earned + claimed; every participant's
earned, committed round and included-round count equal the model's. The final model: a task is published
at most once, only when all its rounds are aggregated, citing exactly the datasets of participants included
at least once (also after time jumps ended the grantee's access); its weights digest is reserved for it from
the last round on and is that version's afterwards, and nobody can take it through publishVersion.
"""

import hashlib

import brownie
from brownie import chain
from brownie.test import strategy
from conftest import DAY, commitment, err, grant, model_dataset_input
from hypothesis import HealthCheck

from scripts.datasets_support import committed_register

PARTICIPANTS = (1, 3, 4, 5, 6)  # accounts; accounts[6] holds a grant on accounts[1]'s second dataset
COORDINATOR = 2
GRANTEE = 4  # position of accounts[6]


class FederatedMachine:
    pick = strategy("uint8", max_value=4)
    mask = strategy("uint8", max_value=2**5 - 1)
    pool = strategy("uint96", max_value=10**24)
    rounds = strategy("uint8", min_value=1, max_value=4)
    seconds = strategy("uint32", min_value=1, max_value=4 * DAY)

    def __init__(cls, accounts, token, datasets, models, fl, fund):
        cls.accounts, cls.token, cls.datasets, cls.models, cls.fl = accounts, token, datasets, models, fl
        cls.people = [accounts[i] for i in PARTICIPANTS]
        cls.coordinator = accounts[COORDINATOR]
        models.registerModel("federated", {"from": cls.coordinator})
        cls.model_id = models.modelCount()
        ids = []
        for n, who in enumerate(cls.people[:GRANTEE]):
            ids.append(
                committed_register(datasets, model_dataset_input(who, 7 * 10**6 + n), [], who).return_value
            )
        shared = committed_register(
            datasets, model_dataset_input(cls.people[0], 7 * 10**6 + 99), [], cls.people[0]
        )
        ids.append(shared.return_value)
        cls.dataset_ids = ids
        fund(cls.coordinator, 10**26)
        token.approve(fl, 2**256 - 1, {"from": cls.coordinator})

    def setup(self):
        # The grant is renewed at the start of every run (brownie reverts the chain between runs).
        grant(self.datasets, self.people[0], self.dataset_ids[GRANTEE], self.people[GRANTEE], days=5)
        self.tasks = {}  # id -> dict(pool, rounds, done, closed, credited, committed: set)
        self.earned = {}  # (task, position) -> unclaimed
        self.claimed = {}
        self.escrowed = 0
        self.paid_out = 0

    def _open(self):
        return [t for t, s in self.tasks.items() if not s["closed"] and s["done"] < s["rounds"]]

    def rule_create(self, pool, rounds):
        grantee = self.people[GRANTEE]
        if not self.datasets.hasAccess(self.dataset_ids[GRANTEE], grantee):  # the grant ran out
            with brownie.reverts(err("FLDatasetNotAccessible", self.dataset_ids[GRANTEE], grantee)):
                self.fl.createTask(
                    self.model_id,
                    "FedAvg",
                    rounds,
                    self.people,
                    self.dataset_ids,
                    pool,
                    {"from": self.coordinator},
                )
            return
        tx = self.fl.createTask(
            self.model_id, "FedAvg", rounds, self.people, self.dataset_ids, pool, {"from": self.coordinator}
        )
        self.tasks[tx.return_value] = {
            "pool": pool,
            "rounds": rounds,
            "done": 0,
            "closed": False,
            "credited": 0,
            "committed": set(),
            "included": {},  # position -> rounds included
            "last": None,  # the last aggregate digest committed
            "version": None,  # the published final model
        }
        self.escrowed += pool

    def rule_commit(self, pick, mask):
        open_ = self._open()
        if not open_:
            return
        task = open_[mask % len(open_)]
        state, who = self.tasks[task], self.people[pick]
        round_ = state["done"] + 1
        digest = (task * 1000 + round_ * 10 + pick + 1).to_bytes(32, "big")
        if pick in state["committed"]:
            with brownie.reverts(err("FLUpdateAlreadyCommitted", task, round_, who)):
                self.fl.commitUpdate(task, round_, digest, (digest, 0), {"from": who})
        elif not self.datasets.hasAccess(self.dataset_ids[pick], who):
            with brownie.reverts(err("FLDatasetNotAccessible", self.dataset_ids[pick], who)):
                self.fl.commitUpdate(task, round_, digest, (digest, 0), {"from": who})
        else:
            self.fl.commitUpdate(task, round_, digest, (digest, 0), {"from": who})
            state["committed"].add(pick)

    def rule_aggregate(self, mask, pick):
        open_ = self._open()
        if not open_:
            return
        task = open_[pick % len(open_)]
        state = self.tasks[task]
        round_ = state["done"] + 1
        committed_mask = sum(1 << i for i in state["committed"])
        if mask & ~committed_mask:
            missing = min(i for i in range(5) if mask >> i & 1 and not committed_mask >> i & 1)
            with brownie.reverts(err("FLIncludedWithoutUpdate", task, round_, missing + 1)):
                self.fl.commitAggregate(
                    task, round_, b"\x01" * 32, (b"\x02" * 32, 1), mask, {"from": self.coordinator}
                )
            mask &= committed_mask
        aggregate = hashlib.sha256(b"aggregate %d %d" % (task, round_)).digest()
        tx = self.fl.commitAggregate(
            task, round_, aggregate, (b"\x02" * 32, 1), mask, {"from": self.coordinator}
        )
        state["last"] = aggregate
        for i in (i for i in range(5) if mask >> i & 1):
            state["included"][i] = state["included"].get(i, 0) + 1
        if round_ == state["rounds"]:
            reserved = tx.events["FederatedDigestReserved"]
            assert (bytes(reserved["weightsDigest"]), reserved["taskId"]) == (_weights(aggregate), task)
        else:
            assert "FederatedDigestReserved" not in tx.events
        included = [i for i in range(5) if mask >> i & 1]
        each = state["pool"] // state["rounds"] // len(included) if included else 0
        assert tx.events["AggregateCommitted"]["rewardEach"] == each
        assert tx.events["AggregateCommitted"]["committedMask"] == committed_mask
        for i in included:
            self.earned[(task, i)] = self.earned.get((task, i), 0) + each
        state["credited"] += each * len(included)
        state["done"] = round_
        state["committed"] = set()

    def rule_claim(self, pick, mask):
        if not self.tasks:
            return
        task = sorted(self.tasks)[mask % len(self.tasks)]
        who = self.people[pick]
        owed = self.earned.get((task, pick), 0)
        if owed == 0:
            with brownie.reverts(err("FLNothingToClaim", task, who)):
                self.fl.claimReward(task, {"from": who})
            return
        self.fl.claimReward(task, {"from": who})
        self.earned[(task, pick)] = 0
        self.claimed[(task, pick)] = self.claimed.get((task, pick), 0) + owed
        self.paid_out += owed

    def rule_close(self, pick):
        if not self.tasks:
            return
        task = sorted(self.tasks)[pick % len(self.tasks)]
        state = self.tasks[task]
        if state["closed"]:
            with brownie.reverts(err("FLTaskClosed", task)):
                self.fl.closeTask(task, {"from": self.coordinator})
            return
        tx = self.fl.closeTask(task, {"from": self.coordinator})
        assert tx.events["TaskClosed"]["refund"] == state["pool"] - state["credited"]
        state["closed"] = True
        self.paid_out += state["pool"] - state["credited"]

    def rule_publish(self, pick, mask):
        if not self.tasks:
            return
        task = sorted(self.tasks)[mask % len(self.tasks)]
        state = self.tasks[task]
        cited = sorted({self.dataset_ids[i] for i in state["included"]})
        weights = _weights(state["last"]) if state["last"] else b"\x07" * 32

        def publish(ids, digest=weights):
            return self.fl.publishFinalModel(
                task, digest, (b"\x03" * 32, 1), (b"\x04" * 32, 1), ids, {"from": self.coordinator}
            )

        if state["done"] < state["rounds"]:
            with brownie.reverts(err("FLTaskNotFinished", task, state["done"], state["rounds"])):
                publish(cited)
            return
        if state["version"] is not None:
            with brownie.reverts(err("ModelDigestPublished", weights, state["version"])):
                publish(cited)
            return
        excluded = [i for i in range(5) if i not in state["included"]]
        if excluded and pick % 2:  # citing an excluded participant's dataset is refused
            extra = self.dataset_ids[excluded[pick % len(excluded)]]
            with brownie.reverts(err("FLCitationNotIncluded", task, extra)):
                publish(sorted([*cited, extra]))
        if cited and pick % 3 == 0:  # leaving an included one out is refused
            with brownie.reverts(err("FLCitationMissing", task, cited[0])):
                publish(cited[1:])
        with brownie.reverts(err("ModelDigestNotReserved", b"\x07" * 32, task)):
            publish(cited, b"\x07" * 32)  # other weights cannot cite the participants
        tx = publish(cited)
        version = tx.return_value
        assert ("DatasetCited" in tx.events) == bool(cited)
        if cited:
            assert [e["datasetId"] for e in tx.events["DatasetCited"]] == cited
        assert tx.events["VersionTrainedFederated"] == {
            "versionId": version,
            "taskId": task,
            "rounds": state["rounds"],
        }
        assert tx.events["VersionPublished"]["publisher"] == self.coordinator
        state["version"] = version

    def rule_squat(self, pick):
        """Anyone trying to take a task's reserved final digest through the ordinary path is refused."""
        finished = [t for t, s in self.tasks.items() if s["done"] == s["rounds"] and s["version"] is None]
        if not finished:
            return
        task = finished[pick % len(finished)]
        weights = _weights(self.tasks[task]["last"])
        squatter = self.people[pick]
        salt = (pick + 1).to_bytes(16, "big")
        committed = commitment(squatter, weights, salt)
        if self.models.commitmentTime(committed) == 0:
            self.models.commitVersion(committed, {"from": squatter})
        chain.sleep(self.models.MIN_COMMIT_AGE())
        model_id = self.models.modelIdByName(squatter, "squat")
        if model_id == 0:
            self.models.registerModel("squat", {"from": squatter})
            model_id = self.models.modelCount()
        with brownie.reverts(err("ModelDigestReserved", weights, task)):
            self.models.publishVersion(
                model_id, weights, salt, (weights, 0), (weights, 0), [], [], {"from": squatter}
            )

    def rule_time_passes(self, seconds):
        chain.sleep(seconds)
        chain.mine()

    def invariant_escrow_is_pools_minus_payouts(self):
        assert self.token.balanceOf(self.fl) == self.escrowed - self.paid_out

    def invariant_tasks_match_the_model(self):
        for task, state in self.tasks.items():
            t = self.fl.getTask(task)
            assert (t["aggregatedRounds"], t["closed"], t["credited"]) == (
                state["done"],
                state["closed"],
                state["credited"],
            )
            assert state["credited"] <= state["pool"]
            total = 0
            for i, who in enumerate(self.people):
                p = self.fl.participantOf(task, who)
                assert p["earned"] == self.earned.get((task, i), 0)
                total += p["earned"] + self.claimed.get((task, i), 0)
                assert p["includedRounds"] == state["included"].get(i, 0)
                if not state["closed"] and state["done"] < state["rounds"]:
                    assert (p["committedRound"] == state["done"] + 1) == (i in state["committed"])
            assert total == state["credited"]
            if state["last"] is None:
                continue
            weights = _weights(state["last"])
            finished = state["done"] == state["rounds"]
            reserved = task if finished and state["version"] is None else 0
            assert self.models.reservedFor(weights) == reserved
            assert self.models.versionIdByDigest(weights) == (state["version"] or 0)


def _weights(aggregate):
    """The weights digest of the one-file model holding an aggregate: SHA-256 of its SHA-256."""
    return hashlib.sha256(aggregate).digest()


def test_federated_invariants(
    state_machine, accounts, token, datasets, models, FederatedTraining, admin, fund
):
    fl = FederatedTraining.deploy(datasets, models, token, {"from": admin})
    models.setFederatedTraining(fl, {"from": admin})
    settings = {
        "max_examples": 12,
        "stateful_step_count": 16,
        "suppress_health_check": [HealthCheck.data_too_large, HealthCheck.too_slow],
    }
    state_machine(FederatedMachine, accounts, token, datasets, models, fl, fund, settings=settings)
