"""The CLI end to end on the embedded default (a LocalChain under a temporary AITRAIL_HOME, local store):
every role's flow, and one clear line + non-zero exit + nothing half-done for each bad input.

Tests in this module share one chain and run in file order: a later one builds on earlier state.
"""

import json

import pytest
from click.testing import CliRunner
from web3 import HTTPProvider, Web3

from aitrail.chain.contracts import DatasetRegistryClient
from aitrail.chain.local import LocalChain
from aitrail.cid import CID
from aitrail.cli import main
from aitrail.errors import ChainUnreachableError
from tests.cli_support import cli, private_home

OWNER, RESEARCHER, STRANGER = "anvil1", "anvil2", "anvil3"


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    with private_home(tmp_path_factory.mktemp("aitrail-home")) as root:
        yield root




def w3_of(home):
    return Web3(HTTPProvider(LocalChain(home).url))


def time_travel(home, seconds):
    w3 = w3_of(home)
    w3.provider.make_request("evm_increaseTime", [seconds])
    w3.provider.make_request("evm_mine", [])


@pytest.fixture(scope="module")
def data(home):
    path = home / "patients.csv"
    path.write_text("id,age,diagnosis\np1,54,benign\np2,61,malignant\np3,47,benign\n")
    return path


def test_deploy_then_a_second_deploy_sends_nothing(home):
    first = cli("deploy", "--treasury", "1000")
    assert sorted(first["deployed"]) == [
        "AccessMarket",
        "DatasetRegistry",
        "FederatedTraining",
        "ModelRegistry",
        "RewardToken",
        "Rewards",
    ]
    second = cli("deploy")
    assert second["deployed"] == [] and second["wired"] == []
    assert second["addresses"] == first["addresses"]


def test_owner_registers_and_lists(home, data):
    r = cli("dataset", "register", data, "--name", "patients", "--license", "CC-BY-4.0", account=OWNER)
    assert r["id"] == 1 and r["records"] == 3 and r["alreadyRegistered"] is False
    shown = cli("dataset", "show", 1)
    assert shown["name"] == "patients" and shown["withdrawn"] is False
    assert shown["owner"] == Web3.to_checksum_address(shown["owner"])
    assert [d["id"] for d in cli("dataset", "list")] == [1]
    again = cli("dataset", "register", data, "--name", "patients", "--license", "CC-BY-4.0", account=OWNER)
    assert again["alreadyRegistered"] is True and again["id"] == 1


