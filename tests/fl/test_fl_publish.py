"""The final model of a federated task, cited on-chain, as separate processes: six homes, one chain, js-ipfs.

The coordinator (anvil0) and five hospitals (anvil1-5, hospital 5 Byzantine and excluded by MultiKrum) each
have their own AITRAIL_HOME; an auditor home has no account and finds the suite on the chain. `aitrail fl
publish` cites the four included hospitals' datasets through FederatedTraining; the audit, the HTML lineage
and the model card show them as cited and attested. Attacks: a hospital that takes the final aggregate from
IPFS and publishes it as its own model, and the coordinator citing the hospitals for other weights.
"""

import hashlib
import json
import os
import subprocess

import pytest

from aitrail.errors import ContractRevertError
from aitrail.fl import demo
from aitrail.fl.lineage import WEIGHTS_FILE
from aitrail.fl.recording import fl_client
from tests.cli_support import AITRAIL, party_runner

ROUNDS = 2
POOL = 800 * demo.TOKEN
BYZANTINE = 4  # position of hospital 5
ROBUST = "MultiKrum f=1 keep=4"


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return tmp_path_factory.mktemp("flpub")


@pytest.fixture(scope="module")
def federation(devchain, ipfs_node, root):
    return demo.build_federation(root, devchain.url, "kubo", ipfs_node.api_url)


@pytest.fixture(scope="module")
def robust(federation):
    return demo.run_task(federation, ROBUST, ROUNDS, byzantine=BYZANTINE, pool=POOL)


@pytest.fixture(scope="module")
def run(root, devchain, ipfs_node, federation):
    homes = {"coordinator": root / "coordinator", "auditor": root / "auditor"}
    homes.update({f"hospital{i}": root / f"hospital{i}" for i in range(1, 6)})
    homes["auditor"].mkdir()
    runner = party_runner(homes, devchain.url, ipfs_node.api_url)
    runner("auditor", "deploy", "--find")
    return runner


@pytest.fixture(scope="module")
def write(root, devchain, ipfs_node, run):
    """`write(*args)`: an auditor's command that writes a file (-o), as a process; checks it succeeded."""

    def _write(*args):
        env = {
            "PATH": os.environ["PATH"],
            "HOME": str(root / "auditor"),
            "AITRAIL_HOME": str(root / "auditor"),
            "AITRAIL_RPC_URL": devchain.url,
            "AITRAIL_STORE": "kubo",
            "AITRAIL_IPFS_API": ipfs_node.api_url,
        }
        command = [AITRAIL, *map(str, args)]
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr

    return _write


@pytest.fixture(scope="module")
def final_aggregate(federation, robust, tmp_path_factory):
    """The last aggregate as anyone can fetch it: the round manifest on IPFS names it, in a model folder."""
    from aitrail.cid import CID
    from aitrail.flows._common import read_json

    contract = fl_client(federation.coordinator)
    (event,) = contract.events("AggregateCommitted", taskId=robust.task_id, round=ROUNDS)
    manifest_cid = CID.from_onchain(bytes(event["args"]["cid"]["digest"]), int(event["args"]["cid"]["kind"]))
    manifest = read_json(federation.store, manifest_cid, "the manifest")
    folder = tmp_path_factory.mktemp("stolen") / "model"
    folder.mkdir()
    data = federation.store.read_all(CID.decode(str(manifest["aggregate"])))
    assert hashlib.sha256(data).digest() == bytes(event["args"]["digest"])
    (folder / WEIGHTS_FILE).write_bytes(data)
    return folder


def test_a_hospital_cannot_take_the_final_aggregate_as_its_own_model(run, robust, final_aggregate):
    """The digest was reserved when the last round was committed: the ordinary path refuses it to anyone."""
    message = run("hospital5", "model", "publish", "stolen", final_aggregate, account="anvil5", ok=False)
    assert message == (
        f"these weights are the final model of federated task {robust.task_id}: only its coordinator "
        "publishes them"
    )
    message = run("hospital1", "fl", "publish", robust.task_id, account="anvil1", ok=False)
    assert message.startswith(f"only task {robust.task_id}'s coordinator ")


