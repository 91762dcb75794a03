"""The embedded chain under injected faults (issue 17): SIGKILL right after the CLI printed success, a torn
state file, restarts after time travel, a chain too slow (SIGSTOP) to answer, concurrent commands, a
recycled pid, a lost pid file, and secrets in the environment of the command that starts it.

Faults hit the real Anvil process: it is found by its command line (the native binary, naming this home),
not through aitrail's pid file, so the tests do not depend on the code they check.
"""

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from web3 import HTTPProvider, Web3

from aitrail.chain import local
from aitrail.chain.accounts import dev_account
from aitrail.chain.local import LocalChain
from aitrail.config import Settings
from aitrail.errors import LocalChainError
from aitrail.flows import Session
from tests.cli_support import cli, private_home

OWNER, RESEARCHER = "anvil1", "anvil2"
DAY = 86400


def anvil_processes(home):
    """Pids of the Anvil binaries whose command line names `home` (the chain's own processes)."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv and Path(argv[0].decode(errors="replace")).name == "anvil" and any(
            str(home).encode() in arg for arg in argv
        ):
            found.append(int(entry.name))
    return sorted(found)


def anvil_argument(pid, flag):
    argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
    return argv[argv.index(flag) + 1] if flag in argv else None


def kill_chain(home):
    """SIGKILL the chain: no chance to write anything."""
    pids = anvil_processes(home)
    assert pids, "no Anvil running for this home"
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    for pid in pids:
        while Path(f"/proc/{pid}").exists() and "Z" not in _state(pid):
            time.sleep(0.01)
        _reap(pid)
    assert not _listening(LocalChain(home).port)


def _state(pid):
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
    except OSError:
        return "gone"


def _reap(pid):
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


def _listening(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def rpc(home, method, *params, chain=None):
    url = (chain or LocalChain(home)).url
    return Web3(HTTPProvider(url)).provider.make_request(method, list(params))["result"]


def block_times(home):
    w3 = Web3(HTTPProvider(LocalChain(home).url))
    return [w3.eth.get_block(n)["timestamp"] for n in range(w3.eth.block_number + 1)]


def has_access(home, dataset_id, name):
    session = Session.open(Settings.resolve(None, "local", home), "anvil0")
    return session.suite.datasets.has_access(dataset_id, dev_account(name).address)


def register(home, name):
    path = home / f"{name}.csv"
    path.write_text(f"id,value\n{name}-1,1\n{name}-2,2\n")
    return cli("dataset", "register", path, "--name", name, "--license", "CC0", account=OWNER)


def aitrail_command():
    return [str(Path(sys.executable).with_name("aitrail"))]


# --- item 1: what the CLI reported as done survives SIGKILL of the chain --------------------------------


def test_a_registration_reported_done_survives_a_sigkill_right_after_success(tmp_path):
    with private_home(tmp_path) as home:
        cli("deploy")
        # Twice: Anvil's own dump runs every second, so one round could be saved by luck.
        for name in ("first", "second"):
            done = register(home, name)
            kill_chain(home)
            shown = cli("dataset", "show", done["id"])  # starts the chain again from what was saved
            assert shown["name"] == name
            assert shown["cid"] == done["cid"]
        assert [d["id"] for d in cli("dataset", "list")] == [1, 2]


def test_a_torn_dump_by_anvil_does_not_stop_the_next_start(tmp_path):
    with private_home(tmp_path) as home:
        deployed = cli("deploy")
        register(home, "kept")
        [pid] = anvil_processes(home)
        # The file Anvil writes in place (every second, and on exit), as a SIGKILL mid-write leaves it.
        dump = Path(anvil_argument(pid, "--dump-state") or anvil_argument(pid, "--state"))
        for _ in range(200):  # until Anvil has written it once (every second)
            if dump.exists() and dump.stat().st_size > 0:
                break
            time.sleep(0.05)
        kill_chain(home)
        data = dump.read_bytes()
        dump.write_bytes(data[: len(data) // 2])
        status = cli("status")
        assert all(c["code"] for c in status["contracts"].values())
        assert status["contracts"]["DatasetRegistry"]["address"] == deployed["addresses"]["DatasetRegistry"]
        assert cli("dataset", "show", 1)["name"] == "kept"


def test_state_that_cannot_be_read_is_refused_not_replaced_by_an_empty_chain(tmp_path, port):
    chain = LocalChain(tmp_path, port=port())
    chain.ensure()
    chain.stop()
    for saved in (chain.state_file, chain.anvil_state_file):
        saved.write_bytes(saved.read_bytes()[:100])
    with pytest.raises(LocalChainError, match="saved state is unreadable"):
        chain.ensure()
    assert anvil_processes(tmp_path) == []
    assert len(chain.state_file.read_bytes()) == 100


# --- item 2: block time is monotonic across restarts; an expired grant stays expired ------------------


def test_block_time_never_goes_back_after_restarts_and_an_expired_grant_stays_expired(tmp_path):
    with private_home(tmp_path) as home:
        cli("deploy")
        register(home, "timed")
        cli("access", "request", 1, "--purpose", "study", account=RESEARCHER)
        cli("access", "grant", 1, RESEARCHER, account=OWNER)
        assert has_access(home, 1, RESEARCHER)
        rpc(home, "evm_increaseTime", 31 * DAY)
        rpc(home, "evm_mine")
        assert not has_access(home, 1, RESEARCHER)

        def check_after_restart():
            rpc(home, "evm_mine")  # a block stamped after the restart
            times = block_times(home)
            assert times == sorted(times), times
            assert not has_access(home, 1, RESEARCHER)
            line = cli("dataset", "fetch", 1, "-o", home / "out", account=RESEARCHER, ok=False)
            assert "to dataset 1 expired on" in line and "denied attempt recorded" in line

        cli("chain", "stop")
        cli("chain", "start")
        check_after_restart()
        # The failed fetch logged its denied attempt: saved although the command ended in an error.
        logged = Web3(HTTPProvider(LocalChain(home).url)).eth.block_number
        kill_chain(home)
        cli("status")
        assert Web3(HTTPProvider(LocalChain(home).url)).eth.block_number >= logged
        check_after_restart()


def test_a_time_jump_not_yet_mined_survives_stop_and_start(tmp_path, port):
    chain = LocalChain(tmp_path, port=port())
    chain.ensure()
    try:
        rpc(tmp_path, "evm_increaseTime", 10 * DAY, chain=chain)  # no block carries it yet
        chain.stop()
        chain.ensure()
        rpc(tmp_path, "evm_mine", chain=chain)
        w3 = Web3(HTTPProvider(chain.url))
        assert w3.eth.get_block("latest")["timestamp"] >= time.time() + 10 * DAY - 60
    finally:
        chain.stop()


def test_block_zero_stays_the_same_block_across_restarts(tmp_path, port):
    chain = LocalChain(tmp_path, port=port())
    chain.ensure()
    try:
        w3 = Web3(HTTPProvider(chain.url))
        rpc(tmp_path, "evm_mine", chain=chain)
        genesis = w3.eth.get_block(0)["hash"]
        for _ in range(3):
            chain.stop()
            # Every file the chain saved holds one block 0 (Anvil kept a fresh one beside the loaded one).
            for saved in chain.folder.glob("*state.json"):
                blocks = json.loads(saved.read_text())["blocks"]
                assert [b["header"]["number"] for b in blocks].count("0x0") == 1, saved.name
            chain.ensure()
            assert w3.eth.get_block(0)["hash"] == genesis
    finally:
        chain.stop()


# --- item 3: slow is not dead; one chain for concurrent commands; the pid file is never wrong ----------


def test_a_chain_too_slow_to_answer_is_waited_for_not_replaced(tmp_path):
    with private_home(tmp_path) as home:
        cli("status")
        [pid] = anvil_processes(home)
        os.kill(pid, signal.SIGSTOP)
        wake = threading.Timer(2.5, os.kill, (pid, signal.SIGCONT))
        wake.start()
        try:
            status = cli("status")  # runs while the chain is frozen
        finally:
            wake.join()
            os.kill(pid, signal.SIGCONT)
        assert status["chain_id"] == 31337
        assert anvil_processes(home) == [pid]
        assert LocalChain(home).pid() == pid
        assert cli("status")["chain_id"] == 31337


def test_a_chain_that_never_answers_is_reported_stuck_and_still_not_replaced(tmp_path, port, monkeypatch):
    monkeypatch.setattr(local, "ANSWER_TIMEOUT", 1.0)  # the real 30 s, shortened for the test
    chain = LocalChain(tmp_path, port=port())
    chain.ensure()
    [pid] = anvil_processes(tmp_path)
    os.kill(pid, signal.SIGSTOP)
    try:
        with pytest.raises(LocalChainError, match=f"pid {pid}\\) is running but has not answered"):
            LocalChain(tmp_path, port=chain.port).ensure()
        assert anvil_processes(tmp_path) == [pid]
        assert chain.pid() == pid
    finally:
        os.kill(pid, signal.SIGCONT)
        chain.stop()


def test_concurrent_commands_against_a_stopped_chain_start_exactly_one(tmp_path):
    with private_home(tmp_path) as home:
        cli("status")
        cli("chain", "stop")
        assert anvil_processes(home) == []
        commands = [
            subprocess.Popen(
                [*aitrail_command(), "--json", "status"],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=os.environ.copy(),
            )
            for _ in range(4)
        ]
        results = [c.communicate(timeout=180) for c in commands]
        assert [c.returncode for c in commands] == [0] * 4, [err.decode() for _, err in results]
        running = anvil_processes(home)
        assert len(running) == 1
        assert LocalChain(home).pid() == running[0]


def test_a_failed_start_leaves_the_pid_file_alone(tmp_path, port):
    chain = LocalChain(tmp_path, port=port())
    chain.folder.mkdir(parents=True)
    chain.pid_file.write_text("4194000")
    with socket.socket() as squatter:  # something that is not a chain holds the port
        squatter.bind(("127.0.0.1", chain.port))
        squatter.listen()
        with pytest.raises(LocalChainError, match="already serves"):
            chain.ensure()
    assert chain.pid_file.read_text() == "4194000"
    assert anvil_processes(tmp_path) == []


def test_a_recycled_pid_in_the_pid_file_does_not_make_another_chain_ours(tmp_path, port):
    theirs = LocalChain(tmp_path / "theirs", port=port())
    theirs.ensure()
    try:
        mine = LocalChain(tmp_path / "mine", port=theirs.port)
        mine.folder.mkdir(parents=True)
        mine.pid_file.write_text(str(os.getpid()))  # alive, but not an Anvil of this home
        with pytest.raises(LocalChainError, match="already serves a chain not started from"):
            mine.ensure()
    finally:
        theirs.stop()


def test_our_chain_running_without_its_pid_file_is_found_not_duplicated(tmp_path, port):
    chain = LocalChain(tmp_path, port=port())
    chain.ensure()
    try:
        [pid] = anvil_processes(tmp_path)
        chain.pid_file.unlink()  # as when the starting command was killed before writing it
        assert LocalChain(tmp_path, port=chain.port).ensure() == chain.url
        assert chain.pid() == pid
        assert anvil_processes(tmp_path) == [pid]
    finally:
        chain.stop()


# --- `stop` ends this home's chain wherever the pid file and the port setting point ----------------------


def test_stop_ends_our_chain_whose_pid_file_was_lost_and_keeps_its_state(tmp_path, port):
    chain = LocalChain(tmp_path, port=port())
    chain.ensure()
    rpc(tmp_path, "evm_mine", chain=chain)
    height = int(rpc(tmp_path, "eth_blockNumber", chain=chain), 16)
    chain.pid_file.unlink()  # as when the command that started it was killed before writing it

    assert LocalChain(tmp_path, port=chain.port).stop() is True

    assert anvil_processes(tmp_path) == []
    assert not _listening(chain.port)
    chain.ensure()
    try:
        assert int(rpc(tmp_path, "eth_blockNumber", chain=chain), 16) == height
    finally:
        chain.stop()


def test_stop_with_another_port_setting_ends_the_chain_on_the_port_it_runs(tmp_path, port):
    # e.g. the SDK started it with local_port=8650, then `aitrail chain stop` runs without AITRAIL_LOCAL_PORT
    chain = LocalChain(tmp_path, port=port())
    chain.ensure()
    assert len(anvil_processes(tmp_path)) == 1

    assert LocalChain(tmp_path, port=port()).stop() is True

    assert anvil_processes(tmp_path) == []
    assert not _listening(chain.port)
    assert not chain.pid_file.exists()
    assert json.loads(chain.state_file.read_bytes())["best_block_number"] is not None  # checkpointed first


def test_a_start_on_another_port_while_our_chain_runs_is_refused_not_doubled(tmp_path, port):
    chain = LocalChain(tmp_path, port=port())
    chain.ensure()
    try:
        [pid] = anvil_processes(tmp_path)
        with pytest.raises(LocalChainError, match=f"already running on port {chain.port} \\(pid {pid}\\)"):
            LocalChain(tmp_path, port=port()).ensure()
        assert anvil_processes(tmp_path) == [pid]
        assert chain.pid() == pid
    finally:
        chain.stop()


def test_stop_ends_a_wrapper_and_the_anvil_it_spawned(tmp_path, port, monkeypatch):
    # A stand-in for a shim on PATH (a version manager's, a script): the pid file then names the wrapper,
    # which exits on SIGTERM without passing it on, and the real Anvil would keep the port and the state.
    wrapper = tmp_path / "anvil-wrapper"
    wrapper.write_text(f'#!/bin/sh\n"{local.find_anvil()}" "$@" &\nwait\n')
    wrapper.chmod(0o755)
    monkeypatch.setenv("AITRAIL_ANVIL", str(wrapper))
    chain = LocalChain(tmp_path / "home", port=port())
    chain.ensure()
    [real] = anvil_processes(tmp_path / "home")
    assert chain.pid() != real  # the pid file names the wrapper

    assert chain.stop() is True

    assert anvil_processes(tmp_path / "home") == []
    assert not _listening(chain.port)


def test_stop_kills_a_frozen_chain_that_cannot_act_on_sigterm(tmp_path, port, monkeypatch):
    monkeypatch.setattr(local, "ANSWER_TIMEOUT", 1.0)  # the real 30 s, shortened for the test
    chain = LocalChain(tmp_path, port=port())
    chain.ensure()
    chain.checkpoint()
    [pid] = anvil_processes(tmp_path)
    os.kill(pid, signal.SIGSTOP)

    assert chain.stop(timeout=1.0) is True

    assert anvil_processes(tmp_path) == []
    chain.ensure()  # from the checkpoint
    chain.stop()


# --- item 4: the detached chain inherits no secret -------------------------------------------------------


def test_the_chain_inherits_no_password_nor_any_aitrail_variable(tmp_path, port, monkeypatch):
    monkeypatch.setenv("AITRAIL_PASSWORD", "hunter2-shared")
    monkeypatch.setenv("AITRAIL_PASSWORD_HOSPITAL", "hunter2-hospital")
    monkeypatch.setenv("AITRAIL_ACCOUNT", "hospital")
    monkeypatch.setenv("AITRAIL_SEPOLIA_RPC_URL", "http://127.0.0.1:1/secret-key-in-url")
    chain = LocalChain(tmp_path, port=port())
    chain.ensure()
    try:
        pids = anvil_processes(tmp_path)
        assert pids
        for pid in pids:
            environ = Path(f"/proc/{pid}/environ").read_bytes()
            names = {item.split(b"=", 1)[0].decode() for item in environ.split(b"\0") if item}
            assert not [n for n in names if n.startswith("AITRAIL_")], names
            assert names <= {"PATH", "HOME", "LANG"}, names
            assert b"hunter2" not in environ
    finally:
        chain.stop()
