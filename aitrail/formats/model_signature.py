"""Checking an OpenSSF model-signing bundle before a model is published (`model publish --signature`).

The bundle (a Sigstore bundle with a DSSE envelope over an in-toto statement, as `model_signing` writes
it) is verified by the reference library itself, `model_signing`, against the signer's elliptic-curve
public key: the signature must be the key's and every file must hash as signed. Then the statement's root
digest must be aitrail's weights digest, so the chain and the signature name the same bytes (a bundle
whose manifest ignored other paths than aitrail does is refused, not silently published).

Keyless (Sigstore certificate) bundles are not checked: that needs Sigstore's trust root and transparency
log from the network. `model_signing` is imported only here, only when a signature is given.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aitrail.errors import InputFileError, ModelSignatureError


@dataclass(frozen=True)
class SignatureCheck:
    root_digest: bytes
    public_key_sha256: str  # SHA-256 of the signer's public key (DER SubjectPublicKeyInfo), hex


def check_signature(model: Path, bundle: Path, public_key: Path, weights_digest: bytes) -> SignatureCheck:
    for path in (bundle, public_key):
        if not path.is_file():
            raise InputFileError(str(path), "file not found")
    try:
        from model_signing import verifying
    except ImportError:
        raise ModelSignatureError(
            str(bundle), "checking signatures needs the model-signing package: pip install 'aitrail[signing]'"
        ) from None
    try:
        verifier = verifying.Config()  # type: ignore[no-untyped-call]
        verifier.use_elliptic_key_verifier(public_key=public_key).verify(model, bundle)
    except Exception as exc:  # the library raises ValueError and its own errors alike for a bad signature
        raise ModelSignatureError(str(bundle), f"does not verify for {model}: {exc}") from None
    root = bytes.fromhex(_statement(bundle)["subject"][0]["digest"]["sha256"])
    if root != weights_digest:
        raise ModelSignatureError(
            str(bundle),
            f"signs root digest 0x{root.hex()}, not the weights digest 0x{weights_digest.hex()} "
            "(signed with other ignore rules?)",
        )
    return SignatureCheck(root, hashlib.sha256(_public_key_der(public_key)).hexdigest())


def _statement(bundle: Path) -> dict[str, Any]:
    envelope = json.loads(bundle.read_text())["dsseEnvelope"]
    statement: dict[str, Any] = json.loads(base64.b64decode(envelope["payload"]))
    return statement


def _public_key_der(path: Path) -> bytes:
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_public_key(path.read_bytes())
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
