"""Croissant 1.1 (+RAI) exports and imports, checked with MLCommons' reference library, mlcroissant.

Three homes on one chain and one real IPFS node, driven through the CLI as child processes: the owner
registers, an auditor with no account exports (so an export needs nothing from the owner's home), the
researcher fetches and loads the records of the registered CSV through mlcroissant.
"""

import hashlib
import json

import mlcroissant as mlc
import pytest

from aitrail.chain.accounts import dev_account
from aitrail.formats.croissant import CROISSANT_1_1, RAI_1_0
from tests.cli_support import party_runner

OWNER, RESEARCHER = "anvil1", "anvil2"
ROWS = [("p001", "54", "benign"), ("p002", "61", "malignant"), ("p003", "47", "benign")]


@pytest.fixture(scope="module")
def homes(tmp_path_factory):
    root = tmp_path_factory.mktemp("croissant-homes")
    return {party: root / party for party in ("owner", "researcher", "auditor")}


@pytest.fixture(scope="module")
def run(devchain, ipfs_node, homes):
    return party_runner(homes, devchain.url, ipfs_node.api_url)


@pytest.fixture(scope="module")
def registered(run, tmp_path_factory):
    """A CSV registered by the owner with consent terms; the researcher granted access to it."""
    run("owner", "deploy", account=OWNER)
    for party in ("researcher", "auditor"):
        run(party, "deploy", "--find")
    folder = tmp_path_factory.mktemp("owner-data")
    data = folder / "biopsies.csv"
    data.write_text("id,age,diagnosis\n" + "".join(",".join(row) + "\n" for row in ROWS))
    r = run(
        "owner",
        "dataset",
        "register",
        data,
        "--name",
        "Biopsies 2026",
        "--license",
        "CC-BY-NC-4.0",
        "--description",
        "Three biopsy results",
        "--consent",
        "aiTraining=allowed",
        "--consent",
        "aiGenerativeTraining=notAllowed",
        account=OWNER,
    )
    run("researcher", "access", "request", r["id"], "--purpose", "a study", "--days", 30, account=RESEARCHER)
    run("owner", "access", "grant", r["id"], dev_account(RESEARCHER).address, "--days", 30, account=OWNER)
    return r["id"], data


def validated(path):
    """The document loaded by mlcroissant, failing on any validation error (its warnings are returned)."""
    dataset = mlc.Dataset(jsonld=str(path))
    return dataset, dataset.metadata.ctx.issues.warnings


def test_anyone_exports_a_croissant_document_that_mlcroissant_validates(run, registered, tmp_path, devchain):
    dataset_id, data = registered
    out = tmp_path / "auditor" / "croissant.json"
    run("auditor", "dataset", "croissant", dataset_id, "-o", out)  # no account, its own home
    doc = json.loads(out.read_text())
    dataset, warnings = validated(out)
    assert not warnings, warnings
    meta = dataset.metadata
    assert (meta.name, meta.license, meta.version) == ("Biopsies 2026", ["CC-BY-NC-4.0"], "1.0.0")
    assert doc["conformsTo"] == [CROISSANT_1_1, RAI_1_0]
    owner = dev_account(OWNER).address
    assert doc["creator"]["identifier"] == f"eip155:31337:{owner}"
    (file_object,) = meta.distribution
    assert file_object.sha256 == hashlib.sha256(data.read_bytes()).hexdigest()
    shown = run("auditor", "dataset", "show", dataset_id)
    assert file_object.content_url == f"ipfs://{shown['cid']}"
    assert doc["url"] == f"ipfs://{shown['metadataCid']}"
    # ERC-7517 terms in CAWG's training-mining vocabulary, exactly the terms registered.
    assert doc["trainingMining"] == {
        "cawg.ai_training": {"use": "allowed"},
        "cawg.ai_generative_training": {"use": "notAllowed"},
    }


def test_the_researcher_loads_the_records_of_the_registered_csv_through_mlcroissant(run, registered, homes):
    dataset_id, _ = registered
    copy_dir = homes["researcher"] / "copy"
    fetched = run("researcher", "dataset", "fetch", dataset_id, "-o", copy_dir, account=RESEARCHER)
    out = copy_dir / "croissant.json"
    r = run("researcher", "dataset", "croissant", dataset_id, "-o", out, "--data", fetched["path"])
    assert r["recordSets"] == 1
    dataset, warnings = validated(out)
    assert not warnings, warnings
    records = [
        tuple(row[f"records/{col}"].decode() for col in ("id", "age", "diagnosis"))
        for row in dataset.records("records")
    ]
    assert records == ROWS
    # mlcroissant itself checks the file against the exported sha256 (the chain's): a changed copy fails.
    with open(fetched["path"], "a") as handle:
        handle.write("p004,33,benign\n")
    with pytest.raises(mlc.GenerationError):
        list(mlc.Dataset(jsonld=str(out)).records("records"))
    # and the export refuses to point at a copy that is not the registered content
    error = run(
        "researcher", "dataset", "croissant", dataset_id, "-o", out, "--data", fetched["path"], ok=False
    )
    assert "sha256 differs from the chain's" in error


