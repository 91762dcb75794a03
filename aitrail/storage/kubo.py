"""A Kubo-RPC IPFS node (Kubo, or js-ipfs's HTTP API) through its HTTP RPC API, default http://127.0.0.1:5001.

A thin client over `requests`, not ipfshttpclient (dropped from the dependencies, see the README's
storage section): the subset used here is eight POST calls, uploads stream (chunked multipart) and
downloads go block by block through `block/get`, each block re-hashed against its CID, so a
misbehaving node can't hand back bad bytes.

Kubo's RPC: every call is POST /api/v0/<command>; errors are HTTP 4xx/5xx with a JSON body
`{"Message": ..., "Code": ..., "Type": "error"}`, mapped here to KuboApiError; a node that can't be
reached is one KuboUnreachableError.

Checked against a real js-ipfs node (ipfs-core 0.18.1 + ipfs-http-server 0.15.1, started by
aitrail/storage/jsipfs.py) and the Kubo stand-in; js-ipfs differs from Kubo in four ways this client
survives, each marked "js-ipfs:" where it is handled:
  1. a multipart part without its own Content-Type is refused (HTTP 500): every part carries one;
  2. CIDv1 is printed base58btc (`z...`) unless `cid-base=base32` is asked for, and `pin/ls` cannot be
     asked for base32 once a CIDv0 is pinned: ask where possible, and parse both forms of every answer;
  3. `Size` is a JSON number where Kubo's `add` sends a string: parse either;
  4. a read of a block the node lacks waits for the network forever, even offline: every read passes
     `timeout=`, and the node's "request timed out" counts as "not found" like Kubo's offline answer.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import requests

from aitrail._codec import b58decode
from aitrail._types import Readable
from aitrail.car import open_car
from aitrail.cid import CID
from aitrail.errors import (
    BlockCorruptedError,
    BlockNotFoundError,
    ImportInputError,
    KuboApiError,
    KuboUnreachableError,
    StorageError,
)
from aitrail.progress import progress
from aitrail.storage.base import Store
from aitrail.storage.local import LocalStore

DEFAULT_API = "http://127.0.0.1:5001"  # also aitrail.storage.DEFAULT_API (without importing this)
_UPLOAD_CHUNK = 1 << 20
# What a node answers when it lacks a block: Kubo offline says "not found", js-ipfs (which keeps
# waiting for the network even offline) says "request timed out" once the `timeout=` passed.
_MISSING = ("not found", "could not find", "request timed out")
# `has` asks about the node's own blocks, which answer in milliseconds: no need to wait `read_timeout`.
_HAS_TIMEOUT = 1.0


def node_cid(text: str) -> CID:
    """A CID as a node prints it: `Qm...`, `b...` (base32) or, from js-ipfs, `z...` (base58btc CIDv1).

    >>> str(node_cid("zb2rhi36Gc9GJWijLEL6zW45MBux5FcFv5gJmjXA7VAMozEXY"))
    'bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4'
    """
    if text.startswith("z"):  # js-ipfs: base58btc CIDv1 wherever cid-base cannot be chosen
        return CID.from_bytes(b58decode(text[1:]))
    return CID.decode(text)


def node_size(value: Any) -> int:
    """`Size` from a node's answer: a string in Kubo's `add`, a number in js-ipfs's (and `block/stat`)."""
    return int(str(value))