def test_a_failed_register_is_rerun_with_the_same_upload_and_registers_once(home, monkeypatch):
    path = home / "second.csv"
    path.write_text("id,v\na,1\nb,2\n")
    real = DatasetRegistryClient.register
    calls = []

    def flaky(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise ChainUnreachableError("http://127.0.0.1", "connection reset")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(DatasetRegistryClient, "register", flaky)
    line = cli("dataset", "register", path, "--name", "second", "--license", "CC0", account=OWNER, ok=False)
    assert line == "chain unreachable at http://127.0.0.1: connection reset"
    blocks = sorted(p.name for p in (home / "store" / "blocks").rglob("*") if p.is_file())
    r = cli("dataset", "register", path, "--name", "second", "--license", "CC0", account=OWNER)
    assert r["reusedUpload"] is True and r["id"] == 2
    assert sorted(p.name for p in (home / "store" / "blocks").rglob("*") if p.is_file()) == blocks
    assert len(cli("dataset", "list")) == 2


def test_researcher_requests_owner_grants_researcher_fetches(home, data, tmp_path):
    cli("access", "request", 1, "--purpose", "survival analysis", account=RESEARCHER)
    pending = cli("access", "requests", 1, account=OWNER)
    assert [(p["purpose"], p["days"]) for p in pending] == [("survival analysis", 30)]
    granted = cli("access", "grant", 1, RESEARCHER, account=OWNER)
    now = w3_of(home).eth.get_block("latest")["timestamp"]
    assert granted["expiresAt"] == now + 30 * 86400
    assert cli("access", "requests", 1, account=OWNER) == []
    status = cli("access", "status", account=RESEARCHER)
    assert [(s["dataset"], s["status"]) for s in status] == [(1, "active")]
    fetched = cli("dataset", "fetch", 1, "-o", tmp_path, account=RESEARCHER)
    assert (tmp_path / "patients.csv").read_bytes() == data.read_bytes()
    assert fetched["size"] == data.stat().st_size


def test_engineer_publishes_and_anyone_verifies_and_reads_lineage(home, tmp_path):
    weights = tmp_path / "model"
    weights.mkdir()
    (weights / "w.bin").write_bytes(b"\x01\x02\x03")
    (weights / "config.json").write_text("{}")
    metrics = tmp_path / "metrics.json"
    metrics.write_text('{"auc": 0.91}')
    pub = cli(
        "model", "publish", "survival", weights, "--dataset", 1, "--metrics", metrics, account=RESEARCHER
    )
    assert pub["number"] == 1
    verified = cli("model", "verify", weights)
    assert verified["model"] == "survival" and verified["datasets"] == [1]
    lineage = cli("model", "lineage", "survival@1")
    assert lineage["versions"][0]["datasets"] == [1]
    (weights / "w.bin").write_bytes(b"\x01\x02\x04")
    assert "is not a published model version" in cli("model", "verify", weights, ok=False)


def test_a_copied_publication_is_refused_and_an_interrupted_one_resumes(home, tmp_path):
    """Issue 11 item 2 through the CLI. The engineer's run stopped right after its commitment (a crash
    between the steps); a front-runner copies the digest and salt, as the mempool would show them, onto
    its own model and is refused; the engineer re-runs `model publish` and is the digest's publisher,
    committed once. Before commit-reveal the copy became the digest's version."""
    from aitrail.config import Settings
    from aitrail.errors import ContractRevertError
    from aitrail.flows import models as model_flows
    from aitrail.flows.session import Session

    weights = tmp_path / "resume.bin"
    weights.write_bytes(b"weights worth stealing")
    digest, _ = model_flows.weights_digest(weights)
    engineer = Session.open(Settings.resolve(None, None), account=RESEARCHER)
    salt = model_flows.commit_salt(engineer, digest)
    commitment = model_flows.commitment(engineer.address, digest, salt)
    model_flows._commit(engineer, commitment)  # the first step of the interrupted run

    thief = Session.open(Settings.resolve(None, None), account=STRANGER)
    model_id, _ = thief.suite.models.register("copycat")
    cid = CID.decode("QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o")
    with pytest.raises(ContractRevertError) as copied:
        thief.suite.models.publish(model_id, digest, salt, cid, cid, [], [])
    assert copied.value.error == "ModelCommitmentUnknown"
    # (A commitment made only now would be too young on a public network: tests/contracts cover the
    # delay; the embedded chain deploys with MIN_COMMIT_AGE 0, having no mempool to race.)

    pub = cli("model", "publish", "resumed", weights, account=RESEARCHER)
    assert thief.suite.models.version_by_digest(digest) == pub["versionId"]
    verified = cli("model", "verify", weights)
    assert verified["model"] == "resumed" and verified["owner"] == engineer.address
    commits = engineer.suite.models.events("VersionCommitted", commitment=commitment)
    assert len(commits) == 1  # the re-run found its commitment and sent no second one
    assert engineer.suite.models.commitment_time(commitment) == 0  # spent by the publication
    # Running it again reports the same version and sends nothing.
    assert cli("model", "publish", "resumed", weights, account=RESEARCHER) == pub


def test_publishing_citing_a_dataset_without_access_is_refused(home, tmp_path):
    weights = tmp_path / "stolen.bin"
    weights.write_bytes(b"trained on data I may not use")
    line = cli("model", "publish", "sneaky", weights, "--dataset", 1, account=STRANGER, ok=False)
    assert line.endswith("neither owns nor has access to dataset 1, so a model cannot cite it")
    assert cli("model", "lineage", "sneaky", ok=False) == "model 'sneaky': no such model"


def test_market_refusals_leave_nothing_behind(home):
    assert cli("access", "price", 1, "2", account=STRANGER, ok=False).endswith(
        "is not the owner of dataset 1"
    )
    assert cli("access", "buy", 1, account=STRANGER, ok=False) == "dataset 1 has no access price set"
    cli("access", "price", 1, "2", account=OWNER)
    line = cli("access", "buy", 1, "--days", "3", account=STRANGER, ok=False)
    assert line.endswith("holds 0 TRAIL, needs 6 TRAIL")
    assert cli("rewards", "balance", STRANGER)["balance"] == 0


def test_a_market_buyer_gets_the_key_delivered_without_the_expiry_moving(home, data, tmp_path):
    buyer = "anvil4"
    cli("rewards", "send", buyer, "10")  # from the deployer, who holds the treasury
    # No `access request` first (issue 17): the purchase itself publishes the buyer's public key.
    bought = cli("access", "buy", 1, "--days", "3", account=buyer)
    line = cli("dataset", "fetch", 1, "-o", tmp_path / "early", account=buyer, ok=False)
    assert line.endswith("no data key was delivered yet; ask the owner to run `aitrail access deliver`")
    assert cli("access", "deliver", 1, buyer, account=STRANGER, ok=False).endswith(
        "is not the owner of dataset 1 nor its operator"
    )
    delivered = cli("access", "deliver", 1, buyer, account=OWNER)
    assert delivered["expiresAt"] == bought["expiresAt"]  # not extended by the delivery
    status = {s["dataset"]: s for s in cli("access", "status", account=buyer)}
    assert status[1]["expiresAt"] == bought["expiresAt"] and status[1]["status"] == "active"
    cli("dataset", "fetch", 1, "-o", tmp_path / "out", account=buyer)
    assert (tmp_path / "out" / "patients.csv").read_bytes() == data.read_bytes()
    trail = cli("audit", "dataset", 1)["trail"]
    delivery = [r for r in trail if r["event"] == "AccessKeyDelivered"]
    assert [r["tx"] for r in delivery] == [delivered["tx"]]
    assert delivery[0]["detail"] == f"data key delivered to {status[1]['account']}"
    # Only to a live grant: the request alone gives the stranger's key nothing to attach to.
    cli("access", "request", 1, "--purpose", "no purchase", account=STRANGER)
    line = cli("access", "deliver", 1, STRANGER, account=OWNER, ok=False)
    assert line.endswith("holds no grant on dataset 1")
    time_travel(home, 3 * 86400)
    line = cli("access", "deliver", 1, buyer, account=OWNER, ok=False)
    assert line.startswith("the grant of ") and line.endswith("; grant access again first")


def test_command_options_also_come_from_the_environment(home, tmp_path):
    path = tmp_path / "env.csv"
    path.write_text("id,v\ne1,1\n")
    env = {
        "AITRAIL_ACCOUNT": OWNER,
        "AITRAIL_DATASET_REGISTER_NAME": "from-env",
        "AITRAIL_DATASET_REGISTER_LICENSE": "CC0",
        "AITRAIL_JSON": "1",
    }
    result = CliRunner().invoke(main, ["dataset", "register", str(path)], env=env)
    assert result.exit_code == 0, result.output
    assert cli("dataset", "show", json.loads(result.stdout)["id"])["name"] == "from-env"


def test_the_kubo_backend_carries_the_whole_flow(home, tmp_path, ipfs_node):
    api = ["--store", "kubo", "--ipfs-api", ipfs_node.api_url]  # the session's real IPFS node (js-ipfs)
    path = tmp_path / "kubo.csv"
    path.write_text("id,v\nk1,1\nk2,2\n")
    r = cli(*api, "dataset", "register", path, "--name", "on kubo", "--license", "CC0", account=OWNER)
    cli(*api, "access", "request", r["id"], "--purpose", "kubo", account=RESEARCHER)
    cli(*api, "access", "grant", r["id"], RESEARCHER, account=OWNER)
    cli(*api, "dataset", "fetch", r["id"], "-o", tmp_path / "out", account=RESEARCHER)
    assert (tmp_path / "out" / "kubo.csv").read_bytes() == path.read_bytes()
    line = cli("dataset", "fetch", r["id"], "-o", tmp_path / "local", account=RESEARCHER, ok=False)
    # The blocks live on the IPFS node, not in the local store: said so, with what to configure.
    assert f"dataset {r['id']}'s metadata (CID " in line
    assert "is not in this home's embedded store; point --store/AITRAIL_STORE" in line


def test_a_directory_is_registered_as_one_deterministic_tar(home, tmp_path):
    import tarfile
    import time

    def tree(root):
        (root / "images").mkdir(parents=True)
        (root / "images" / "a.png").write_bytes(b"\x89PNG fake")
        (root / "labels.txt").write_text("a cat\n")
        (root / ".git").mkdir()
        (root / ".git" / "HEAD").write_text("ref")
        return root

    first = tree(tmp_path / "one" / "scans")
    r = cli("dataset", "register", first, "--name", "scans", "--license", "CC0", account=OWNER)
    time.sleep(1.1)  # a different mtime must not change the bytes
    again = cli(
        "dataset",
        "register",
        tree(tmp_path / "two" / "scans"),
        "--name",
        "scans",
        "--license",
        "CC0",
        account=OWNER,
    )
    assert again["alreadyRegistered"] is True and again["id"] == r["id"]
    fetched = cli("dataset", "fetch", r["id"], "-o", tmp_path / "out", account=OWNER)
    with tarfile.open(fetched["path"]) as tar:
        assert sorted(tar.getnames()) == ["scans/images/a.png", "scans/labels.txt"]
        assert tar.extractfile("scans/labels.txt").read() == b"a cat\n"


def test_a_signed_grant_is_submitted_and_paid_for_by_the_researcher(home, tmp_path):
    signer_nonce_before = w3_of(home).eth.get_transaction_count(
        Web3.to_checksum_address(cli("dataset", "show", 2)["owner"])
    )
    cli("access", "request", 2, "--purpose", "paid by me", account="anvil5")
    grant_file = tmp_path / "grant.json"
    cli("access", "sign", 2, "anvil5", "--days", "10", "-o", grant_file, account=OWNER)
    owner = cli("dataset", "show", 2)["owner"]
    assert w3_of(home).eth.get_transaction_count(Web3.to_checksum_address(owner)) == signer_nonce_before
    granted = cli("access", "submit", grant_file, account="anvil5")
    assert granted["expiresAt"] == w3_of(home).eth.get_block("latest")["timestamp"] + 10 * 86400
    cli("dataset", "fetch", 2, "-o", tmp_path / "out", account="anvil5")
    assert (tmp_path / "out" / "second.csv").exists()
    line = cli("access", "submit", grant_file, account="anvil5", ok=False)
    assert line.startswith("signed grant ") and line.endswith("was already submitted or cancelled")


def test_rewards_balance_and_nothing_to_claim(home):
    assert cli("rewards", "balance", OWNER)["claimable"] == 0
    assert cli("rewards", "claim", account=OWNER, ok=False).endswith("has no rewards to claim")


def test_not_the_owner(home):
    line = cli("access", "grant", 1, STRANGER, "--public-key", "00" * 64, account=STRANGER, ok=False)
    assert "is not the owner of dataset 1" in line


def test_no_access_is_refused_and_the_denial_is_on_record(home, tmp_path):
    line = cli("dataset", "fetch", 1, "-o", tmp_path / "out", account=STRANGER, ok=False)
    assert "has no access to dataset 1" in line and "denied attempt recorded in transaction" in line
    assert not (tmp_path / "out" / "patients.csv").exists()
    trail = cli("audit", "dataset", 1)["trail"]
    assert trail[-1]["event"] == "AccessLogged" and "DENIED" in trail[-1]["detail"]


def test_a_reverting_transaction_is_one_sentence(home):
    line = cli("access", "revoke", 1, STRANGER, account=OWNER, ok=False)
    assert line.endswith("holds no grant on dataset 1")


def test_unknown_dataset_and_unknown_model(home):
    assert cli("dataset", "show", 99, ok=False) == "dataset 99 does not exist"
    assert cli("model", "lineage", "nope", ok=False) == "model 'nope': no such model"


def test_file_not_found(home, tmp_path):
    missing = tmp_path / "missing.csv"
    assert cli("dataset", "register", missing, "--name", "x", "--license", "y", account=OWNER, ok=False) == (
        f"{missing}: file not found"
    )


def test_missing_and_corrupted_blocks_are_named_and_nothing_is_written(home, tmp_path):
    cid = CID.decode(cli("dataset", "show", 1)["cid"])
    key = cid.to_v1().encode()
    block = home / "store" / "blocks" / key[-2:] / key
    original = block.read_bytes()
    try:
        block.write_bytes(original[:-1] + bytes([original[-1] ^ 1]))
        line = cli("dataset", "fetch", 1, "-o", tmp_path, account=RESEARCHER, ok=False)
        assert line.startswith(f"block {cid} is corrupted")
        block.unlink()
        line = cli("dataset", "fetch", 1, "-o", tmp_path, account=RESEARCHER, ok=False)
        assert line == f"block {cid} not found in the store"
        assert list(tmp_path.iterdir()) == []
    finally:
        block.write_bytes(original)


def test_wrong_keystore_password(home, monkeypatch):
    monkeypatch.setenv("AITRAIL_PASSWORD_LAB", "right")
    cli("account", "new", "lab")
    monkeypatch.setenv("AITRAIL_PASSWORD_LAB", "wrong")
    assert cli("dataset", "list", account="lab", ok=False) == "wrong password for account 'lab'"


def test_unfunded_account(home, monkeypatch):
    monkeypatch.setenv("AITRAIL_PASSWORD_POOR", "pw")
    address = cli("account", "new", "poor")["address"]
    line = cli("access", "request", 1, "--purpose", "x", account="poor", ok=False)
    assert line.startswith(
        f"account {address} cannot pay for request access to dataset 1: balance 0.000000 ETH"
    )


def test_chain_unreachable(home, port):
    url = f"http://127.0.0.1:{port()}"
    assert (
        cli("--rpc-url", url, "dataset", "list", ok=False)
        == f"chain unreachable at {url}: connection refused"
    )


def test_ipfs_api_unreachable(home, port, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("id,v\nq,1\n")
    api = f"http://127.0.0.1:{port()}"
    before = len(cli("dataset", "list"))
    line = cli(
        "--store",
        "kubo",
        "--ipfs-api",
        api,
        "dataset",
        "register",
        path,
        "--name",
        "x",
        "--license",
        "y",
        account=OWNER,
        ok=False,
    )
    assert line.startswith(f"IPFS (Kubo) API unreachable at {api}")
    assert len(cli("dataset", "list")) == before


def test_access_expired_after_the_grant_runs_out(home, tmp_path):
    time_travel(home, 31 * 86400)
    line = cli("dataset", "fetch", 1, "-o", tmp_path, account=RESEARCHER, ok=False)
    assert "to dataset 1 expired on" in line
    statuses = {s["dataset"]: s["status"] for s in cli("access", "status", account=RESEARCHER)}
    assert statuses[1] == "expired"


def test_dataset_withdrawn(home):
    cli("dataset", "withdraw", 1, "--reason", "consent withdrawn", account=OWNER)
    line = cli("access", "grant", 1, RESEARCHER, account=OWNER, ok=False)
    assert line.startswith("dataset 1 was withdrawn on ")
    assert cli("dataset", "show", 1)["withdrawn"] is True


def test_audit_trail_has_every_step_in_order(home):
    events = [row["event"] for row in cli("audit", "dataset", 1)["trail"]]
    assert events[0] == "DatasetRegistered"
    for expected in ("AccessRequested", "AccessGranted", "AccessLogged", "DatasetCited", "DatasetWithdrawn"):
        assert expected in events
    assert events.index("AccessRequested") < events.index("AccessGranted") < events.index("DatasetCited")
    model = cli("audit", "model", "survival")
    assert [r["event"] for r in model["trail"]][:2] == ["ModelRegistered", "VersionPublished"]


def test_event_queries_in_small_windows_give_the_same_trail(home, monkeypatch):
    import aitrail.chain.contracts as contracts

    whole = cli("audit", "dataset", 1)["trail"]
    monkeypatch.setattr(contracts, "LOG_WINDOW", 3)
    assert cli("audit", "dataset", 1)["trail"] == whole


def test_state_survives_a_chain_restart(home):
    LocalChain(home).stop()
    assert cli("dataset", "show", 2)["name"] == "second"
