"""Stateful: random purchases, grants, publications, claims, withdrawals and time jumps.

A plain Python model of vouchers, credits and claims is compared with the contracts after every step.
Invariants: token supply == sum of balances <= cap; supply == seeded + claimed - burned, and claimed <=
burned (every reward was burned out of a fee first); per account credited == claimable + claimed, and
both equal the model; every version's lineage points only at registered datasets and earlier versions.
"""

import brownie
from brownie import chain
from brownie.test import strategy
from conftest import (
    CAP,
    DATASET_EPOCH_CAP,
    DAY,
    PRICE_PER_DAY,
    REWARD_BPS,
    cid,
    commit,
    digest,
    err,
    model_dataset_input,
    public_key,
    salt,
)
from hypothesis import HealthCheck

from scripts.datasets_support import committed_register

OWNERS = (1, 2, 3)
PUBLISHERS = (4, 5, 6)


class RewardsMachine:
    dataset_pick = strategy("uint256", max_value=10**6)
    publisher_pick = strategy("uint8", max_value=2)
    owner_pick = strategy("uint8", max_value=2)
    account_pick = strategy("uint8", max_value=5)
    days = strategy("uint16", min_value=1, max_value=40)
    subset = strategy("uint8", max_value=2**8 - 1)
    seconds = strategy("uint32", min_value=1, max_value=10 * DAY)
    history = strategy("uint32[24]")

    def __init__(cls, accounts, token, datasets, rewards, models, market, fund):
        cls.accounts = accounts
        cls.token, cls.datasets, cls.rewards = token, datasets, rewards
        cls.models, cls.market = models, market
        cls.fund = staticmethod(fund)  # a plain function, not a method of the machine
        for i in OWNERS:
            datasets.setOperator(market, True, {"from": accounts[i]})
        for i in PUBLISHERS:
            models.registerModel("m", {"from": accounts[i]})
            token.approve(market, 2**256 - 1, {"from": accounts[i]})
        cls.model_of = {accounts[i].address: n + 1 for n, i in enumerate(PUBLISHERS)}
        # Datasets that exist before every run, so purchases and citations start at the first step.
        cls.initial_datasets = {}
        for n, i in enumerate(OWNERS + OWNERS[:1]):
            owner = accounts[i]
            tx = committed_register(datasets, model_dataset_input(owner, 5 * 10**6 + n), [], owner)
            dataset_id = tx.return_value
            market.setPrice(dataset_id, PRICE_PER_DAY, {"from": owner})
            cls.initial_datasets[dataset_id] = owner.address
        cls.genesis_epoch = rewards.currentEpoch()
        cls.base_supply = token.totalSupply()

    def setup(self):
        self.dataset_owner = dict(self.initial_datasets)  # id -> owner address
        self.withdrawn = set()
        self.vouchers = {}  # (dataset, buyer) -> amount
        self.issued = {}  # dataset -> (epoch, amount)
        self.credited = {}
        self.claimed = {}
        self.seeded = 0
        self.burned = 0
        self.lineage = {}  # version id -> (datasets, parents)
        self.serial = 0

    # --- rules ------------------------------------------------------------------------------------

    def rule_register_dataset(self, owner_pick):
        owner = self.accounts[OWNERS[owner_pick]]
        self.serial += 1
        tx = committed_register(self.datasets, model_dataset_input(owner, 10**6 + self.serial), [], owner)
        dataset_id = tx.return_value
        self.dataset_owner[dataset_id] = owner.address
        self.market.setPrice(dataset_id, PRICE_PER_DAY, {"from": owner})

    def _buy(self, dataset_pick, publisher_pick, days):
        if not self.dataset_owner:
            return
        dataset_id = sorted(self.dataset_owner)[dataset_pick % len(self.dataset_owner)]
        buyer = self.accounts[PUBLISHERS[publisher_pick]]
        fee = PRICE_PER_DAY * days
        self.fund(buyer, fee)
        self.seeded += fee
        if dataset_id in self.withdrawn:
            with brownie.reverts(err("DatasetIsWithdrawn", dataset_id)):
                self.market.buyAccess(dataset_id, days, public_key(buyer), fee, {"from": buyer})
            return
        tx = self.market.buyAccess(dataset_id, days, public_key(buyer), fee, {"from": buyer})
        epoch = self.rewards.currentEpoch()  # the block just mined is the purchase's block
        last_epoch, issued = self.issued.get(dataset_id, (epoch, 0))
        if last_epoch != epoch:
            issued = 0
        amount = min(fee * REWARD_BPS // 10_000, max(DATASET_EPOCH_CAP - issued, 0))
        if amount:
            assert tx.events["VoucherIssued"]["amount"] == amount
            self.issued[dataset_id] = (epoch, issued + amount)
            key = (dataset_id, buyer.address)
            self.vouchers[key] = self.vouchers.get(key, 0) + amount
            self.burned += amount
            assert tx.events["AccessPurchased"]["burned"] == amount
        else:
            assert "VoucherIssued" not in tx.events

    def _publish(self, publisher_pick, subset, dataset_pick, trespass):
        """Cite a subset of what the publisher may cite; with `trespass`, also one dataset it may not."""
        publisher = self.accounts[PUBLISHERS[publisher_pick]]
        ids = sorted(self.dataset_owner)
        allowed = [d for d in ids if self.datasets.hasAccess(d, publisher)]
        chosen = [d for k, d in enumerate(allowed[-8:]) if subset >> k & 1]
        if trespass:
            refused = [d for d in ids if d not in allowed]
            if refused:
                chosen = sorted([*chosen, refused[dataset_pick % len(refused)]])
        self.serial += 1
        n = 10**6 + self.serial
        commit(self.models, publisher, n)  # and MIN_COMMIT_AGE passes
        chain.mine()
        # Skip publications whose access would flip between this check and the mined block.
        now = chain[-1].timestamp
        for d in chosen:
            expiry = self.datasets.grantExpiry(d, publisher)
            if now - 5 <= expiry <= now + 5:
                return
        citable = all(self.datasets.hasAccess(d, publisher) for d in chosen)
        version_count = self.models.versionCount()
        parents = [v for v in (dataset_pick % (version_count + 1),) if v]
        args = (self.model_of[publisher.address], digest(n), salt(n), cid(n), cid(n), chosen, parents)
        if not citable:
            # Unknown, withdrawn and not-granted datasets each have their own error (test_model_registry).
            with brownie.reverts():
                self.models.publishVersion(*args, {"from": publisher})
            return
        tx = self.models.publishVersion(*args, {"from": publisher})
        version_id = version_count + 1
        events = tx.events
        cited = [e["datasetId"] for e in events["DatasetCited"]] if "DatasetCited" in events else []
        derived = (
            [e["parentVersionId"] for e in events["VersionDerived"]] if "VersionDerived" in events else []
        )
        self.lineage[version_id] = (cited, derived)
        for d in chosen:
            amount = self.vouchers.pop((d, publisher.address), 0)
            owner = self.dataset_owner[d]
            if amount and owner != publisher.address:
                self.credited[owner] = self.credited.get(owner, 0) + amount

    def initialize_history(self, history):
        """Four rounds before the free-form steps: Hypothesis often ends a run after a step or two, and
        the interesting states (vouchers, credits, claims across epochs) need a few rounds to build."""
        for k in range(0, 24, 6):
            a, b, c, d, e, f = history[k : k + 6]
            self.rule_round(a, b % 3, c % 40 + 1, d % 256, e % 6, f % (10 * DAY) + 1)

    def rule_round(self, dataset_pick, publisher_pick, days, subset, account_pick, seconds):
        """A purchase, a publication citing a subset of what the publisher may cite, a claim, time."""
        self._buy(dataset_pick, publisher_pick, days)
        self._publish(publisher_pick, subset | 1, dataset_pick, False)
        self.rule_claim(account_pick)
        self.rule_time_passes(seconds)

    def rule_publish_trespassing(self, publisher_pick, subset, dataset_pick):
        self._publish(publisher_pick, subset, dataset_pick, True)

    def rule_claim(self, account_pick):
        account = self.accounts[(OWNERS + PUBLISHERS)[account_pick]]
        owed = self.credited.get(account.address, 0) - self.claimed.get(account.address, 0)
        if owed == 0:
            with brownie.reverts(err("RewardsNothingToClaim", account)):
                self.rewards.claim({"from": account})
            return
        tx = self.rewards.claim({"from": account})
        assert tx.events["RewardClaimed"]["amount"] == owed
        self.claimed[account.address] = self.credited[account.address]

    def rule_withdraw(self, dataset_pick):
        live = sorted(set(self.dataset_owner) - self.withdrawn)
        if not live:
            return
        dataset_id = live[dataset_pick % len(live)]
        owner = self.dataset_owner[dataset_id]
        self.datasets.withdrawDataset(dataset_id, b"\x01" * 32, {"from": owner})
        self.withdrawn.add(dataset_id)

    def rule_time_passes(self, seconds):
        chain.sleep(seconds)
        chain.mine()

    # --- invariants -------------------------------------------------------------------------------

    def invariant_supply_is_sum_of_balances_within_cap(self):
        supply = self.token.totalSupply()
        assert supply == sum(self.token.balanceOf(a) for a in self.accounts)
        assert supply <= CAP
        claimed = sum(self.claimed.values())
        assert supply == self.base_supply + self.seeded + claimed - self.burned
        assert claimed <= self.burned

    def invariant_credited_is_claimable_plus_claimed(self):
        for account in [self.accounts[i] for i in OWNERS + PUBLISHERS]:
            credited, claimed = self.rewards.accountOf(account)
            assert credited == claimed + self.rewards.claimable(account)
            assert credited == self.credited.get(account.address, 0)
            assert claimed == self.claimed.get(account.address, 0)
        for (d, buyer), amount in self.vouchers.items():
            assert self.rewards.voucherOf(d, buyer) == amount

    def invariant_lineage_points_at_registered_datasets_and_earlier_versions(self):
        assert self.models.versionCount() >= len(self.lineage)
        count = self.datasets.datasetCount()
        for version_id, (cited, parents) in self.lineage.items():
            assert all(1 <= d <= count and d in self.dataset_owner for d in cited)
            assert all(1 <= p < version_id for p in parents)


def test_rewards_and_lineage_invariants(
    state_machine, accounts, token, datasets, rewards, models, market, fund
):
    # Few, long-ish runs: each step is several transactions on Anvil; time jumps of up to 10 days
    # cross EPOCH (7 days) boundaries and grant expiries within a run.
    settings = {
        "max_examples": 6,
        "stateful_step_count": 12,
        # a generation limit, not a finding: it must not fail CI at random
        "suppress_health_check": [HealthCheck.data_too_large, HealthCheck.too_slow],
    }
    state_machine(RewardsMachine, accounts, token, datasets, rewards, models, market, fund, settings=settings)
