"""The signing agent: a party's key stays in the process that unlocked it; Flower's processes ask it.

Under Flower's deployment engine the code that must sign runs in processes Flower starts: the SuperNode
starts a SuperExec that starts a `flwr-clientapp` process per round, and the SuperLink does the same for the
ServerApp. Those processes inherit the environment (no password may go there), Python's `subprocess` closes
every inherited descriptor (a pipe fd does not reach them) and their command lines are Flower's. So the key
never goes to them: the process that unlocked the keystore (`aitrail fl node`, `aitrail fl run`, a test)
runs an `Agent`, like ssh-agent, on a Unix socket in a fresh 0700 folder, and the Flower App finds the
socket's path in its node config (SuperNode) or run config (ServerApp) and talks to it through
`AgentParty`. The agent accepts connections only from processes of its own user (SO_PEERCRED) and offers
only what a federated party needs: its address and public key, `commitUpdate`, `commitAggregate`, and
unwrapping a data key sealed for it. It signs no other transaction and never reveals the key.

Protocol: one JSON object per line each way; `{"op": ..., ...}` → `{"ok": true, "result": ...}` or
`{"ok": false, "error": "one line"}`.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import socketserver
import struct
import tempfile
import threading
from pathlib import Path
from typing import Any

from aitrail.cid import CID
from aitrail.errors import AitrailError
from aitrail.fl.party import LocalParty

SOCKET_NAME = "agent.sock"
OPS = frozenset({"hello", "commit_update", "commit_aggregate", "unwrap"})


class AgentError(AitrailError):
    """The signing agent refused a request or cannot be reached."""


class Agent:
    """Serves `party`'s key operations on a Unix socket until `stop()` (or the end of a `with` block)."""

    def __init__(self, party: LocalParty, ops: frozenset[str] = OPS) -> None:
        self.party = party
        self.ops = ops
        self.folder = Path(tempfile.mkdtemp(prefix="aitrail-agent-"))  # 0700: only this user
        self.path = self.folder / SOCKET_NAME
        self._lock = threading.Lock()  # one transaction at a time: nonces come from one Transactor
        agent = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                if not _same_user(self.request):
                    return
                for line in self.rfile:
                    self.wfile.write(json.dumps(agent.answer(line)).encode() + b"\n")
                    self.wfile.flush()

        class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
            daemon_threads = True

        self._server = Server(str(self.path), Handler)
        os.chmod(self.path, 0o600)
        self._thread = threading.Thread(target=self._server.serve_forever, name="aitrail-agent", daemon=True)

    def start(self) -> Agent:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> Agent:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def answer(self, line: bytes) -> dict[str, Any]:
        try:
            request = json.loads(line)
            op = str(request.get("op"))
            if op not in self.ops:
                raise AgentError(f"the agent does not do {op!r} (it does {', '.join(sorted(self.ops))})")
            with self._lock:
                return {"ok": True, "result": self._do(op, request)}
        except AitrailError as exc:
            return {"ok": False, "error": str(exc)}
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            return {"ok": False, "error": f"malformed agent request ({exc.__class__.__name__}: {exc})"}

    def _do(self, op: str, r: dict[str, Any]) -> Any:
        party = self.party
        if op == "hello":
            return {"address": party.address, "publicKey": party.public_key().hex()}
        if op == "unwrap":
            return party.unwrap(bytes.fromhex(r["wrapped"])).hex()
        digest, cid = bytes.fromhex(r["digest"]), CID.decode(r["cid"])
        if op == "commit_update":
            party.commit_update(int(r["task"]), int(r["round"]), digest, cid)
        else:
            party.commit_aggregate(int(r["task"]), int(r["round"]), digest, cid, int(r["mask"]))
        return None


def _same_user(connection: socket.socket) -> bool:
    """The peer's uid from the kernel (SO_PEERCRED: pid, uid, gid), not from anything it says."""
    creds = connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    return bool(uid == os.getuid())


class AgentParty:
    """A `Party` (aitrail.fl.party) whose key is held by the agent at `path`."""

    def __init__(self, path: str | Path, timeout: float = 300.0) -> None:
        self.path = str(path)
        self.timeout = timeout
        hello = self._ask({"op": "hello"})
        self._address, self._public_key = str(hello["address"]), bytes.fromhex(hello["publicKey"])

    @property
    def address(self) -> str:
        return self._address

    def public_key(self) -> bytes:
        return self._public_key

    def unwrap(self, wrapped: bytes) -> bytes:
        return bytes.fromhex(self._ask({"op": "unwrap", "wrapped": wrapped.hex()}))

    def commit_update(self, task_id: int, round_: int, digest: bytes, cid: CID) -> None:
        self._ask(
            {"op": "commit_update", "task": task_id, "round": round_, "digest": digest.hex(), "cid": str(cid)}
        )

    def commit_aggregate(self, task_id: int, round_: int, digest: bytes, cid: CID, mask: int) -> None:
        self._ask(
            {
                "op": "commit_aggregate",
                "task": task_id,
                "round": round_,
                "digest": digest.hex(),
                "cid": str(cid),
                "mask": mask,
            }
        )

    def _ask(self, request: dict[str, Any]) -> Any:
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
                conn.settimeout(self.timeout)
                conn.connect(self.path)
                conn.sendall(json.dumps(request).encode() + b"\n")
                reply = b""
                while not reply.endswith(b"\n"):
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    reply += chunk
        except OSError as exc:
            raise AgentError(f"the signing agent at {self.path} cannot be reached ({exc})") from None
        try:
            answer = json.loads(reply)
        except ValueError:
            raise AgentError(f"the signing agent at {self.path} closed the connection") from None
        if not answer.get("ok"):
            raise AgentError(str(answer.get("error")))
        return answer.get("result")
