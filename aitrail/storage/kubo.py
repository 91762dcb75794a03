"""A Kubo (go-ipfs) node through its HTTP RPC API, default http://127.0.0.1:5001.

A thin client over `requests` rather than ipfshttpclient: ipfshttpclient 0.7.0's `connect()` refuses
any Kubo newer than 0.8.0, it buffers whole files to build multipart bodies, and the subset used here
is six POST calls. Uploads stream (chunked multipart), downloads are block by block through
`block/get`, each block re-hashed against its CID, so a misbehaving node can't hand back bad bytes.

Kubo's RPC: every call is POST /api/v0/<command>; errors are HTTP 4xx/5xx with a JSON body
`{"Message": ..., "Code": ..., "Type": "error"}`, mapped here to KuboApiError; a node that can't be
reached is one KuboUnreachableError.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import requests

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

DEFAULT_API = "http://127.0.0.1:5001"
_UPLOAD_CHUNK = 1 << 20


def _multipart(stream: Readable, boundary: str, filename: str, update: Any = None) -> Iterator[bytes]:
    """One `file` part, streamed: constant memory whatever the upload size."""
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

    def __init__(self, api_url: str = DEFAULT_API, timeout: float = 60.0) -> None:
        self.api_url = api_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()

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
            block = self._post("block/get", {"arg": str(cid)}).content
        except KuboApiError as exc:
            if "not found" in exc.kubo_message:
                raise BlockNotFoundError(str(cid)) from None
            raise
        digest = hashlib.sha256(block).digest()
        if digest != cid.digest:
            raise BlockCorruptedError(str(cid), str(CID(cid.version, cid.codec, digest)))
        return block

    def has(self, cid: CID) -> bool:
        try:
            self._post("block/stat", {"arg": str(cid), "offline": "true"})
        except KuboApiError as exc:
            if "not found" in exc.kubo_message:
                return False
            raise
        return True

    def _add(self, stream: Readable, filename: str, cid_version: int, pin: bool,
             total: int | None, show_progress: bool | None) -> CID:
        boundary = uuid.uuid4().hex
        params = {"cid-version": str(cid_version), "pin": "true" if pin else "false", "quieter": "true"}
        with progress(total, "add", show_progress) as update:
            resp = self._post("add", params, data=_multipart(stream, boundary, filename, update),
                              headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
            lines = self._ndjson(resp)
        if not lines or "Hash" not in lines[-1]:
            raise StorageError("IPFS (Kubo) add: no CID in the answer")
        return CID.decode(lines[-1]["Hash"])

    def add_stream(self, stream: Readable, cid_version: int = 0, *, pin: bool = True,
                   total: int | None = None, show_progress: bool | None = None) -> CID:
        return self._add(stream, "data", cid_version, pin, total, show_progress)

    def add_path(self, path: str | os.PathLike[str], cid_version: int = 0, *, pin: bool = True,
                 hidden: bool = False, show_progress: bool | None = None) -> CID:
        p = Path(path)
        if p.is_dir():
            raise ImportInputError(str(p), "directories go to Kubo as a CAR: add to the local store, "
                                   "then export_car / import_car")
        try:
            with open(p, "rb") as f:
                return self._add(f, p.name, cid_version, pin, p.stat().st_size, show_progress)
        except FileNotFoundError as exc:
            raise ImportInputError(str(p), exc.strerror or str(exc)) from None

    def cat_raw(self, cid: CID) -> Iterator[bytes]:
        """Kubo's own `cat`: the node reassembles the file; unverified, prefer `cat`."""
        resp = self._post("cat", {"arg": str(cid)}, stream=True)
        yield from resp.iter_content(_UPLOAD_CHUNK)

    def pin(self, cid: CID) -> None:
        self._json("pin/add", {"arg": str(cid)})

    def pins(self) -> list[CID]:
        keys = self._json("pin/ls", {"type": "recursive"}).get("Keys", {})
        return sorted((CID.decode(k) for k in keys), key=str)

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
                roots.append(CID.decode(root["Cid"]["/"]))
        return roots