def test_register_takes_a_croissant_document_in_and_the_export_gives_it_back(run, registered, tmp_path):
    data = tmp_path / "scans.csv"
    data.write_text("id,site\ns1,lung\ns2,liver\n")
    given = {
        "@context": {
            "@vocab": "https://schema.org/",
            "cr": "http://mlcommons.org/croissant/",
            "rai": "http://mlcommons.org/croissant/RAI/",
            "dct": "http://purl.org/dc/terms/",
            "conformsTo": "dct:conformsTo",
            "trainingMining": {"@id": "urn:aitrail:trainingMining", "@type": "@json"},
        },
        "@type": "sc:Dataset",
        "conformsTo": "http://mlcommons.org/croissant/1.1",
        "name": "Scans",
        "description": {"en": "Two scan sites"},
        "license": "CC0-1.0",
        "keywords": ["radiology"],
        "rai:dataCollection": "Exported from the PACS in 2026",
        "rai:personalSensitiveInformation": "none: ids are pseudonyms",
        "trainingMining": {
            "cawg.ai_inference": {"use": "constrained"},
            "cawg.data_mining": {"use": "allowed"},
        },
        "distribution": [
            {
                "@type": "cr:FileObject",
                "@id": "scans.csv",
                "name": "scans.csv",
                "contentUrl": "scans.csv",
                "encodingFormat": "text/csv",
                "sha256": hashlib.sha256(data.read_bytes()).hexdigest(),
            }
        ],
    }
    doc_path = tmp_path / "given.json"
    doc_path.write_text(json.dumps(given))
    r = run(
        "owner", "dataset", "register", data, "--croissant", doc_path, "--name", "Scans (CLI)", account=OWNER
    )
    shown = run("auditor", "dataset", "show", r["id"])
    assert (shown["name"], shown["license"]) == ("Scans (CLI)", "CC0-1.0")  # an option given wins

    out = tmp_path / "export.json"
    run("auditor", "dataset", "croissant", r["id"], "-o", out)
    _, warnings = validated(out)
    assert not warnings, warnings
    back = json.loads(out.read_text())
    assert back["description"] == "Two scan sites" and back["keywords"] == ["radiology"]
    assert back["rai:dataCollection"] == given["rai:dataCollection"]
    assert back["rai:personalSensitiveInformation"] == given["rai:personalSensitiveInformation"]
    assert back["trainingMining"] == given["trainingMining"]


def test_a_croissant_document_that_does_not_fit_is_one_error_line_and_nothing_registered(
    run, registered, tmp_path
):
    data = tmp_path / "other.csv"
    data.write_text("id\nx\n")
    before = len(run("auditor", "dataset", "list"))
    cases = {
        "not-croissant.json": (
            {"@type": "sc:Dataset", "name": "n", "license": "l"},
            "conformsTo names no Croissant",
        ),
        "wrong-file.json": (
            {
                "@type": "sc:Dataset",
                "conformsTo": CROISSANT_1_1,
                "name": "n",
                "license": "l",
                "distribution": [{"@type": "cr:FileObject", "sha256": "00" * 32}],
            },
            "not that of",
        ),
        "bad-consent.json": (
            {
                "@type": "sc:Dataset",
                "conformsTo": CROISSANT_1_1,
                "name": "n",
                "license": "l",
                "trainingMining": {"cawg.ai_training": {"use": "perhaps"}},
            },
            "perhaps",
        ),
        "no-license.json": ({"@type": "sc:Dataset", "conformsTo": CROISSANT_1_1, "name": "n"}, "--license"),
    }
    for file_name, (doc, expected) in cases.items():
        path = tmp_path / file_name
        path.write_text(json.dumps(doc))
        error = run("owner", "dataset", "register", data, "--croissant", path, account=OWNER, ok=False)
        assert expected in error, (file_name, error)
    (tmp_path / "broken.json").write_text("{")
    error = run(
        "owner", "dataset", "register", data, "--croissant", tmp_path / "broken.json", account=OWNER, ok=False
    )
    assert "not JSON" in error
    assert len(run("auditor", "dataset", "list")) == before


def test_a_new_version_of_a_dataset_is_exported_with_its_version_number(run, registered, tmp_path):
    dataset_id, data = registered
    newer = tmp_path / "biopsies.csv"
    newer.write_text(data.read_text() + "p004,39,benign\n")
    r = run(
        "owner", "dataset", "register", newer, "--name", "Biopsies 2026", "--license", "CC-BY-NC-4.0",
        "--predecessor", dataset_id, account=OWNER,
    )
    out = tmp_path / "v2.json"
    run("auditor", "dataset", "croissant", r["id"], "-o", out)
    dataset, warnings = validated(out)
    assert not warnings, warnings
    assert dataset.metadata.version == "2.0.0"
    assert json.loads(out.read_text())["identifier"].endswith(f"/{r['id']}")