def test_the_coordinator_cannot_cite_the_hospitals_for_other_weights(
    federation, robust, run, tmp_path
):
    coordinator = federation.coordinator
    included = federation.dataset_ids[:4]
    other = tmp_path / "other"
    other.mkdir()
    (other / WEIGHTS_FILE).write_bytes(b"weights the hospitals never trained")
    message = run(
        "coordinator", "model", "publish", demo.MODEL_NAME, other, "--dataset", included[0],
        account="anvil0", ok=False,
    )
    assert "neither owns nor has access to dataset" in message
    artifact = coordinator.store.add_bytes(b"x", cid_version=1)
    refused = f"not the final aggregate of federated task {robust.task_id}"
    with pytest.raises(ContractRevertError, match=refused):
        fl_client(coordinator).publish_final(
            robust.task_id, hashlib.sha256(b"other").digest(), artifact, artifact, included
        )
    task = robust.task_id
    message = run("coordinator", "fl", "publish", task, "--name", "other", account="anvil0", ok=False)
    assert message == f"task {task} trains model '{demo.MODEL_NAME}': its final model is a version of it"
    unfinished, _ = demo.create_task(federation, "FedAvg", 2, 0)
    message = run("coordinator", "fl", "publish", unfinished, account="anvil0", ok=False)
    assert message == f"task {unfinished} has no aggregated round to publish"


@pytest.fixture(scope="module")
def published(run, robust):
    return run("coordinator", "fl", "publish", robust.task_id, account="anvil0")


def test_publish_cites_every_included_dataset_on_chain(federation, robust, published, run, final_aggregate):
    models = federation.coordinator.suite.models
    version = published["versionId"]
    cited = [int(e["args"]["datasetId"]) for e in models.events("DatasetCited", versionId=version)]
    assert cited == sorted(federation.dataset_ids[:4])  # hospital 5 was excluded from every round
    (trained,) = models.events("VersionTrainedFederated", versionId=version)
    assert (int(trained["args"]["taskId"]), int(trained["args"]["rounds"])) == (robust.task_id, ROUNDS)
    (event,) = models.events("VersionPublished", versionId=version)
    assert event["args"]["publisher"] == federation.coordinator.address
    final = bytes(fl_client(federation.coordinator).events(
        "AggregateCommitted", taskId=robust.task_id, round=ROUNDS
    )[0]["args"]["digest"])
    assert published["weightsDigest"] == "0x" + hashlib.sha256(final).hexdigest()
    # anyone holding the weights finds the version and its datasets
    match = run("auditor", "model", "verify", final_aggregate)
    assert (match["versionId"], match["datasets"]) == (version, cited)
    # a re-run finds its publication and sends nothing
    again = run("coordinator", "fl", "publish", robust.task_id, account="anvil0")
    assert again == published
    assert len(models.events("VersionPublished", modelId=published["modelId"])) == 1


def test_the_audit_shows_the_federated_citations(federation, robust, published, run, write, tmp_path):
    version, task = published["versionId"], robust.task_id
    trail = run("auditor", "audit", "model", demo.MODEL_NAME)
    assert trail["federated"] == [
        {
            "versionId": version,
            "taskId": task,
            "rounds": ROUNDS,
            "federatedTraining": fl_client(federation.coordinator).address,
        }
    ]
    details = [row["detail"] for row in trail["trail"]]
    for dataset_id in federation.dataset_ids[:4]:
        assert (
            f"version id {version} trained on dataset {dataset_id} (federated task {task}: attested by "
            "FederatedTraining)"
        ) in details
    assert any(row["event"] == "VersionTrainedFederated" for row in trail["trail"])
    hospital1 = run("auditor", "audit", "dataset", federation.dataset_ids[0])
    rows = {row["event"]: row["detail"] for row in hospital1["trail"]}
    assert f"the final model of federated task {task}: citation attested by FederatedTraining" in (
        rows["DatasetCited"]
    )
    assert "ParticipantAdded" in rows
    byzantine = run("auditor", "audit", "dataset", federation.dataset_ids[BYZANTINE])
    assert not [row for row in byzantine["trail"] if row["event"] == "DatasetCited"]
    page = tmp_path / "model.html"
    write("audit", "model", demo.MODEL_NAME, "--format", "html", "-o", page)
    html = page.read_text()
    assert html.count("trained on (federated, attested by FederatedTraining)") == 4
    assert f"federated task {task}, {ROUNDS} rounds" in html


def test_the_model_card_lists_the_federated_datasets(federation, robust, published, write, tmp_path):
    card = tmp_path / "README.md"
    write("model", "card", f"{demo.MODEL_NAME}@{published['number']}", "-o", card)
    text = card.read_text()
    registry = federation.coordinator.suite.datasets.address
    chain_id = federation.coordinator.chain_id
    for i, dataset_id in enumerate(federation.dataset_ids):
        line = json.dumps(f"eip155:{chain_id}:{registry}/{dataset_id}")
        assert (f"- {line}" in text) == (i != BYZANTINE)
    assert f"federated_task: {robust.task_id}" in text
    assert f"Trained federatedly: the final aggregate of task {robust.task_id}" in text
