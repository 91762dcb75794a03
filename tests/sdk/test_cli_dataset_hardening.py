"""Issue 11, dataset side, through the CLI on the embedded default (LocalChain, local store): the
commit-reveal registration stays one command and re-runnable, signed grants can be cancelled, the audit
summarises strangers' denied attempts and does not call a market purchase a key delivery.

Tests in this module share one chain and run in file order: a later one builds on earlier state.
"""

import pytest

from aitrail.chain.accounts import dev_account
from aitrail.chain.contracts import DatasetRegistryClient
from aitrail.config import Settings
from aitrail.errors import ChainUnreachableError
from aitrail.flows import Session
from tests.cli_support import cli, private_home

OWNER, RESEARCHER, BUYER = "anvil1", "anvil2", "anvil4"
STRANGERS = ("anvil5", "anvil6", "anvil7")
BUYER_ADDRESS = dev_account(BUYER).address


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    with private_home(tmp_path_factory.mktemp("aitrail-home")) as root:
        cli("deploy", "--treasury", "1000")
        yield root


def registry():
    return Session.open(Settings.resolve(None, None)).suite.datasets


def test_a_crash_between_commit_and_reveal_is_completed_by_a_rerun_without_a_second_commit(home, monkeypatch):
    path = home / "cohort.csv"
    path.write_text("id,age\np1,54\np2,61\n")
    real = DatasetRegistryClient.register

    def crash_after_commit(self, *args, **kwargs):
        raise ChainUnreachableError("http://127.0.0.1", "connection reset")

    monkeypatch.setattr(DatasetRegistryClient, "register", crash_after_commit)
    line = cli("dataset", "register", path, "--name", "cohort", "--license", "CC0", account=OWNER, ok=False)
    assert line == "chain unreachable at http://127.0.0.1: connection reset"
    reg = registry()
    (committed,) = reg.events("RegistrationCommitted")
    commitment = bytes(committed["args"]["commitment"])
    assert reg.committed_at(commitment) == committed["args"]["committedAt"] > 0
    assert reg.count() == 0

    monkeypatch.setattr(DatasetRegistryClient, "register", real)
    r = cli("dataset", "register", path, "--name", "cohort", "--license", "CC0", account=OWNER)
    assert r["id"] == 1 and r["reusedUpload"] is True
    assert len(reg.events("RegistrationCommitted")) == 1  # the re-run found its commitment
    assert len(reg.events("DatasetRegistered")) == 1
    assert reg.committed_at(commitment) == 0  # used up by the reveal
    assert reg.get(1).owner.lower() == cli("dataset", "show", 1)["owner"].lower()
    assert cli("dataset", "list") and len(cli("dataset", "list")) == 1


def test_one_register_command_commits_then_reveals(home):
    path = home / "second.csv"
    path.write_text("id,v\na,1\n")
    reg = registry()
    before = len(reg.events("RegistrationCommitted"))
    r = cli("dataset", "register", path, "--name", "second", "--license", "CC0", account=OWNER)
    commits = reg.events("RegistrationCommitted")
    (registered,) = reg.events("DatasetRegistered", datasetId=r["id"])
    assert len(commits) == before + 1
    delay = reg.registration_delay()
    assert delay == 1  # a development chain's delay (60 s elsewhere)
    assert registered["args"]["registeredAt"] >= commits[-1]["args"]["committedAt"] + delay


def test_owner_cancels_one_of_two_outstanding_signed_grants(home, tmp_path):
    cli("access", "request", 1, "--purpose", "signed", account=RESEARCHER)
    first, second = tmp_path / "g1.json", tmp_path / "g2.json"
    cli("access", "sign", 1, RESEARCHER, "--days", "5", "-o", first, account=OWNER)
    cli("access", "sign", 1, RESEARCHER, "--days", "9", "-o", second, account=OWNER)
    line = cli("access", "cancel", first, account=RESEARCHER, ok=False)
    assert line.startswith(f"{first} was signed by ") and "not by" in line
    cancelled = cli("access", "cancel", first, account=OWNER)
    reg = registry()
    (event,) = reg.events("AccessGrantSignatureCancelled")
    assert event["transactionHash"].to_0x_hex() == cancelled["tx"]
    line = cli("access", "submit", first, account=RESEARCHER, ok=False)
    assert line.startswith("signed grant ") and line.endswith("was already submitted or cancelled")
    assert cli("access", "status", account=RESEARCHER)[0]["status"] == "requested"
    granted = cli("access", "submit", second, account=RESEARCHER)  # the other one still works
    assert cli("access", "status", account=RESEARCHER)[0]["expiresAt"] == granted["expiresAt"]


def test_strangers_denied_attempts_are_summarised_not_listed(home, tmp_path):
    for stranger in STRANGERS:
        for _ in range(2):
            cli("dataset", "fetch", 2, "-o", tmp_path / stranger, account=stranger, ok=False)
    cli("access", "request", 2, "--purpose", "pending", account=RESEARCHER)
    line = cli("dataset", "fetch", 2, "-o", tmp_path / "r", account=RESEARCHER, ok=False)
    assert "has no access to dataset 2" in line
    audit = cli("audit", "dataset", 2)
    logged = [r for r in audit["trail"] if r["event"] == "AccessLogged"]
    # the requester's own denial, listed, and one summary row (at the strangers' last attempt)
    assert len(logged) == 2
    summary, own = logged
    assert summary["detail"].startswith("6 denied attempts by 3 accounts that never requested or held")
    assert own["detail"].endswith("fetch attempt: access check DENIED") and own["tx"] in line
    assert audit["strangerAttempts"]["attempts"] == 6
    assert len(audit["strangerAttempts"]["accounts"]) == 3


def test_a_market_purchase_is_not_shown_as_a_key_delivery_until_the_owner_delivers(home):
    # The market grants with no key ref (a buyer cannot choose one: buyAccess takes the buyer's public
    # key instead), so the audit must not call the purchase a delivery; the owner's deliverKey is one.
    cli("access", "price", 1, "1", account=OWNER)
    cli("rewards", "send", BUYER, "10")
    cli("access", "buy", 1, "--days", "2", account=BUYER)
    trail = cli("audit", "dataset", 1)["trail"]
    grants = [r for r in trail if r["event"] == "AccessGranted"]
    bought, signed = grants[-1], grants[0]
    assert "delivered" not in bought["detail"]
    assert signed["detail"].endswith("(data key delivered)")  # the owner's signed grant
    cli("access", "deliver", 1, BUYER, account=OWNER)
    deliveries = [r for r in cli("audit", "dataset", 1)["trail"] if r["event"] == "AccessKeyDelivered"]
    assert len(deliveries) == 1 and BUYER_ADDRESS in deliveries[0]["detail"]
