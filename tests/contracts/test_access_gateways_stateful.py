"""Stateful test of gateway records: random grants, revocations, gateway authorisations and removals,
withdrawals and time jumps (hours to weeks), compared after every step with a plain Python model. The
invariants: a record by an unauthorised gateway reverts; an authorised one's outcome is exactly
`hasAccess` at that block, with the reason the model derives from expiry, revocation and withdrawal."""

import brownie
from brownie import chain
from brownie.test import strategy
from hypothesis import HealthCheck

from scripts.datasets_support import DAY, committed_register, dataset_input, h

ALLOWED, NO_GRANT, EXPIRED, WITHDRAWN = 0, 1, 2, 3
DURATIONS = [3600, 5 * DAY, 30 * DAY]


class GatewayModel:
    who = strategy("uint8", max_value=2)
    gw = strategy("uint8", max_value=1)
    duration = strategy("uint8", max_value=len(DURATIONS) - 1)
    hours = strategy("uint16", min_value=1, max_value=24 * 14)
    flag = strategy("bool")

    def __init__(self, registry, owner, researchers, gateways):
        self.registry, self.owner, self.researchers, self.gateways = registry, owner, researchers, gateways

    def setup(self):
        tx = committed_register(self.registry, dataset_input(self.owner, f"gw-{len(chain)}"), [], self.owner)
        self.dataset = tx.events["DatasetRegistered"]["datasetId"]
        self.expiry = {}  # researcher -> expiresAt (absent: never granted or revoked)
        self.authorised = set()
        self.withdrawn = False

    def rule_grant(self, who, duration):
        if self.withdrawn:
            return
        r = self.researchers[who]
        tx = self.registry.grantAccess(self.dataset, r, DURATIONS[duration], bytes(32), {"from": self.owner})
        self.expiry[r] = tx.events["AccessGranted"]["expiresAt"]

    def rule_revoke(self, who):
        r = self.researchers[who]
        if r in self.expiry:
            self.registry.revokeAccess(self.dataset, r, {"from": self.owner})
            del self.expiry[r]

    def rule_set_gateway(self, gw, flag):
        g = self.gateways[gw]
        self.registry.setGateway(self.dataset, g, h("key") if flag else bytes(32), {"from": self.owner})
        (self.authorised.add if flag else self.authorised.discard)(g)

    def rule_sleep(self, hours):
        chain.sleep(hours * 3600)
        chain.mine()

    def rule_withdraw_rarely(self, who, flag):
        if flag and who == 0 and not self.withdrawn and len(chain) % 7 == 0:
            self.registry.withdrawDataset(self.dataset, h("withdrawn"), {"from": self.owner})
            self.withdrawn = True

    def rule_record(self, who, gw):
        r, g = self.researchers[who], self.gateways[gw]
        if g not in self.authorised:
            with brownie.reverts(f"GatewayUnauthorized: {self.dataset}, {g.address.lower()}"):
                self.registry.recordGatewayAccess.call(self.dataset, r, {"from": g})
            return
        tx = self.registry.recordGatewayAccess(self.dataset, r, {"from": g})
        event = tx.events["GatewayAccessRecorded"]
        now = chain[tx.block_number].timestamp
        if self.withdrawn:
            expected = WITHDRAWN
        elif r not in self.expiry:
            expected = NO_GRANT
        else:
            expected = ALLOWED if now < self.expiry[r] else EXPIRED
        assert (event["allowed"], event["reason"]) == (expected == ALLOWED, expected)
        assert event["researcher"] == r and event["gateway"] == g

    def invariant_authorisation_matches(self):
        for g in self.gateways:
            assert self.registry.isGateway(self.dataset, g) == (g in self.authorised)


def test_gateway_records_follow_the_model(state_machine, registry, accounts):
    state_machine(
        GatewayModel,
        registry,
        accounts[1],
        list(accounts[2:5]),
        list(accounts[5:7]),
        settings={
            "max_examples": 15,
            "stateful_step_count": 20,
            "suppress_health_check": [HealthCheck.data_too_large, HealthCheck.too_slow],
        },
    )
