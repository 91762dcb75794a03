"""The embedded default chain: an Anvil the CLI starts detached (or finds running) under the aitrail home.

Its state is dumped to `<home>/chain/state.json` every second and on exit (Anvil's `--state` and
`--state-interval`), and loaded again at the next start, so separate CLI invocations see the same chain,
and the chain (blocks, logs, balances) survives a restart of the machine.

    chain = LocalChain(home)
    url = chain.ensure()      # start it, or find it running
    chain.stop()              # dump the state and stop it
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from aitrail.config import LOCAL_RPC_URL
from aitrail.errors import AnvilNotFoundError, LocalChainError, WrongChainError

LOCAL_CHAIN_ID = 31337
LOCAL_PORT = int(LOCAL_RPC_URL.rsplit(":", 1)[1])
# The project's own Anvil from npm (`make setup`), found relative to a source checkout of the package.
PROJECT_ANVIL = Path(__file__).resolve().parents[2] / "node_modules" / ".bin" / "anvil"
START_TIMEOUT = 20.0


def find_anvil() -> str:
    """The Anvil to run: $AITRAIL_ANVIL, the project's node_modules/.bin/anvil, or `anvil` on PATH."""
    explicit = os.environ.get("AITRAIL_ANVIL")
    candidates = [explicit] if explicit else [str(PROJECT_ANVIL), shutil.which("anvil")]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    searched = explicit or f"{PROJECT_ANVIL} or anvil on PATH"
    raise AnvilNotFoundError(searched)


def rpc_chain_id(url: str, timeout: float = 1.0) -> int | None:
    """The chain id answered at `url`, or None if nothing speaks JSON-RPC there."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(json.loads(response.read())["result"], 16)
    except (OSError, ValueError, KeyError, urllib.error.URLError):
        return None


def local_port() -> int:
    return int(os.environ.get("AITRAIL_LOCAL_PORT") or LOCAL_PORT)


@dataclass
class LocalChain:
    home: Path
    port: int = field(default_factory=local_port)
    chain_id: int = LOCAL_CHAIN_ID
    extra_args: tuple[str, ...] = field(default_factory=tuple)

    @property
    def folder(self) -> Path:
        return self.home / "chain"

    @property
    def state_file(self) -> Path:
        return self.folder / "state.json"

    @property
    def pid_file(self) -> Path:
        return self.folder / "anvil.pid"

    @property
    def log_file(self) -> Path:
        return self.folder / "anvil.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def running_chain_id(self) -> int | None:
        return rpc_chain_id(self.url)

    def ensure(self) -> str:
        """Return the URL of the local chain, starting it if nothing answers on its port.
        Two commands started at once must not both start one: the check-and-start holds a file lock."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with (self.folder / "start.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                return self._ensure()
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _ensure(self) -> str:
        found = self.running_chain_id()
        if found is None:
            self.start()
        elif found != self.chain_id:
            raise WrongChainError(self.chain_id, found, f"the local chain expected at {self.url}")
        elif self.pid() is None:
            # Another home's chain (or a hand-started Anvil): using it would mix two states.
            raise LocalChainError(
                f"port {self.port} already serves a chain not started from {self.home}: stop it, or set "
                "AITRAIL_LOCAL_PORT to another port"
            )
        return self.url

    def start(self) -> int:
        """Start Anvil detached (it outlives this process) and wait until it answers; return its pid."""
        anvil = find_anvil()
        self.folder.mkdir(parents=True, exist_ok=True)
        command = [
            anvil, "--host", "127.0.0.1", "--port", str(self.port), "--chain-id", str(self.chain_id),
            "--state", str(self.state_file), "--state-interval", "1", *self.extra_args,
        ]
        with self.log_file.open("ab") as log:
            process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,  # not killed with the terminal or the CLI that started it
            )
        self.pid_file.write_text(str(process.pid))
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if process.poll() is not None:
                self.pid_file.unlink(missing_ok=True)
                raise LocalChainError(f"local chain (Anvil) exited at start-up: {self._last_log_line()}")
            if self.running_chain_id() == self.chain_id:
                return process.pid
            time.sleep(0.1)
        process.terminate()
        self.pid_file.unlink(missing_ok=True)
        raise LocalChainError(f"local chain (Anvil) did not answer on {self.url} in {START_TIMEOUT:.0f} s")

    def pid(self) -> int | None:
        """The pid of the Anvil this home started, if it is still alive."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        try:
            os.kill(pid, 0)
        except OSError:
            self.pid_file.unlink(missing_ok=True)
            return None
        return pid

    def stop(self, timeout: float = 15.0) -> bool:
        """Stop the Anvil this home started (it dumps its state on SIGTERM). False if none was running."""
        pid = self.pid()
        if pid is None:
            return False
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except OSError:
                break
            if _reap(pid):
                break
            time.sleep(0.05)
        else:
            raise LocalChainError(f"local chain (Anvil, pid {pid}) did not stop in {timeout:.0f} s")
        self.pid_file.unlink(missing_ok=True)
        return True

    def _last_log_line(self) -> str:
        try:
            lines = [line for line in self.log_file.read_text(errors="replace").splitlines() if line.strip()]
        except OSError:
            return "no log"
        return lines[-1][:200] if lines else "no output"


def _reap(pid: int) -> bool:
    """Collect the exit status when the Anvil is our own child (a test or the demo started it)."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return False
    return done == pid
