"""The researcher's side: sign in to a gateway with SIWE, stream a dataset, resume with HTTP Range, verify.

The partial download is kept between attempts (and across a crash of this process) so a cut transfer
resumes where it stopped. The gateway sends plaintext (the researcher holds no data key), so the partial
is encrypted before it touches the disk: AES-256-CTR under a key derived (HKDF) from the researcher's
own private key, the dataset id and its on-chain content hash. CTR encrypts at any byte offset, so an
append after a resume needs no state but the file length; the key needs no file of its own and is the
same after a restart. The same key and counter only ever meet the same plaintext bytes (one content
hash), so a restarted download leaks nothing. A tampered partial cannot pass: the SHA-256 of the whole
plaintext is checked against the chain before the file gets its name. The plaintext exists on disk
only as the 0600 temporary file of that last step (fetch's own atomic write), removed on any failure.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aitrail._files import fsync_dir
from aitrail.errors import ContentHashMismatchError, GatewayError
from aitrail.fetch import FetchResult, _make_dirs, _remove_dirs
from aitrail.flows.session import Session
from aitrail.gateway import siwe

CHUNK = 1 << 20
ATTEMPTS = 8  # transfers per fetch: the first and up to seven resumes after a cut or a restart
LOGIN_TTL = timedelta(minutes=10)


@dataclass(frozen=True)
class GatewayFetch:
    result: FetchResult
    attempts: int
    resumed_at: list[int]
    record_txs: list[str]


class _PartialCipher:
    """AES-256-CTR of the partial file, positioned by byte offset."""

    def __init__(self, private_key: bytes, dataset_id: int, content_hash: bytes) -> None:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        hkdf = HKDF(
            algorithm=hashes.SHA256(),
            length=32,
            salt=content_hash,
            info=b"aitrail/gateway-partial/v1/" + str(dataset_id).encode(),
        )
        self._key = hkdf.derive(private_key)

    def at(self, offset: int) -> Callable[[bytes], bytes]:
        """A function that transforms bytes starting at `offset` (encrypts and decrypts alike)."""
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

        block, skip = divmod(offset, 16)
        ctx = Cipher(algorithms.AES(self._key), modes.CTR(block.to_bytes(16, "big"))).encryptor()
        ctx.update(bytes(skip))
        return ctx.update


def _login(http: Any, base: str, session: Session) -> str:
    try:
        resp = http.get(f"{base}/siwe/nonce", timeout=30)
    except OSError as exc:
        raise GatewayError(f"gateway unreachable at {base}: {type(exc).__name__}") from None
    offer = _json_or_raise(resp)
    domain = urlsplit(base).netloc
    now = datetime.now(UTC).replace(microsecond=0)
    message = siwe.SiweMessage(
        domain=domain,
        address=session.address,
        statement=siwe.STATEMENT,
        uri=base,
        chain_id=session.chain_id,
        nonce=str(offer["nonce"]),
        issued_at=now,
        expiration_time=now + LOGIN_TTL,
    )
    body = {"message": message.text(), "signature": siwe.sign(message, session.key)}
    return str(_json_or_raise(http.post(f"{base}/siwe/login", json=body, timeout=30))["token"])


def _json_or_raise(resp: Any) -> dict[str, Any]:
    try:
        body = resp.json()
    except ValueError:
        body = {"error": resp.text[:200]}
    if resp.status_code >= 400:
        raise GatewayError(f"gateway: {body.get('error', resp.reason)}", resp.status_code, body.get("tx"))
    return dict(body)


def fetch_via_gateway(
    session: Session,
    dataset_id: int,
    base_url: str,
    out_dir: Path,
    log: Callable[[str], None] = lambda _: None,
) -> GatewayFetch:
    """Fetch `dataset_id` through the gateway at `base_url` into `out_dir`, verified against the chain."""
    import requests

    base = base_url.rstrip("/")
    record = session.suite.datasets.get(dataset_id)  # DatasetUnknown, and the hash to verify, from the chain
    created = _make_dirs(out_dir)  # removed again if the fetch fails for good
    partial = out_dir / f".aitrail-gateway-{dataset_id}-{record.content_hash.hex()[:16]}.part"
    cipher = _PartialCipher(bytes(session.key.key), dataset_id, record.content_hash)
    http = requests.Session()
    token: str | None = None
    resumed: list[int] = []
    txs: list[str] = []
    name = f"dataset-{dataset_id}"
    total: int | None = None
    for attempt in range(1, ATTEMPTS + 1):
        have = partial.stat().st_size if partial.exists() else 0
        if total is not None and have >= total:
            break
        try:
            if token is None:
                token = _login(http, base, session)
            headers = {"Authorization": f"Bearer {token}"}
            if have:
                headers["Range"] = f"bytes={have}-"
            resp = http.get(f"{base}/datasets/{dataset_id}", headers=headers, stream=True, timeout=60)
            if resp.status_code == 401:
                token = None  # the gateway restarted (sessions are in memory): sign in again
                resp.close()
                continue
            if resp.status_code >= 400:
                _json_or_raise(resp)
            txs.append(resp.headers.get("X-Aitrail-Record-Tx", ""))
            name = Path(resp.headers.get("X-Aitrail-Name") or name).name or name
            if have and resp.status_code != 206:
                have = 0  # the gateway ignored the range: start over
            total = have + int(resp.headers["Content-Length"])
            if have:
                resumed.append(have)
                log(f"resuming at byte {have:,} of {total:,}")
            _append(partial, resp, cipher, have)
        except (
            requests.ConnectionError,
            requests.exceptions.ChunkedEncodingError,
            requests.Timeout,
            GatewayUnavailable,
        ) as exc:
            log(f"transfer {attempt} broke off ({type(exc).__name__}); retrying")
            time.sleep(min(8.0, 0.5 * 2 ** (attempt - 1)))
            continue
        except GatewayError as exc:
            if exc.status in (502, 503) and attempt < ATTEMPTS:
                log(f"{exc}; retrying")
                time.sleep(min(8.0, 0.5 * 2 ** (attempt - 1)))
                continue
            if exc.status != 503:  # a final answer: nothing to resume, nothing left behind
                partial.unlink(missing_ok=True)
                _remove_dirs(created)
            raise
    else:
        raise GatewayError(
            f"dataset {dataset_id}: the transfer did not complete in {ATTEMPTS} attempts "
            f"(partial kept encrypted, run again to resume)"
        )
    try:
        result = _finish(partial, cipher, out_dir / name, record.content_hash, str(record.cid))
    except ContentHashMismatchError:
        _remove_dirs(created)
        raise
    return GatewayFetch(result, len(txs), resumed, [t for t in txs if t])


class GatewayUnavailable(OSError):
    """A transfer that ended short of its Content-Length."""


def _append(partial: Path, resp: Any, cipher: _PartialCipher, offset: int) -> None:
    expected = int(resp.headers["Content-Length"])
    transform = cipher.at(offset)
    mode = "r+b" if offset else "wb"
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT, 0o600)
    os.close(fd)
    got = 0
    with open(partial, mode) as out:
        out.seek(offset)
        out.truncate()
        try:
            for chunk in resp.iter_content(CHUNK):
                out.write(transform(chunk))
                got += len(chunk)
        finally:  # what arrived before a cut is kept for the resume
            out.flush()
            os.fsync(out.fileno())
    if got < expected:
        raise GatewayUnavailable(f"{got} of {expected} bytes")


def _finish(partial: Path, cipher: _PartialCipher, target: Path, expected: bytes, cid: str) -> FetchResult:
    """Decrypt the partial into a 0600 temporary file while hashing, verify, then rename atomically."""
    from aitrail.cid import CID

    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    tmp = Path(tmp_name)
    digest = hashlib.sha256()
    size = 0
    try:
        transform = cipher.at(0)
        with os.fdopen(fd, "wb") as out, open(partial, "rb") as src:
            while chunk := src.read(CHUNK):
                plain = transform(chunk)
                digest.update(plain)
                out.write(plain)
                size += len(plain)
            out.flush()
            os.fsync(out.fileno())
        if digest.digest() != expected:
            partial.unlink(missing_ok=True)
            raise ContentHashMismatchError(cid, expected.hex(), digest.hexdigest())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    partial.unlink(missing_ok=True)
    fsync_dir(target.parent)
    return FetchResult(CID.decode(cid), target, size, digest.digest())
