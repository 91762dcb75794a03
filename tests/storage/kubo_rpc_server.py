"""A STAND-IN for a Kubo node's HTTP RPC API, for tests only, and only for error injection: the Kubo backend's
tests run against a real IPFS node (js-ipfs, the `ipfs_node` fixture); this server stays for what a real node
cannot be made to do (hand back corrupted bytes) and to answer with Kubo's own strings (Size as a string,
"not found" for a missing block), which js-ipfs words differently.

It speaks the documented subset aitrail uses — every call POST /api/v0/<command>, query-string
arguments, multipart uploads, NDJSON or JSON answers, and Kubo's error shape (HTTP 500, or 400 for a
missing argument, with `{"Message", "Code", "Type": "error"}`; 405 for other methods; 404 for unknown
commands) — and is backed by aitrail's real importer and a LocalStore, so CIDs are the ones Kubo gives.
It behaves like an offline node: a block it does not hold is "not found", never fetched.

Commands: add, cat, block/get, block/stat, pin/add, pin/ls, version, dag/import.
"""

from __future__ import annotations

import io
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from aitrail import unixfs
from aitrail.car import CarReader
from aitrail.cid import CID
from aitrail.errors import AitrailError, CidError
from aitrail.storage.local import LocalStore

VERSION = {"Version": "0.32.1", "Commit": "aitrail-standin", "Repo": "16", "System": "amd64/linux",
           "Golang": "go1.23.4"}


class KuboError(Exception):
    def __init__(self, message: str, status: int = 500, code: int = 0) -> None:
        super().__init__(message)
        self.message, self.status, self.code = message, status, code


def _multipart_files(body: bytes, content_type: str) -> list[tuple[str, bytes]]:
    m = re.search(r'boundary="?([^";]+)"?', content_type or "")
    if not m:
        raise KuboError("expected multipart/form-data with a boundary", 400, 1)
    delim = b"--" + m.group(1).encode()
    files = []
    for part in body.split(delim)[1:]:
        if part.startswith(b"--"):
            break
        head, _, data = part.partition(b"\r\n\r\n")
        name = re.search(rb'filename="([^"]*)"', head)
        files.append(((name.group(1).decode() if name else ""), data.removesuffix(b"\r\n")))
    return files


