"""`aitrail model card`: a Hugging Face model card whose YAML matches the on-chain lineage, parsed with
huggingface_hub's own ModelCard (offline). The card is written from a second home with no account (an
auditor's), so it needs nothing but the chain and the store."""

import os

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"  # read by huggingface_hub at import: parsing must never reach the Hub
from huggingface_hub import ModelCard

from tests.cli_support import party_runner

OWNER = "anvil1"


@pytest.fixture(scope="module")
def homes(tmp_path_factory):
    root = tmp_path_factory.mktemp("card-homes")
    return {party: root / party for party in ("owner", "auditor")}


@pytest.fixture(scope="module")
def run(devchain, ipfs_node, homes):
    return party_runner(homes, devchain.url, ipfs_node.api_url)


@pytest.fixture(scope="module")
def published(run, tmp_path_factory):
    """Version 1 trained on dataset A; version 2 derived from it, trained on B (same license) and C
    (another license)."""
    run("owner", "deploy", account=OWNER)
    run("auditor", "deploy", "--find")
    folder = tmp_path_factory.mktemp("card-data")
    ids = {}
    for name, license_ in (("A", "CC-BY-4.0"), ("B", "CC-BY-4.0"), ("C", "CC0-1.0")):
        path = folder / f"{name}.csv"
        path.write_text(f"id,v\n{name}1,1\n{name}2,2\n")
        ids[name] = run(
            "owner",
            "dataset",
            "register",
            path,
            "--name",
            f"set {name}",
            "--license",
            license_,
            account=OWNER,
        )["id"]
    v1_dir, v2_dir = folder / "v1", folder / "v2"
    for directory, weights in ((v1_dir, b"\x01" * 4096), (v2_dir, b"\x02" * 4096)):
        directory.mkdir()
        (directory / "model.safetensors").write_bytes(weights)
    metrics = folder / "metrics.json"
    metrics.write_text('{"auc": 0.91}')
    v1 = run("owner", "model", "publish", "screening", v1_dir, "--dataset", ids["A"], account=OWNER)
    v2 = run(
        "owner",
        "model",
        "publish",
        "screening",
        v2_dir,
        "--dataset",
        ids["B"],
        "--dataset",
        ids["C"],
        "--parent",
        v1["versionId"],
        "--metrics",
        metrics,
        account=OWNER,
    )
    return ids, v1, v2


def load_card(path):
    return ModelCard.load(path)


def test_the_card_yaml_matches_the_on_chain_lineage(run, published, homes):
    ids, v1, v2 = published
    out = homes["auditor"] / "README.md"
    run("auditor", "model", "card", "screening@2", "-o", out)
    card = load_card(out)
    data = card.data.to_dict()
    addresses = run("auditor", "deploy", "--find")["addresses"]
    registry, dataset_registry = addresses["ModelRegistry"], addresses["DatasetRegistry"]
    assert data["aitrail"]["model_registry"] == registry
    assert data["datasets"] == [f"eip155:31337:{dataset_registry}/{ids[n]}" for n in ("B", "C")]
    assert data["base_model"] == [f"eip155:31337:{registry}/{v1['versionId']}"]
    assert data["license"] == "other"  # B and C differ
    lineage = run("auditor", "model", "lineage", "screening@2")
    (version,) = lineage["versions"]
    assert data["aitrail"]["version_id"] == version["versionId"] == v2["versionId"]
    assert data["aitrail"]["weights_digest"] == version["weightsDigest"] == v2["weightsDigest"]
    assert data["aitrail"]["chain_id"] == 31337
    assert data["aitrail"]["artifact"] == f"ipfs://{v2['artifact']}"
    assert "| auc | 0.91 |" in card.text
    latest = homes["auditor"] / "latest.md"
    run("auditor", "model", "card", "screening", "-o", latest)  # no @VERSION: the latest version
    assert latest.read_text() == out.read_text()


def test_one_shared_license_is_the_cards_license_and_no_parent_means_no_base_model(run, published, homes):
    out = homes["auditor"] / "v1.md"
    run("auditor", "model", "card", "screening@1", "-o", out)
    data = load_card(out).data.to_dict()
    assert data["license"] == "cc-by-4.0"
    assert "base_model" not in data
    assert len(data["datasets"]) == 1


def test_an_unknown_version_is_one_error_line_and_no_file(run, published, homes):
    out = homes["auditor"] / "none.md"
    error = run("auditor", "model", "card", "screening@9", "-o", out, ok=False)
    assert "no version 9" in error
    assert not out.exists()
