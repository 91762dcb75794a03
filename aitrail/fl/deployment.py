"""Flower's deployment engine for aitrail's Flower App: start a SuperLink, a SuperNode per party, a run.

    link = SuperLink.start(folder)                        # flower-superlink --insecure on 127.0.0.1
    node = SuperNode.start(hospital, link.address, csv)   # the hospital's agent + flower-supernode
    run_task(coordinator, task_id, link.address)          # the coordinator's agent + `flwr run`
    node.stop(); link.stop()

Each Flower process gets its own FLWR_HOME (the party's `<AITRAIL_HOME>/flwr`, or a folder of the run),
so nothing is written to the user's ~/.flwr. No child inherits a password: `child_env()` drops every
`AITRAIL_PASSWORD*` variable, and the key stays in the agent of the process that unlocked it
(aitrail.fl.agent). Runtime dependency installation (`uv sync` from the network) is switched off: the
app's code is the installed aitrail.

`--insecure` (plain HTTP) is what the tests and the demo use on 127.0.0.1. Across machines, give the
SuperLink a certificate (`flower-superlink --ssl-certfile/--ssl-keyfile/--ssl-ca-certfile`) and the
SuperNodes `--root-certificates` (`aitrail fl node --root-certificates`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from aitrail.errors import AitrailError
from aitrail.fl import flower_app
from aitrail.fl.agent import Agent
from aitrail.fl.party import LocalParty
from aitrail.results import FederatedRun

if TYPE_CHECKING:
    from aitrail.flows.session import Session

START_TIMEOUT = 90.0
CONNECTION = "aitrail"


class DeploymentError(AitrailError):
    """A Flower deployment process could not start or a run did not finish."""


def flower_bin(name: str) -> str:
    """Flower's entry points beside this Python (the venv's bin): they start each other by name."""
    path = Path(sys.executable).with_name(name)
    return str(path) if path.exists() else name


def child_env(flwr_home: Path) -> dict[str, str]:
    """The environment of a Flower process: ours without any password, with its own FLWR_HOME and this
    Python's bin first on PATH (the SuperNode starts `flower-superexec` by name)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AITRAIL_PASSWORD")}
    env["FLWR_HOME"] = str(flwr_home)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _toml(values: dict[str, object], path: Path) -> Path:
    import tomli_w

    path.write_text(tomli_w.dumps(values))
    return path


def _wait_port(port: int, process: subprocess.Popen[bytes], what: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise DeploymentError(f"{what} exited with code {process.returncode} at start (log: {log})")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise DeploymentError(
        f"{what} did not listen on 127.0.0.1:{port} within {START_TIMEOUT:g} s (log: {log})"
    )


def _stop(process: subprocess.Popen[bytes], grace: float = 15.0) -> None:
    """Stop a process we started in its own session and what it started (SuperExec, app processes)."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
        except ProcessLookupError:
            return
    # What it started may outlive it (a SuperExec checks its parent only now and then): the whole group.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _spawn(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        return subprocess.Popen(
            argv,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


@dataclass
class SuperLink:
    """`flower-superlink --insecure` on a free 127.0.0.1 port; the ServerApp runs in its SuperExec."""

    process: subprocess.Popen[bytes]
    port: int
    folder: Path

    @classmethod
    def start(cls, folder: Path, port: int | None = None) -> SuperLink:
        port = port or free_port()
        folder.mkdir(parents=True, exist_ok=True)
        log = folder / "superlink.log"
        argv = [
            flower_bin("flower-superlink"),
            "--insecure",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--disable-runtime-dependency-installation",
        ]
        process = _spawn(argv, child_env(folder / "flwr"), log)
        try:
            _wait_port(port, process, "flower-superlink", log)
        except DeploymentError:
            _stop(process)
            raise
        return cls(process, port, folder)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        _stop(self.process)


@dataclass
class SuperNode:
    """One party's SuperNode: its agent in this process, `flower-supernode` as a child process."""

    agent: Agent
    process: subprocess.Popen[bytes]
    port: int

    @classmethod
    def start(
        cls,
        session: Session,
        superlink: str,
        data: Path,
        *,
        byzantine: bool = False,
        root_certificates: Path | None = None,
    ) -> SuperNode:
        home = session.home
        agent = Agent(LocalParty(session), frozenset({"hello", "commit_update"})).start()
        try:
            values: dict[str, object] = {
                "aitrail-agent": str(agent.path),
                "aitrail-home": str(home),
                "aitrail-rpc": session.settings.rpc_url,
                "aitrail-store": session.store_kind,
                "aitrail-ipfs": session.ipfs_api,
                "data": str(data.resolve()),
            }
            if byzantine:
                values["byzantine"] = "true"
            (home / "flwr").mkdir(parents=True, exist_ok=True)
            node_config = _toml(values, home / "flwr" / "node-config.toml")
            port = free_port()
            tls = ["--root-certificates", str(root_certificates)] if root_certificates else ["--insecure"]
            argv = [
                flower_bin("flower-supernode"),
                *tls,
                "--superlink",
                superlink,
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--node-config",
                str(node_config),
                "--max-wait-time",
                "120",
            ]
            process = _spawn(argv, child_env(home / "flwr"), home / "flwr" / "supernode.log")
            _wait_port(port, process, "flower-supernode", home / "flwr" / "supernode.log")
        except BaseException:
            agent.stop()
            raise
        return cls(agent, process, port)

    @classmethod
    def start_many(
        cls, sessions: list[Session], superlink: str, data: list[Path], byzantine: int | None = None
    ) -> list[SuperNode]:
        """A SuperNode per session, started side by side (each waits for its own port); all or none."""
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=len(sessions)) as pool:
            futures = [
                pool.submit(cls.start, s, superlink, d, byzantine=i == byzantine)
                for i, (s, d) in enumerate(zip(sessions, data, strict=True))
            ]
        started = [f.result() for f in futures if f.exception() is None]
        failed = [f.exception() for f in futures if f.exception() is not None]
        if failed:
            for node in started:
                node.stop()
            raise failed[0]  # type: ignore[misc]
        return started

    def stop(self) -> None:
        try:
            _stop(self.process)
        finally:
            self.agent.stop()


