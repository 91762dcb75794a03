"""Issue 11 item 3: one person with several accounts tries to mint rewards beyond the stated bound.

The attack the audit measured: owner accounts create datasets for free and list them, a buyer account
of the same person buys each one (the fee comes back to the buyer, so it is recycled), publishes one
version citing them all, and the owners claim: k x datasetEpochCap minted per epoch for nothing. With
the reward share burned out of every fee, the bound in IRewards holds: rewards never mint more than
purchases burned, so the colluders' combined balance can only fall, however many datasets, accounts,
epochs and recycled fees they use.
"""

from brownie import chain
from brownie.test import strategy
from conftest import DATASET_EPOCH_CAP, DAY, EPOCH, cid, commit, digest, model_dataset_input, public_key, salt
from hypothesis import HealthCheck

from scripts.datasets_support import committed_register

OWNERS = (1, 2, 3)
BUYERS = (4, 5)
# A high price: 30 days cost 30,000 tokens, whose 10 % (3,000) is cut to the 500-token epoch cap.
PRICE = 1_000 * 10**18
SEED = 10**8 * 10**18


def _setup(accounts, token, datasets, models, market, fund):
    for i in OWNERS:
        datasets.setOperator(market, True, {"from": accounts[i]})
    for i in BUYERS:
        if models.modelIdByName(accounts[i], "laundered") == 0:
            models.registerModel("laundered", {"from": accounts[i]})
        token.approve(market, 2**256 - 1, {"from": accounts[i]})
        fund(accounts[i], SEED)


def _colluders(accounts):
    return [accounts[i] for i in OWNERS + BUYERS]


class CollusionMachine:
    owner_pick = strategy("uint8", max_value=len(OWNERS) - 1)
    buyer_pick = strategy("uint8", max_value=len(BUYERS) - 1)
    dataset_pick = strategy("uint256", max_value=10**6)
    count = strategy("uint8", min_value=1, max_value=6)
    seconds = strategy("uint32", min_value=1, max_value=9 * DAY)

    def __init__(cls, accounts, token, datasets, rewards, models, market, fund):
        cls.accounts, cls.token, cls.datasets = accounts, token, datasets
        cls.rewards, cls.models, cls.market = rewards, models, market
        _setup(accounts, token, datasets, models, market, fund)
        cls.start = sum(token.balanceOf(a) for a in _colluders(accounts))
        cls.start_supply = token.totalSupply()

    def setup(self):
        self.listed = []
        self.serial = 0
        self.minted = 0
        self.burned = 0

    def rule_list_datasets(self, owner_pick, count):
        """Datasets are free to create: list several at once."""
        owner = self.accounts[OWNERS[owner_pick]]
        for _ in range(count):
            self.serial += 1
            dataset = model_dataset_input(owner, 7 * 10**6 + self.serial)
            tx = committed_register(self.datasets, dataset, [], owner)
            self.market.setPrice(tx.return_value, PRICE, {"from": owner})
            self.listed.append(tx.return_value)

    def rule_buy_everything_and_recycle(self, buyer_pick):
        """The buyer buys every listed dataset; each owner hands the fee straight back."""
        buyer = self.accounts[BUYERS[buyer_pick]]
        for dataset_id in self.listed:
            owner = self.datasets.datasetOwner(dataset_id)
            tx = self.market.buyAccess(dataset_id, 30, public_key(buyer), PRICE * 30, {"from": buyer})
            burned = tx.events["AccessPurchased"]["burned"]
            self.burned += burned
            self.token.transfer(buyer, PRICE * 30 - burned, {"from": owner})

    def rule_publish_citing_everything(self, buyer_pick):
        buyer = self.accounts[BUYERS[buyer_pick]]
        cited = [d for d in self.listed if self.datasets.hasAccess(d, buyer)][-20:]
        self.serial += 1
        n = 7 * 10**6 + self.serial
        commit(self.models, buyer, n)
        model_id = self.models.modelIdByName(buyer, "laundered")
        cited = [d for d in cited if self.datasets.grantExpiry(d, buyer) > chain.time() + 60]
        self.models.publishVersion(model_id, digest(n), salt(n), cid(n), cid(n), cited, [], {"from": buyer})

    def rule_owners_claim(self):
        for i in OWNERS:
            owner = self.accounts[i]
            if self.rewards.claimable(owner):
                self.minted += self.rewards.claim({"from": owner}).return_value

    def rule_time_passes(self, seconds):
        chain.sleep(seconds)
        chain.mine()

    def invariant_colluders_never_gain(self):
        balance = sum(self.token.balanceOf(a) for a in _colluders(self.accounts))
        assert balance <= self.start
        assert balance == self.start - self.burned + self.minted

    def invariant_rewards_never_mint_more_than_was_burned(self):
        assert self.minted <= self.burned
        assert self.token.totalSupply() <= self.start_supply

    def invariant_each_dataset_within_its_epoch_cap(self):
        for dataset_id in self.listed:
            assert self.rewards.issuedThisEpoch(dataset_id) <= DATASET_EPOCH_CAP


def test_colluding_accounts_cannot_mint_beyond_the_bound(
    state_machine, accounts, token, datasets, rewards, models, market, fund
):
    settings = {
        "max_examples": 4,
        "stateful_step_count": 10,
        "suppress_health_check": [HealthCheck.data_too_large, HealthCheck.too_slow],
    }
    suite = (token, datasets, rewards, models, market, fund)
    state_machine(CollusionMachine, accounts, *suite, settings=settings)


def test_audit_scenario_eight_datasets_per_epoch_mints_nothing_for_free(
    accounts, token, datasets, rewards, models, market, fund
):
    """The audit's k = 8 in one epoch, repeated over three epochs: before the fix the pair ended
    3 x 8 x datasetEpochCap (12,000 tokens) richer; now it ends exactly where it started."""
    _setup(accounts, token, datasets, models, market, fund)
    owner, buyer = accounts[OWNERS[0]], accounts[BUYERS[0]]
    model_id = models.modelIdByName(buyer, "laundered")
    start = token.balanceOf(owner) + token.balanceOf(buyer)
    minted = 0
    for epoch in range(3):
        ids = []
        for k in range(8):
            dataset = model_dataset_input(owner, 9 * 10**6 + 10 * epoch + k)
            tx = committed_register(datasets, dataset, [], owner)
            market.setPrice(tx.return_value, PRICE, {"from": owner})
            ids.append(tx.return_value)
        for dataset_id in ids:
            tx = market.buyAccess(dataset_id, 30, public_key(buyer), PRICE * 30, {"from": buyer})
            assert tx.events["AccessPurchased"]["burned"] == DATASET_EPOCH_CAP
            token.transfer(buyer, token.balanceOf(owner), {"from": owner})
        n = 9 * 10**6 + epoch
        commit(models, buyer, n)
        tx = models.publishVersion(model_id, digest(n), salt(n), cid(n), cid(n), ids, [], {"from": buyer})
        assert len(tx.events["RewardCredited"]) == 8
        minted += rewards.claim({"from": owner}).return_value
        chain.sleep(EPOCH)
        chain.mine()
    end = token.balanceOf(owner) + token.balanceOf(buyer)
    print(f"minted {minted / 10**18:,.0f} TRAIL over 3 epochs x 8 datasets; pair balance change "
          f"{(end - start) / 10**18:+,.0f} TRAIL")
    assert minted == 3 * 8 * DATASET_EPOCH_CAP
    assert end == start  # every minted token had been burned from their own fees first