class _Handler(BaseHTTPRequestHandler):
    server: KuboStandIn

    def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
        pass

    def _send(self, status: int, body: bytes, ctype: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, obj: object) -> None:
        self._send(200, json.dumps(obj).encode() + b"\n", "application/json")

    def _ndjson(self, items: list[object]) -> None:
        self._send(200, b"".join(json.dumps(i).encode() + b"\n" for i in items), "application/json")

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(out)
                out += self.rfile.read(size)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_GET(self) -> None:
        self._send(405, b"405 - Method Not Allowed\n", "text/plain; charset=utf-8")

    do_PUT = do_DELETE = do_GET

    def do_POST(self) -> None:
        url = urlparse(self.path)
        params = {k: v[-1] for k, v in parse_qs(url.query).items()}
        command = url.path.removeprefix("/api/v0/")
        handler = getattr(self, "cmd_" + command.replace("/", "_"), None)
        if not url.path.startswith("/api/v0/") or handler is None:
            self._send(404, b"404 page not found\n", "text/plain; charset=utf-8")
            return
        body = self._body()
        try:
            handler(params, body)
        except KuboError as exc:
            err = {"Message": exc.message, "Code": exc.code, "Type": "error"}
            self._send(exc.status, json.dumps(err).encode() + b"\n", "application/json")

    # --- helpers -----------------------------------------------------------------------------------
    @property
    def store(self) -> LocalStore:
        return self.server.store

    def _arg(self, params: dict[str, str], name: str) -> CID:
        if "arg" not in params:
            raise KuboError(f'argument "{name}" is required', 400, 1)
        text = params["arg"].removeprefix("/ipfs/")
        try:
            return CID.decode(text)
        except CidError as exc:
            raise KuboError(f'invalid path "{params["arg"]}": {exc}') from None

    def _not_found(self, cid: CID) -> KuboError:
        return KuboError(f"block was not found locally (offline): ipld: could not find {cid}")

    # --- commands ----------------------------------------------------------------------------------
    def cmd_version(self, params: dict[str, str], body: bytes) -> None:
        self._json(VERSION)

    def cmd_add(self, params: dict[str, str], body: bytes) -> None:
        version = int(params.get("cid-version", "0"))
        if version not in (0, 1):
            raise KuboError(f"unknown CID version: {version}")
        for opt, default in (("chunker", "size-262144"), ("hash", "sha2-256")):
            if params.get(opt, default) != default:
                raise KuboError(f"stand-in supports only {opt}={default}")
        only_hash = params.get("only-hash") == "true"
        pin = params.get("pin", "true") == "true" and not only_hash
        lines = []
        for name, data in _multipart_files(body, self.headers.get("Content-Type", "")):
            emit = None if only_hash else self.store.put_block
            node = unixfs.add_stream(io.BytesIO(data), version, emit)
            if pin:
                self.store.pin(node.cid)
            lines.append({"Name": name or str(node.cid), "Hash": str(node.cid), "Size": str(node.tsize)})
        if not lines:
            raise KuboError("no files given", 400, 1)
        self._ndjson(lines)

    def cmd_cat(self, params: dict[str, str], body: bytes) -> None:
        cid = self._arg(params, "ipfs-path")
        try:
            data = self.store.read_all(cid)
        except AitrailError:
            raise self._not_found(cid) from None
        self._send(200, data, "text/plain")

    def cmd_block_get(self, params: dict[str, str], body: bytes) -> None:
        cid = self._arg(params, "cid")
        block = self.store.raw_block(cid)  # as stored: a damaged disk shows up at the client
        if block is None:
            raise self._not_found(cid)
        self._send(200, block, "text/plain")

    def cmd_block_stat(self, params: dict[str, str], body: bytes) -> None:
        cid = self._arg(params, "cid")
        block = self.store.raw_block(cid)
        if block is None:
            raise self._not_found(cid)
        self._json({"Key": str(cid), "Size": len(block)})

    def cmd_pin_add(self, params: dict[str, str], body: bytes) -> None:
        cid = self._arg(params, "ipfs-path")
        try:
            self.store.pin(cid)
        except AitrailError:
            raise KuboError(f"pin: block was not found locally (offline): ipld: could not find {cid}") \
                from None
        self._json({"Pins": [str(cid)]})

    def cmd_pin_ls(self, params: dict[str, str], body: bytes) -> None:
        pins = {str(c): {"Type": "recursive"} for c in self.store.pins()}
        if "arg" in params:
            cid = str(self._arg(params, "ipfs-path"))
            if cid not in pins:
                raise KuboError(f"path '{cid}' is not pinned")
            pins = {cid: pins[cid]}
        self._json({"Keys": pins})

    def cmd_dag_import(self, params: dict[str, str], body: bytes) -> None:
        pin_roots = params.get("pin-roots", "true") == "true"
        lines: list[object] = []
        for name, data in _multipart_files(body, self.headers.get("Content-Type", "")):
            try:
                reader = CarReader(io.BytesIO(data), name or "upload")
                blocks = list(reader)
            except AitrailError as exc:
                raise KuboError(str(exc)) from None
            for cid, block in blocks:
                self.store.put_block(cid, block)
            for root in reader.roots:
                msg = ""
                if pin_roots:
                    try:
                        self.store.pin(root)
                    except AitrailError as exc:
                        msg = f"blockstore: block not found: {exc}"
                lines.append({"Root": {"Cid": {"/": str(root)}, "PinErrorMsg": msg}})
        self._ndjson(lines)


class KuboStandIn(ThreadingHTTPServer):
    """Serve the stand-in on 127.0.0.1 at an ephemeral port; `api_url` for KuboStore."""

    daemon_threads = True

    def __init__(self, repo: Path) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.store = LocalStore(repo)
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def start(self) -> KuboStandIn:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        self._thread.join()
