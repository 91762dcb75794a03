"""The embedded default chain: an Anvil the CLI starts detached (or finds running) under the aitrail home.

    chain = LocalChain(home)
    url = chain.ensure()      # start it, or find it running
    chain.checkpoint()        # make what it holds now survive a crash (the CLI does this before success)
    chain.stop()              # save the state and stop it

What lives in `<home>/chain/`, and why:

- `state.json`: the checkpoint. Anvil's own dumps (`--dump-state`, `--state-interval 1`) are written in
  place, so a SIGKILL in the middle of one leaves a torn file that Anvil then refuses to load, and a second
  is long enough to lose a transaction the CLI already reported. So after every command that changed the
  chain, and before it prints success, the CLI asks Anvil for its state (`anvil_dumpState`) and writes it
  here atomically (temporary file, fsync, rename, fsync of the folder).
- `anvil-state.json`: Anvil's own periodic and on-exit dump, which also covers what brownie scripts or the
  SDK did between checkpoints. A start loads whichever of the two parses and holds more blocks.
- `clock.json`: the chain's time offset (`evm_increaseTime` moves it) at the last checkpoint. Anvil keeps
  the offset only in memory and, after loading a state, stamps new blocks with the wall clock again, before
  blocks it already holds. A start sets the chain time to at least the last block's timestamp + 1 and to
  the wall clock plus the saved offset, so block time never goes backwards and an expired grant stays so.
  It also passes the saved genesis timestamp (`--timestamp`): Anvil makes a fresh block 0 at every start
  and keeps it beside the loaded one unless the two are identical.
- `anvil.pid`: written only once the started Anvil answers. A pid counts as our chain only if the process
  is alive and its command line names this home's chain folder and port, so neither a recycled pid nor a
  slow answer is taken for our chain, and a slow chain is waited for, never replaced. The pid file is a
  hint, not the record: `stop` also finds this home's Anvil by its command line (a pid file lost when the
  starting command was killed, a chain started on another port, a wrapper that spawned the real binary),
  and a start refuses to run a second Anvil over the same state while one runs on another port.
- `chain.lock`: held (fcntl) around find-or-start, stop and checkpoint, so concurrent commands start one
  chain and write checkpoints in the order they were taken.
"""

from __future__ import annotations

import fcntl
import gzip
import itertools
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aitrail._files import write_private
from aitrail._procs import pid_alive
from aitrail.config import LOCAL_RPC_URL
from aitrail.errors import AnvilNotFoundError, LocalChainError, WrongChainError

LOCAL_CHAIN_ID = 31337
LOCAL_PORT = int(LOCAL_RPC_URL.rsplit(":", 1)[1])
# The project's own Anvil from npm (`make setup`), found relative to a source checkout of the package.
PROJECT_ANVIL = Path(__file__).resolve().parents[2] / "node_modules" / ".bin" / "anvil"
START_TIMEOUT = 20.0
# How long a chain whose process is alive may take to answer before we call it stuck. Generous on
# purpose: on a loaded machine an answer can take seconds, and giving up must never mean starting another.
ANSWER_TIMEOUT = 30.0
# The only variables the detached Anvil inherits: it must not see keystore passwords (AITRAIL_PASSWORD_*)
# or anything else of the shell that started it, for as long as it runs.
ANVIL_ENVIRONMENT = ("PATH", "HOME", "LANG")
# The Anvil options a chain of this home is started with that name a file in its chain folder.
STATE_OPTIONS = ("--dump-state", "--load-state", "--state")


def find_anvil() -> str:
    """The Anvil to run: $AITRAIL_ANVIL, the project's node_modules/.bin/anvil, or `anvil` on PATH."""
    explicit = os.environ.get("AITRAIL_ANVIL")
    candidates = [explicit] if explicit else [str(PROJECT_ANVIL), shutil.which("anvil")]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return _native_anvil(candidate)
    searched = explicit or f"{PROJECT_ANVIL} or anvil on PATH"
    raise AnvilNotFoundError(searched)


def _native_anvil(candidate: str) -> str:
    """npm's `anvil` is a Node script that spawns the platform binary. Run the binary itself: the pid we
    keep is then the chain's own (a signal to the Node wrapper would not stop, freeze or kill the chain,
    and the wrapper exits on SIGTERM before the chain has saved its state), and no Node start-up is paid."""
    real = Path(candidate).resolve()
    if real.name == "bin.mjs" and real.parent.parent.name == "@foundry-rs":
        for binary in sorted(real.parent.parent.glob(f"{real.parent.name}-*/bin/anvil")):
            if os.access(binary, os.X_OK):
                return str(binary)
    return candidate


