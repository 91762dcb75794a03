"""Three parties, three homes, one chain, one real IPFS node.

A hospital (owner), a researcher and an auditor each have their own AITRAIL_HOME and share only the chain's
RPC URL (one Anvil) and the IPFS node's API (the session's js-ipfs node). Everything is driven through the
`aitrail` CLI as separate processes, as on three machines. The second and third homes join the deployment
with `deploy --find` (no file copied from the owner's home); everything one party reads that another wrote
(metadata, the purpose text, the wrapped key) comes from the chain plus the shared node.

Accounts are Anvil's public test accounts by name (`anvil1`, `anvil2`): no key or password is handed to a
child process. The auditor's home has no account and no keystore.
"""

from pathlib import Path

import pytest
from web3 import HTTPProvider, Web3

from aitrail.chain.accounts import dev_account
from tests.cli_support import party_runner

DAY = 86_400
PURPOSE = "Train a readmission-risk model for the 2027 cardiology study (IRB 2026-114)"
OWNER, RESEARCHER = "anvil1", "anvil2"


@pytest.fixture(scope="module")
def homes(tmp_path_factory):
    root = tmp_path_factory.mktemp("three-homes")
    return {party: root / party for party in ("owner", "researcher", "auditor")}


@pytest.fixture(scope="module")
def run(devchain, ipfs_node, homes):
    return party_runner(homes, devchain.url, ipfs_node.api_url)


def _details(trail):
    return [(row["event"], row["detail"]) for row in trail["trail"]]


def test_three_homes_share_only_the_chain_and_the_ipfs_node(run, homes, devchain, tmp_path):
    researcher_address = dev_account(RESEARCHER).address

    # The owner deploys; the two other homes find that deployment from the chain alone.
    deployed = run("owner", "deploy", account=OWNER)
    assert len(deployed["deployed"]) == 6
    for party in ("researcher", "auditor"):
        assert not (homes[party] / "deployments").exists()
        found = run(party, "deploy", "--find")
        assert found["addresses"] == deployed["addresses"]
        assert found["deployed"] == [] and found["wired"] == []

    data = tmp_path / "visits.csv"
    rows = "".join(f"p{i:03d},{40 + i % 37},{i % 3 == 0}\n" for i in range(200))
    data.write_text("id,age,readmitted\n" + rows)
    registered = run(
        "owner", "dataset", "register", data, "--name", "Cardiology visits 2026", "--license", "CC-BY-NC-4.0",
        account=OWNER,
    )
    dataset = registered["id"]
    assert registered["records"] == 200

    run("researcher", "access", "request", dataset, "--purpose", PURPOSE, "--days", 30, account=RESEARCHER)

    (pending,) = run("owner", "access", "requests", dataset, account=OWNER)
    assert pending["researcher"] == researcher_address
    assert pending["purpose"] == PURPOSE  # the text itself, read from the shared node, not a digest
    assert pending["days"] == 30

    granted = run("owner", "access", "grant", dataset, researcher_address, "--days", 30, account=OWNER)
    assert granted["grantee"] == researcher_address

    shown = run("researcher", "dataset", "show", dataset, account=RESEARCHER)
    assert (shown["name"], shown["license"]) == ("Cardiology visits 2026", "CC-BY-NC-4.0")
    assert shown["file"] == "visits.csv"

    out = tmp_path / "researcher-copy"
    fetched = run("researcher", "dataset", "fetch", dataset, "-o", out, account=RESEARCHER)
    assert Path(fetched["path"]).read_bytes() == data.read_bytes()
    assert oct(Path(fetched["path"]).stat().st_mode & 0o777) == "0o600"

    # The auditor, with no account, rebuilds the whole trail, the request's purpose included.
    trail = _details(run("auditor", "audit", "dataset", dataset))
    events = [event for event, _ in trail]
    assert events[:4] == ["DatasetRegistered", "AccessRequested", "AccessGranted", "AccessLogged"]
    assert trail[1][1] == f"{researcher_address} requested 30 days, purpose: {PURPOSE!r}"
    assert trail[2][1].endswith("(data key delivered)")
    assert trail[3][1] == f"{researcher_address} fetch attempt: access check ALLOWED"

    # 31 days later, on the shared chain: denied, and the denial is on record for the auditor.
    w3 = Web3(HTTPProvider(devchain.url))
    w3.provider.make_request("evm_increaseTime", [31 * DAY])
    w3.provider.make_request("evm_mine", [])
    later = tmp_path / "later"
    denied = run("researcher", "dataset", "fetch", dataset, "-o", later, account=RESEARCHER, ok=False)
    assert f"access of {researcher_address} to dataset {dataset} expired on " in denied
    assert not (later / "visits.csv").exists()
    trail = _details(run("auditor", "audit", "dataset", dataset))
    assert trail[-1] == ("AccessLogged", f"{researcher_address} fetch attempt: access check DENIED")

    # Nothing went through a home's own store: the three homes hold no blocks.
    for party in homes:
        assert not (homes[party] / "store").exists()
