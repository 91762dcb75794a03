"""Start and stop a real IPFS node with Kubo's RPC API: js-ipfs, from `tools/ipfs-node.mjs`.

No Kubo binary installs on the machines this project is built on, but js-ipfs (npm `ipfs-core` +
`ipfs-http-server`, installed by `make setup`) serves the same `/api/v0` RPC. The node is offline, on a
throwaway repo, its API on 127.0.0.1 at a free port; `KuboStore(node.api_url)` talks to it. Used by the
tests (one node per test session) and by `make demo` (three homes sharing one node).

    with JsIpfsNode.start() as node:
        store = KuboStore(node.api_url)
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import time
from pathlib import Path
from types import TracebackType

from aitrail.errors import StorageError

# tools/ beside the package in a checkout (the editable install `make setup` makes).
SCRIPT = Path(__file__).resolve().parents[2] / "tools" / "ipfs-node.mjs"
START_TIMEOUT = 60.0


class JsIpfsUnavailable(StorageError):
    def __init__(self, reason: str) -> None:
        super().__init__(f"cannot start the js-ipfs node: {reason}")
        self.reason = reason


class JsIpfsNode:
    """One running node; `stop()` (or leaving the `with` block) sends SIGTERM and waits."""

    def __init__(self, process: subprocess.Popen[bytes], api_url: str, started_in: float) -> None:
        self.process = process
        self.api_url = api_url
        self.started_in = started_in  # seconds from spawn to the API answering

    @classmethod
    def start(cls, script: Path = SCRIPT, timeout: float = START_TIMEOUT) -> JsIpfsNode:
        node = shutil.which("node")
        if node is None:
            raise JsIpfsUnavailable("no `node` on PATH")
        if not script.is_file() or not (script.parent.parent / "node_modules" / "ipfs-core").is_dir():
            raise JsIpfsUnavailable(f"{script} or its npm packages are missing: run `make setup`")
        began = time.perf_counter()
        # stdin stays a pipe: the script exits when it closes, so a crashed parent leaves no node behind.
        # The child gets no AITRAIL_* variables: nothing of the parent's configuration is its business.
        env = {k: v for k, v in os.environ.items() if not k.startswith("AITRAIL_")}
        process = subprocess.Popen(
            [node, str(script)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=env,
        )
        assert process.stdout is not None
        deadline = began + timeout
        line = b""
        while not line.endswith(b"\n"):
            left = deadline - time.perf_counter()
            if process.poll() is not None or left <= 0:
                stderr = cls._kill(process)
                why = f"exited with code {process.returncode}" if process.returncode else "timed out"
                raise JsIpfsUnavailable(f"{why}: {stderr.strip().splitlines()[-1:] or 'no output'}")
            ready, _, _ = select.select([process.stdout], [], [], min(left, 0.5))
            if ready:
                chunk = os.read(process.stdout.fileno(), 4096)
                if not chunk:
                    continue
                line += chunk
        text = line.decode().strip()
        if not text.startswith("api http://127.0.0.1:"):
            cls._kill(process)
            raise JsIpfsUnavailable(f"unexpected first line {text!r}")
        return cls(process, text.removeprefix("api "), time.perf_counter() - began)

    @staticmethod
    def _kill(process: subprocess.Popen[bytes]) -> str:
        process.kill()
        _, err = process.communicate(timeout=10)
        return err.decode(errors="replace")

    def stop(self, timeout: float = 10.0) -> float:
        """Stop the node; returns how long it took."""
        began = time.perf_counter()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                self._kill(self.process)
        return time.perf_counter() - began

    def __enter__(self) -> JsIpfsNode:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