def _multipart(stream: Readable, boundary: str, filename: str, update: Any = None) -> Iterator[bytes]:
    """One `file` part, streamed: constant memory whatever the upload size."""
    # js-ipfs: a part without its own Content-Type gets HTTP 500 "No content-type in multipart part".
    yield (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    while chunk := stream.read(_UPLOAD_CHUNK):
        if update is not None:
            update(len(chunk))
        yield chunk
    yield f"\r\n--{boundary}--\r\n".encode()


class KuboStore(Store):
    name = "kubo"
    # one `block/get` round trip per block: keep several in flight (requests' pool is thread-safe)
    read_ahead = 8

    def __init__(self, api_url: str = DEFAULT_API, timeout: float = 60.0, read_timeout: float = 30.0) -> None:
        """`timeout`: how long the client waits for any answer; `read_timeout`: how long the node may look
        for a block it lacks before saying so (kept below `timeout`, so the node's answer arrives first)."""
        self.api_url = api_url.rstrip("/")
        self.timeout = timeout
        self.read_timeout = min(read_timeout, timeout / 2)
        self.session = requests.Session()

    def _read_params(self, cid: CID, wait: float | None = None, **extra: str) -> dict[str, str]:
        # js-ipfs: without `timeout=` a read of a missing block never answers (Kubo's offline node
        # answers at once); a duration both accept.
        seconds = self.read_timeout if wait is None else min(wait, self.read_timeout)
        return {"arg": str(cid), "timeout": f"{int(seconds * 1000)}ms", **extra}

    # --- transport ---------------------------------------------------------------------------------
    def _post(self, command: str, params: dict[str, str] | list[tuple[str, str]] | None = None,
              *, data: Any = None, headers: dict[str, str] | None = None,
              stream: bool = False) -> requests.Response:
        url = f"{self.api_url}/api/v0/{command}"
        try:
            resp = self.session.post(url, params=params, data=data, headers=headers,
                                     stream=stream, timeout=self.timeout)
        except requests.ConnectionError:
            raise KuboUnreachableError(self.api_url, "connection refused") from None
        except requests.Timeout:
            raise KuboUnreachableError(self.api_url, f"no answer within {self.timeout:g} s") from None
        if resp.status_code != 200:
            raise self._error(command, resp)
        return resp

    @staticmethod
    def _error(command: str, resp: requests.Response) -> KuboApiError:
        try:
            body = resp.json()
            message = str(body.get("Message", "")) or resp.reason
            code = body.get("Code")
        except ValueError:
            message = resp.text.strip() or resp.reason
            code = None
        return KuboApiError(command, resp.status_code, message, code if isinstance(code, int) else None)

    def _json(self, command: str, params: Any = None, **kw: Any) -> Any:
        resp = self._post(command, params, **kw)
        try:
            return resp.json()
        except ValueError:
            raise StorageError(f"IPFS (Kubo) {command}: answer is not JSON") from None

    def _ndjson(self, resp: requests.Response) -> list[dict[str, Any]]:
        lines = [json.loads(line) for line in resp.iter_lines() if line.strip()]
        # Kubo reports errors that happen after the 200 header as a trailing error object.
        for item in lines:
            if item.get("Type") == "error":
                raise KuboApiError("stream", resp.status_code, str(item.get("Message")), item.get("Code"))
        return lines

    # --- API ---------------------------------------------------------------------------------------
    def version(self) -> str:
        return str(self._json("version")["Version"])

    def get_block(self, cid: CID) -> bytes:
        try:
            block = self._post("block/get", self._read_params(cid)).content
        except KuboApiError as exc:
            if any(sign in exc.kubo_message for sign in _MISSING):
                raise BlockNotFoundError(str(cid)) from None
            raise
        digest = hashlib.sha256(block).digest()
        if digest != cid.digest:
            raise BlockCorruptedError(str(cid), str(CID(cid.version, cid.codec, digest)))
        return block

    def block_size(self, cid: CID) -> int | None:
        """The size of the block as the node holds it, None when it holds none."""
        try:
            stat = self._json("block/stat", self._read_params(cid, _HAS_TIMEOUT, offline="true"))
        except KuboApiError as exc:
            if any(sign in exc.kubo_message for sign in _MISSING):
                return None
            raise
        return node_size(stat["Size"])

    def has(self, cid: CID) -> bool:
        return self.block_size(cid) is not None

    def _add(self, stream: Readable, filename: str, cid_version: int, pin: bool,
             total: int | None, show_progress: bool | None) -> CID:
        boundary = uuid.uuid4().hex
        params = {"cid-version": str(cid_version), "pin": "true" if pin else "false", "quieter": "true"}
        if cid_version == 1:
            params["cid-base"] = "base32"  # js-ipfs: base58btc otherwise (Kubo's default is base32)
        with progress(total, "add", show_progress) as update:
            resp = self._post("add", params, data=_multipart(stream, boundary, filename, update),
                              headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
            lines = self._ndjson(resp)
        if not lines or "Hash" not in lines[-1]:
            raise StorageError("IPFS (Kubo) add: no CID in the answer")
        return node_cid(lines[-1]["Hash"])

    def add_stream(self, stream: Readable, cid_version: int = 0, *, pin: bool = True,
                   total: int | None = None, show_progress: bool | None = None) -> CID:
        return self._add(stream, "data", cid_version, pin, total, show_progress)

    def add_path(self, path: str | os.PathLike[str], cid_version: int = 0, *, pin: bool = True,
                 hidden: bool = False, show_progress: bool | None = None) -> CID:
        p = Path(path)
        if p.is_dir():
            return self._add_directory(p, cid_version, pin, hidden, show_progress)
        try:
            with open(p, "rb") as f:
                return self._add(f, p.name, cid_version, pin, p.stat().st_size, show_progress)
        except FileNotFoundError as exc:
            raise ImportInputError(str(p), exc.strerror or str(exc)) from None

    def _add_directory(self, folder: Path, cid_version: int, pin: bool, hidden: bool,
                       show_progress: bool | None) -> CID:
        """A directory, as `ipfs add -r` would build it: imported here with aitrail's importer (the same
        CIDs), then sent as one CAR, since a multipart directory upload is shaped differently by each
        node. The scratch copy holds only what was asked to be published and is removed at once."""
        with tempfile.TemporaryDirectory(prefix=".aitrail-car-") as scratch:
            local = LocalStore(Path(scratch) / "store")
            root = local.add_path(folder, cid_version, pin=False, hidden=hidden, show_progress=show_progress)
            car = Path(scratch) / "upload.car"
            local.export_car(root, car)
            roots = self.import_car(car, pin_roots=pin)
        if roots != [root]:
            raise StorageError(f"IPFS (Kubo) dag/import: node answered roots {roots}, expected {root}")
        return root

    def cat_raw(self, cid: CID) -> Iterator[bytes]:
        """Kubo's own `cat`: the node reassembles the file; unverified, prefer `cat`."""
        resp = self._post("cat", self._read_params(cid), stream=True)
        yield from resp.iter_content(_UPLOAD_CHUNK)

    def pin(self, cid: CID) -> None:
        self._json("pin/add", self._read_params(cid))

    def pins(self) -> list[CID]:
        # js-ipfs: `cid-base=base32` here fails once any CIDv0 is pinned, so the keys come as printed.
        keys = self._json("pin/ls", {"type": "recursive"}).get("Keys", {})
        return sorted((node_cid(k) for k in keys), key=str)

    def import_car(self, path: str | os.PathLike[str], *, pin_roots: bool = True) -> list[CID]:
        boundary = uuid.uuid4().hex
        with open_car(path) as f:
            resp = self._post("dag/import", {"pin-roots": "true" if pin_roots else "false"},
                              data=_multipart(f, boundary, Path(path).name),
                              headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
            lines = self._ndjson(resp)
        roots = []
        for item in lines:
            root = item.get("Root")
            if root:
                if root.get("PinErrorMsg"):
                    raise KuboApiError("dag/import", 200, str(root["PinErrorMsg"]))
                roots.append(node_cid(root["Cid"]["/"]))
        return roots