def rpc_call(url: str, method: str, params: list[Any], timeout: float) -> Any:
    """One JSON-RPC call; the `result`, or LocalChainError naming the method and what went wrong."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            answer = json.loads(response.read())
    except (OSError, ValueError, urllib.error.URLError) as exc:
        raise LocalChainError(f"local chain at {url} did not answer {method}: {exc}") from None
    if "error" in answer:
        raise LocalChainError(f"local chain at {url} refused {method}: {answer['error']}")
    return answer.get("result")


def rpc_chain_id(url: str, timeout: float = 1.0) -> int | None:
    """The chain id answered at `url`, or None if nothing speaks JSON-RPC there."""
    try:
        return int(rpc_call(url, "eth_chainId", [], timeout), 16)
    except (LocalChainError, TypeError, ValueError):
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
        """The checkpoint, written atomically; see the module docstring."""
        return self.folder / "state.json"

    @property
    def anvil_state_file(self) -> Path:
        """Anvil's own dump (every second and on exit), written in place: it may be torn."""
        return self.folder / "anvil-state.json"

    @property
    def clock_file(self) -> Path:
        return self.folder / "clock.json"

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

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.folder.mkdir(parents=True, exist_ok=True)
        with (self.folder / "chain.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def ensure(self) -> str:
        """Return the URL of the local chain, starting it unless this home's Anvil is running."""
        with self._locked():
            return self._ensure()

    def _ensure(self) -> str:
        pid = self.pid() or self._adopt()
        if pid is None:
            # This home's chain on another port (another AITRAIL_LOCAL_PORT, the SDK's local_port): a second
            # Anvil would write the same state files, and the first would be left running, unrecorded.
            elsewhere = [p for p in self._home_processes() if self._port_of(p) not in (None, self.port)]
            if elsewhere:
                other = self._port_of(elsewhere[0])
                raise LocalChainError(
                    f"this home's local chain is already running on port {other} (pid {elsewhere[0]}), not "
                    f"{self.port}: set AITRAIL_LOCAL_PORT={other}, or stop it first (`aitrail chain stop`)"
                )
        if pid is not None:
            found = self._wait_for_answer(pid)
            if found is not None:
                if found != self.chain_id:
                    raise WrongChainError(self.chain_id, found, f"the local chain expected at {self.url}")
                return self.url
            # It died while we waited: start a new one below.
        if _port_bound(self.port):
            found = rpc_chain_id(self.url, timeout=5.0)
            if found is not None and found != self.chain_id:
                raise WrongChainError(self.chain_id, found, f"the local chain expected at {self.url}")
            # Another home's chain (or a hand-started Anvil): using it would mix two states.
            raise LocalChainError(
                f"port {self.port} already serves a chain not started from {self.home}: stop it, or set "
                "AITRAIL_LOCAL_PORT to another port"
            )
        self.start()
        return self.url

    def _wait_for_answer(self, pid: int) -> int | None:
        """The chain id our live Anvil answers, waiting as long as ANSWER_TIMEOUT while it is alive but slow
        (loaded machine, stopped process); None if it died meanwhile."""
        deadline = time.monotonic() + ANSWER_TIMEOUT
        while pid_alive(pid):
            found = rpc_chain_id(self.url, timeout=min(5.0, ANSWER_TIMEOUT))
            if found is not None:
                return found
            if time.monotonic() > deadline:
                raise LocalChainError(
                    f"the local chain (Anvil, pid {pid}) is running but has not answered on {self.url} "
                    f"for {ANSWER_TIMEOUT:.0f} s: it is stuck or the machine is overloaded; try again, or "
                    "`aitrail chain stop` it"
                )
            time.sleep(0.2)
        return None

    def start(self) -> int:
        """Start Anvil detached (it outlives this process), loading the saved state, and wait until it
        answers; return its pid. The pid file names it only once it answers, so a start that fails (the
        port taken, a bad state file) never replaces the record of a running chain."""
        anvil = find_anvil()
        self.folder.mkdir(parents=True, exist_ok=True)
        command = [
            anvil, "--host", "127.0.0.1", "--port", str(self.port), "--chain-id", str(self.chain_id),
            "--dump-state", str(self.anvil_state_file), "--state-interval", "1",
        ]
        saved = self._state_to_load()
        if saved is not None:
            # Anvil makes a fresh genesis block at every start and keeps it beside the loaded one, so which
            # block 0 a later load picks is a coin toss; stamped with the saved genesis's time it is identical
            # to it (same hash) and the two are one.
            command += ["--load-state", str(saved.path), "--timestamp", str(saved.genesis_timestamp)]
        command += self.extra_args
        environment = {name: os.environ[name] for name in ANVIL_ENVIRONMENT if name in os.environ}
        with self.log_file.open("ab") as log:
            process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=environment,
                start_new_session=True,  # not killed with the terminal or the CLI that started it
            )
        try:
            self._wait_for_start(process)
            if saved is not None:
                self._keep_time_monotonic()
        except BaseException:
            if process.poll() is None:
                process.kill()
                process.wait()
            raise
        write_private(self.pid_file, str(process.pid).encode())
        return process.pid

    def _wait_for_start(self, process: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise LocalChainError(f"local chain (Anvil) exited at start-up: {self._last_log_line()}")
            if self.running_chain_id() == self.chain_id:
                return
            time.sleep(0.02)
        raise LocalChainError(f"local chain (Anvil) did not answer on {self.url} in {START_TIMEOUT:.0f} s")

    def _state_to_load(self) -> SavedState | None:
        """Of the checkpoint and Anvil's own dump, the one that parses and holds more blocks (the newer
        write on a tie); None for a new chain. Refuses to start empty over state that cannot be read."""
        readable: list[SavedState] = []
        unreadable: list[Path] = []
        for path in (self.state_file, self.anvil_state_file):
            if path.exists():
                found = SavedState.read(path)
                if found is None:
                    unreadable.append(path)
                else:
                    readable.append(found)
        if readable:
            return max(readable, key=lambda saved: (saved.best_block, saved.path.stat().st_mtime))
        if unreadable:
            files = ", ".join(map(str, unreadable))
            raise LocalChainError(
                f"cannot start the local chain: its saved state is unreadable ({files}); move it aside to "
                "start an empty chain"
            )
        return None

    def _keep_time_monotonic(self) -> None:
        """Set the clock of a chain started from saved state (`--timestamp` put it back at its genesis)."""
        latest = rpc_call(self.url, "eth_getBlockByNumber", ["latest", False], ANSWER_TIMEOUT)
        offset = float(self._saved_clock().get("offset", 0.0))
        target = max(time.time() + offset, int(latest["timestamp"], 16) + 1)
        rpc_call(self.url, "evm_setTime", [math.ceil(target)], ANSWER_TIMEOUT)

    def _saved_clock(self) -> dict[str, Any]:
        try:
            clock = json.loads(self.clock_file.read_text())
        except (OSError, ValueError):
            return {}
        return clock if isinstance(clock, dict) else {}

    def checkpoint(self) -> bool:
        """Save the running chain's state and clock durably, unless the last checkpoint already holds them.
        False when this home's chain is not running (a stop saved it) or nothing changed."""
        with self._locked():
            return self._checkpoint()

    def _checkpoint(self, running: bool = False) -> bool:
        if not running and self.pid() is None:
            return False
        latest = rpc_call(self.url, "eth_getBlockByNumber", ["latest", False], ANSWER_TIMEOUT)
        pending = rpc_call(self.url, "eth_getBlockByNumber", ["pending", False], ANSWER_TIMEOUT)
        clock = {
            "block": int(latest["number"], 16),
            "hash": latest["hash"],
            "offset": int(pending["timestamp"], 16) - time.time(),
        }
        saved = self._saved_clock()
        # Whole seconds against a fractional wall clock: a jitter below 2 s is no change of offset.
        moved = abs(float(saved.get("offset", 0)) - clock["offset"]) >= 2
        if saved.get("hash") == clock["hash"] and not moved and self.state_file.exists():
            return False
        dump = str(rpc_call(self.url, "anvil_dumpState", [], ANSWER_TIMEOUT))
        raw = bytes.fromhex(dump.removeprefix("0x"))
        # Anvil answers gzip; --load-state reads plain JSON.
        write_private(self.state_file, gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw)
        write_private(self.clock_file, json.dumps(clock).encode())
        return True

    def pid(self) -> int | None:
        """The pid of the Anvil this home started, if it is alive and still that Anvil."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if pid_alive(pid) and self._is_ours(pid) else None

    def _is_ours(self, pid: int, any_port: bool = False) -> bool:
        """Whether `pid` runs this home's Anvil: its command line names our port (any port, with
        `any_port`) and a file in our chain folder (a state file; any of them, so a chain started by an
        older aitrail is still recognised) as the argument of an Anvil state option."""
        if not Path("/proc/self/cmdline").exists():
            return not any_port  # no /proc (not Linux): the pid being alive is all we can check
        words = _cmdline(pid)
        pairs = list(itertools.pairwise(words))
        port_given = any_port or any(a == "--port" and b == str(self.port) for a, b in pairs)
        folder = f"{self.folder}{os.sep}"
        # the option before the path, not a mere mention of it: `tail -f <home>/chain/anvil.log` is not ours
        return port_given and any(a in STATE_OPTIONS and b.startswith(folder) for a, b in pairs)

    def _home_processes(self) -> list[int]:
        """Every live process, other than this one, running an Anvil for this home's chain folder on any
        port, found by command line: what `stop` must end even when the pid file does not name it."""
        if not Path("/proc/self/cmdline").exists():
            return []
        found = []
        for entry in Path("/proc").glob("[0-9]*"):
            pid = int(entry.name)
            if pid != os.getpid() and self._is_ours(pid, any_port=True) and pid_alive(pid):
                found.append(pid)
        return sorted(found)

    @staticmethod
    def _port_of(pid: int) -> int | None:
        words = _cmdline(pid)
        ports = [b for a, b in itertools.pairwise(words) if a == "--port"]
        return int(ports[0]) if ports and ports[0].isdigit() else None

    def _adopt(self) -> int | None:
        """Our Anvil running without a pid file (the command that started it was killed before writing
        it): find it by its command line and record it."""
        if not _port_bound(self.port):
            return None
        for entry in Path("/proc").glob("[0-9]*"):
            pid = int(entry.name)
            if pid != os.getpid() and self._is_ours(pid) and pid_alive(pid):
                write_private(self.pid_file, str(pid).encode())
                return pid
        return None

    def stop(self, timeout: float = 15.0) -> bool:
        """Checkpoint and stop the Anvil this home started, on whatever port it runs, whether or not the pid
        file names it (and a wrapper's child with it). False if none was running. One that has not exited
        `timeout` s after SIGTERM (frozen, or stuck) is killed: what it held is in the checkpoint, which
        every command took before it reported success."""
        with self._locked():
            recorded = self.pid()
            pids = sorted({*([recorded] if recorded is not None else []), *self._home_processes()})
            if not pids:
                self.pid_file.unlink(missing_ok=True)  # a stale one, of a chain that died
                return False
            chain = self
            port = self._port_of(recorded if recorded is not None else pids[0])
            if port is not None and port != self.port:
                chain = LocalChain(self.home, port=port, chain_id=self.chain_id, extra_args=self.extra_args)
            with suppress(LocalChainError):  # a chain too stuck to answer still dumps its state on SIGTERM
                chain._checkpoint(running=True)
            _signal_all(pids, signal.SIGTERM)
            left = _wait_gone(pids, timeout)
            if left:
                _signal_all(left, signal.SIGKILL)
                left = _wait_gone(left, 5.0)
            if left:
                raise LocalChainError(f"local chain (Anvil, pid {left[0]}) did not stop, even when killed")
            self.pid_file.unlink(missing_ok=True)
            return True

    def _last_log_line(self) -> str:
        try:
            lines = [line for line in self.log_file.read_text(errors="replace").splitlines() if line.strip()]
        except OSError:
            return "no log"
        return lines[-1][:200] if lines else "no output"


@dataclass(frozen=True)
class SavedState:
    """A state file Anvil can load: its height and its genesis block's timestamp."""

    path: Path
    best_block: int
    genesis_timestamp: int

    @classmethod
    def read(cls, path: Path) -> SavedState | None:
        """None if the file does not parse (a torn write) or lacks what a start needs."""
        try:
            state = json.loads(path.read_bytes())
            geneses = [
                _number(block["header"]["timestamp"])
                for block in state["blocks"]
                if _number(block["header"]["number"]) == 0
            ]
            # Several block 0s in a file written before the --timestamp fix: the first one is the real one.
            return cls(path, _number(state["best_block_number"]), min(geneses))
        except (OSError, ValueError, KeyError, TypeError):
            return None


def _number(value: str | int) -> int:
    return int(value, 16) if isinstance(value, str) else int(value)


def _port_bound(port: int) -> bool:
    """Whether something listens on 127.0.0.1:port. The kernel accepts the connection even when the
    process behind it is too busy (or stopped) to answer, so this tells slow from gone."""
    with socket.socket() as probe:
        probe.settimeout(1.0)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _cmdline(pid: int) -> list[str]:
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return []
    return [word.decode(errors="replace") for word in argv]


def _signal_all(pids: list[int], signum: int) -> None:
    for pid in pids:
        with suppress(ProcessLookupError):
            os.kill(pid, signum)


def _wait_gone(pids: list[int], timeout: float) -> list[int]:
    """Wait until every pid has exited (reaping our own children); those still running at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        left = [pid for pid in pids if not _reap(pid) and pid_alive(pid)]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.02)


def _reap(pid: int) -> bool:
    """Collect the exit status when the Anvil is our own child (a test or the demo started it)."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return False
    return done == pid