def run_task(
    session: Session,
    task_id: int,
    superlink: str,
    *,
    insecure: bool = True,
    root_certificates: Path | None = None,
    stream: IO[bytes] | None = None,
    timeout: float = 3600.0,
) -> FederatedRun:
    """Run (or resume) task `task_id` on the SuperLink at `superlink` as its coordinator: the coordinator's
    agent here, the app submitted with `flwr run` from a temporary FLWR_HOME, until Flower's run ends.
    Then the chain says whether every round is aggregated (a run that stops early raises)."""
    from aitrail.fl.recording import fl_client

    contract = fl_client(session)
    task = contract.task(task_id)
    if str(task["coordinator"]).lower() != session.address.lower():
        raise DeploymentError(
            f"task {task_id} is coordinated by {task['coordinator']}, not {session.address}"
        )
    start = time.perf_counter()
    with Agent(LocalParty(session), frozenset({"hello", "commit_aggregate", "unwrap"})) as agent:
        run_config: dict[str, object] = {
            "task-id": task_id,
            "aitrail-agent": str(agent.path),
            "aitrail-home": str(session.home),
            "aitrail-rpc": session.settings.rpc_url,
            "aitrail-store": session.store_kind,
            "aitrail-ipfs": session.ipfs_api,
        }
        code = flwr_run(
            flower_app.pyproject(),
            run_config,
            superlink,
            f"task {task_id}",
            insecure=insecure,
            root_certificates=root_certificates,
            stream=stream,
            timeout=timeout,
        )
    task = contract.task(task_id)
    aggregated, rounds = int(task["aggregatedRounds"]), int(task["rounds"])
    if aggregated < rounds:
        raise DeploymentError(
            f"the Flower run of task {task_id} ended (flwr exit {code}) with {aggregated} of "
            f"{rounds} rounds aggregated on-chain: run it again to continue"
        )
    return FederatedRun(task_id, aggregated, rounds, time.perf_counter() - start)


def flwr_run(
    pyproject: str,
    run_config: dict[str, object],
    superlink: str,
    what: str,
    *,
    insecure: bool = True,
    root_certificates: Path | None = None,
    stream: IO[bytes] | None = None,
    timeout: float = 3600.0,
) -> int:
    """`flwr run --stream` of the app `pyproject` describes, from a temporary folder that is also its
    FLWR_HOME (the SuperLink connection lives in its config.toml, not in ~/.flwr); its exit code."""
    folder = Path(tempfile.mkdtemp(prefix="aitrail-flwr-run-"))
    try:
        app = folder / "app"
        app.mkdir()
        (app / "pyproject.toml").write_text(pyproject)
        connection: dict[str, object] = {"address": superlink}
        if root_certificates:
            connection["root-certificates"] = str(root_certificates)
        else:
            connection["insecure"] = insecure
        _toml({"superlink": {"default": CONNECTION, CONNECTION: connection}}, folder / "config.toml")
        overrides = _toml(run_config, folder / "run-config.toml")
        argv = [flower_bin("flwr"), "run", str(app), CONNECTION, "--run-config", str(overrides), "--stream"]
        done = subprocess.run(
            argv,
            env=child_env(folder),
            stdin=subprocess.DEVNULL,
            stdout=stream or subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            timeout=timeout,
            check=False,
        )
        return done.returncode
    except subprocess.TimeoutExpired:
        raise DeploymentError(f"the Flower run of {what} did not end within {timeout:g} s") from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run_plain(superlink: str, rule: str, rounds: int, participants: int, timeout: float = 3600.0) -> float:
    """The benchmark's anchor: the same model under plain Flower on the same SuperNodes (nothing recorded,
    no agent); the seconds `flwr run` took."""
    start = time.perf_counter()
    config: dict[str, object] = {
        "plain-rule": rule,
        "plain-rounds": rounds,
        "plain-participants": participants,
    }
    code = flwr_run(flower_app.pyproject(plain=True), config, superlink, "plain Flower", timeout=timeout)
    if code != 0:
        raise DeploymentError(f"the plain Flower run ended with flwr exit {code}")
    return time.perf_counter() - start
