"""aitrail's weights digest is OpenSSF model signing's root digest, checked with `model-signing` itself.

A model directory is signed with model-signing's public API (an elliptic-curve key, no network: its
default file serialization with SHA-256 and its default git ignore rules); the in-toto statement inside
the bundle names the model by a root digest over every file's SHA-256. The same directory is then
published through the aitrail CLI, and the chain's weights digest must be that root digest, for a
layout chosen to tell the ignore rules and the path order apart.
"""

import base64
import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from model_signing import hashing, signing, verifying

from aitrail.flows.models import weights_digest
from tests.cli_support import cli, private_home

PUBLISHER = "anvil1"


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    with private_home(tmp_path_factory.mktemp("model-signing-home")) as root:
        cli("deploy")
        yield root


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    folder = tmp_path_factory.mktemp("signing-key")
    key = ec.generate_private_key(ec.SECP256R1())
    private, public = folder / "key.pem", folder / "key.pub"
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return private, public


def model_dir(root):
    """Files where a naive rule would go wrong: git paths at the top (ignored by model-signing) and deeper
    (hashed), `.git`-prefixed names that are not git paths (hashed), `a/b` next to `a-b/x` (path order
    differs from string order), an empty file, a file larger than one read chunk."""
    files = {
        "model.safetensors": bytes(range(256)) * 9000,
        "config.json": b'{"layers": 2}',
        "a/b": b"one",
        "a-b/x": b"two",
        "empty.bin": b"",
        "sub/.gitignore": b"*.tmp\n",
        ".gitmodules": b"[submodule]\n",
        ".git/HEAD": b"ref: refs/heads/main\n",
        ".github/workflow.yml": b"on: push\n",
        ".gitattributes": b"*.bin filter=lfs\n",
        ".gitignore": b"*.log\n",
    }
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return root


def signed_root_digest(model, keys, signature):
    """Sign `model` with model-signing and read the root digest from the bundle's in-toto statement;
    model-signing's own verifier must accept the signature."""
    private, public = keys
    signing.Config().use_elliptic_key_signer(private_key=private).sign(model, signature)
    verifying.Config().use_elliptic_key_verifier(public_key=public).verify(model, signature)
    bundle = json.loads(signature.read_text())
    statement = json.loads(base64.b64decode(bundle["dsseEnvelope"]["payload"]))
    (subject,) = statement["subject"]
    assert statement["predicate"]["serialization"]["method"] == "files"
    assert statement["predicate"]["serialization"]["hash_type"] == "sha256"
    return subject["digest"]["sha256"], [r["name"] for r in statement["predicate"]["resources"]]


def test_the_published_weights_digest_is_model_signings_root_digest(home, keys, tmp_path):
    model = model_dir(tmp_path / "model")
    root, resources = signed_root_digest(model, keys, tmp_path / "model.sig")
    assert resources == [
        ".gitmodules",
        "a/b",
        "a-b/x",
        "config.json",
        "empty.bin",
        "model.safetensors",
        "sub/.gitignore",
    ]
    digest, per_file = weights_digest(model)
    assert sorted(per_file) == sorted(resources)
    assert digest.hex() == root

    published = cli("model", "publish", "signed-model", model, account=PUBLISHER)
    assert published["weightsDigest"] == "0x" + root
    verified = cli("model", "verify", model)
    assert (verified["versionId"], verified["weightsDigest"]) == (published["versionId"], "0x" + root)


def test_git_paths_follow_model_signings_rules(keys, tmp_path):
    model = model_dir(tmp_path / "model")
    before, _ = signed_root_digest(model, keys, tmp_path / "one.sig")
    # A top-level git path changes neither digest ...
    (model / ".git" / "HEAD").write_text("ref: refs/heads/other\n")
    (model / ".gitignore").write_text("*.tmp\n")
    same, _ = signed_root_digest(model, keys, tmp_path / "two.sig")
    assert same == before == weights_digest(model)[0].hex()
    # ... a deeper one is part of the model for both.
    (model / "sub" / ".gitignore").write_text("*.bak\n")
    changed, _ = signed_root_digest(model, keys, tmp_path / "three.sig")
    assert changed != before
    assert weights_digest(model)[0].hex() == changed


def test_a_single_file_model(keys, tmp_path):
    weights = tmp_path / "weights.bin"
    weights.write_bytes(b"\x00\x01" * 70_000)
    root, _ = signed_root_digest(weights, keys, tmp_path / "single.sig")
    assert weights_digest(weights)[0].hex() == root


def test_a_symbolic_link_is_refused_as_model_signing_refuses_it(home, tmp_path):
    model = model_dir(tmp_path / "model")
    (model / "alias.safetensors").symlink_to(model / "model.safetensors")
    with pytest.raises(ValueError):
        hashing.Config().hash(model)
    error = cli("model", "verify", model, ok=False)
    assert "alias.safetensors: is a symbolic link" in error


def test_publish_checks_a_signature_bundle_first_and_records_the_signer(home, keys, tmp_path):
    import hashlib

    from aitrail.cid import CID
    from aitrail.config import Settings
    from aitrail.flows.session import Session

    private, public = keys
    model = tmp_path / "signed"
    model.mkdir()
    (model / "weights.bin").write_bytes(b"\x07" * 5000)
    bundle = tmp_path / "signed.sig"
    signing.Config().use_elliptic_key_signer(private_key=private).sign(model, bundle)

    # Only one of the two options: a usage error, nothing sent.
    assert "go together" in cli("model", "publish", "signed", model, "--signature", bundle, ok=False)
    # Another key: refused before anything is published.
    other = tmp_path / "other.pub"
    other.write_bytes(
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    error = cli(
        "model",
        "publish",
        "signed",
        model,
        "--signature",
        bundle,
        "--signer-key",
        other,
        account=PUBLISHER,
        ok=False,
    )
    assert error.startswith(f"signature {bundle}: does not verify")
    # A file changed after signing: refused too.
    (model / "weights.bin").write_bytes(b"\x08" * 5000)
    error = cli(
        "model",
        "publish",
        "signed",
        model,
        "--signature",
        bundle,
        "--signer-key",
        public,
        account=PUBLISHER,
        ok=False,
    )
    assert "does not verify" in error
    assert "not a published" in cli("model", "verify", model, ok=False)  # nothing was published
    (model / "weights.bin").write_bytes(b"\x07" * 5000)

    r = cli(
        "model", "publish", "signed", model, "--signature", bundle, "--signer-key", public, account=PUBLISHER
    )
    der = serialization.load_pem_public_key(public.read_bytes()).public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert r["signer"] == hashlib.sha256(der).hexdigest()
    session = Session.open(Settings.resolve(None, None))
    from aitrail.flows._common import read_json, read_published

    meta = read_json(session.store, CID.decode(r["metadata"]))
    assert meta["signature"]["publicKeySha256"] == r["signer"]
    assert (
        read_published(session.store, CID.decode(meta["signature"]["bundle"]), "bundle")
        == bundle.read_bytes()
    )
