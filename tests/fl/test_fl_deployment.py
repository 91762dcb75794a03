"""The recorded rounds under Flower's deployment engine, every party a real process on 127.0.0.1.

A `flower-superlink --insecure` (aitrail.fl.deployment.SuperLink) on a free port; five hospitals, each an
`aitrail fl node` process in its own AITRAIL_HOME with its own encrypted keystore (Anvil's account i
imported under a random password), which runs its signing agent and its `flower-supernode` child; the
coordinator an `aitrail fl run` process with its own keystore. Passwords go over each process's standard
input (`--password-stdin`) and nowhere else. Hospital 5 is Byzantine (`--byzantine`, the demo's fault
injection). One fresh Anvil, the js-ipfs node.
"""

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from aitrail.chain.accounts import Keystore, dev_account
from aitrail.fl import audit, demo
from aitrail.fl.deployment import SuperLink
from aitrail.fl.recording import RecordingStrategy, fl_client

AITRAIL = str(Path(sys.executable).with_name("aitrail"))
RULE = "MultiKrum f=1 keep=4"
ROUNDS = 2
POOL = 800 * demo.TOKEN
BYZANTINE = 4


@pytest.fixture(scope="module")
def federation(devchain, ipfs_node, tmp_path_factory):
    return demo.build_federation(
        tmp_path_factory.mktemp("deploy"), devchain.url, "kubo", ipfs_node.api_url, keep_data=True
    )


def env_for(home, devchain, ipfs_node):
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "AITRAIL_HOME": str(home),
        "AITRAIL_RPC_URL": devchain.url,
        "AITRAIL_STORE": "kubo",
        "AITRAIL_IPFS_API": ipfs_node.api_url,
    }


def keystore(home, anvil_index, password):
    """The party's own encrypted keystore, holding Anvil's account `anvil_index` (a funded test key)."""
    Keystore(home).import_key("me", dev_account(f"anvil{anvil_index}").key.hex(), password)


def with_password(argv, env, password, **kwargs):
    process = subprocess.Popen(argv, env=env, stdin=subprocess.PIPE, **kwargs)
    process.stdin.write(password.encode() + b"\n")
    process.stdin.close()
    process.stdin = None  # handed over: communicate() must not flush it
    return process


def processes_holding(secret):
    """Pids of this user's processes whose environment or command line contains `secret`."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            blob = (proc / "environ").read_bytes() + (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if secret.encode() in blob or b"AITRAIL_PASSWORD" in blob:
            found.append(int(proc.name))
    return found


def test_five_supernodes_two_rounds_byzantine_excluded_on_chain_and_verified(
    federation, devchain, ipfs_node, tmp_path
):
    link = SuperLink.start(tmp_path / "superlink")
    nodes = []
    passwords = [secrets.token_hex(12) for _ in range(6)]
    try:
        for i, (hospital, data) in enumerate(zip(federation.hospitals, federation.data, strict=True)):
            keystore(hospital.home, i + 1, passwords[i + 1])
            argv = [
                AITRAIL,
                "--account",
                "me",
                "fl",
                "node",
                "--superlink",
                link.address,
                "--data",
                str(data),
                "--password-stdin",
            ] + (["--byzantine"] if i == BYZANTINE else [])
            log = (hospital.home / "node.out").open("wb")
            nodes.append(
                with_password(
                    argv,
                    env_for(hospital.home, devchain, ipfs_node),
                    passwords[i + 1],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        for hospital in federation.hospitals:
            deadline = time.monotonic() + 120
            while b"SuperNode of" not in (hospital.home / "node.out").read_bytes():
                assert time.monotonic() < deadline, (hospital.home / "node.out").read_text()
                assert all(n.poll() is None for n in nodes), (hospital.home / "node.out").read_text()
                time.sleep(0.5)

        task_id, _ = demo.create_task(federation, RULE, ROUNDS, POOL)
        home = federation.coordinator.home
        keystore(home, 0, passwords[0])
        run = with_password(
            [
                AITRAIL,
                "--json",
                "--account",
                "me",
                "fl",
                "run",
                str(task_id),
                "--superlink",
                link.address,
                "--password-stdin",
            ],
            env_for(home, devchain, ipfs_node),
            passwords[0],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        # While the run is on, no process (SuperLink, SuperNodes, SuperExecs, app processes) holds a password.
        time.sleep(5)
        assert processes_holding(passwords[0]) == [] and all(processes_holding(p) == [] for p in passwords)
        out, err = run.communicate(timeout=900)
        assert run.returncode == 0, err.decode()[-3000:]
        result = json.loads(out)
        assert (result["task"], result["aggregated"], result["rounds"]) == (task_id, ROUNDS, ROUNDS)
    finally:
        for node in nodes:
            if node.poll() is None:
                node.send_signal(signal.SIGTERM)
        for node in nodes:
            node.wait(timeout=60)
        link.stop()
    assert [n.returncode for n in nodes] == [0] * 5
    assert all(b"SuperNode stopped" in (h.home / "node.out").read_bytes() for h in federation.hospitals)

    contract = fl_client(federation.coordinator)
    events = contract.events("AggregateCommitted", taskId=task_id)
    assert [int(e["args"]["round"]) for e in events] == [1, 2]
    for event in events:
        assert int(event["args"]["committedMask"]) == 0b11111
        assert int(event["args"]["includedMask"]) == 0b01111  # hospital 5 excluded
    each = POOL // ROUNDS // 4
    earned = [contract.participant(task_id, h.address)["earned"] for h in federation.hospitals]
    assert earned == [ROUNDS * each] * 4 + [0]
    strategy = RecordingStrategy(federation.coordinator, task_id, RULE, federation.store)
    accuracies = [demo.accuracy(a, federation.test) for _, a in demo.recorded_aggregates(strategy)]
    assert min(accuracies) > 0.9

    # The same rounds in-process give the same model: the engine changes nothing that is recorded.
    plain = demo.run_plain(federation, RULE, ROUNDS, byzantine=BYZANTINE)
    assert all((a == b).all() for a, b in zip(strategy.aggregate_of(ROUNDS), plain.final, strict=True))

    auditor = env_for(tmp_path / "auditor", devchain, ipfs_node)
    assert subprocess.run([AITRAIL, "deploy", "--find"], env=auditor, capture_output=True).returncode == 0
    verified = subprocess.run(
        [AITRAIL, "--json", "fl", "verify", str(task_id)],
        env=auditor,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert verified.returncode == 0, verified.stderr
    assert json.loads(verified.stdout)["ok"] is True
    assert audit.verify(federation.coordinator, task_id).ok
    # No file in any party's home holds a password.
    for home in [federation.coordinator.home, *(h.home for h in federation.hospitals)]:
        for path in home.rglob("*"):
            if path.is_file() and path.stat().st_size < 5_000_000:
                data = path.read_bytes()
                assert not any(p.encode() in data for p in passwords), path


def test_fl_run_refuses_a_task_this_account_does_not_coordinate(federation, devchain, ipfs_node, tmp_path):
    """One error line, before anything starts: hospital 1 is not the task's coordinator."""
    task_id, _ = demo.create_task(federation, RULE, 1, 0)
    home = tmp_path / "hospital1-elsewhere"
    keystore(home, 1, "pw-of-hospital-1")
    env = env_for(home, devchain, ipfs_node)
    assert subprocess.run([AITRAIL, "deploy", "--find"], env=env, capture_output=True).returncode == 0
    done = with_password(
        [
            AITRAIL,
            "--account",
            "me",
            "fl",
            "run",
            str(task_id),
            "--superlink",
            "127.0.0.1:9",
            "--password-stdin",
        ],
        env,
        "pw-of-hospital-1",
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    _, err = done.communicate(timeout=120)
    assert done.returncode == 1
    assert err.decode().strip().splitlines() == [
        f"error: task {task_id} is coordinated by {federation.coordinator.address}, "
        f"not {federation.hospitals[0].address}"
    ]


def test_the_demo_runs_on_the_deployment_engine(tmp_path):
    """`aitrail fl demo --engine deployment`: its own Anvil, js-ipfs, SuperLink and five SuperNodes; the
    same accuracies as the in-process engine's table, hospital 5 excluded on-chain, both tasks verify."""
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "AITRAIL_HOME": str(tmp_path)}
    done = subprocess.run(
        [AITRAIL, "fl", "demo", "--engine", "deployment", "--rounds", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "Flower deployment engine: SuperLink at 127.0.0.1:" in out
    assert "task 1 (FedAvg): excluded on-chain nobody; `aitrail fl verify 1`: ok" in out
    assert "task 2 (MultiKrum f=1 keep=4): excluded on-chain [5]; `aitrail fl verify 2`: ok" in out
    assert "    1                   0.053                   0.956" in out
    assert "hospital 5 0 TRAIL" in out


def test_a_coordinator_killed_mid_task_resumes_on_the_deployment_engine(
    federation, devchain, ipfs_node, tmp_path
):
    """`aitrail fl run` (and its `flwr run`) SIGKILLed once round 1's aggregate is on-chain: its agent is
    gone, so the ServerApp Flower still runs fails at its next signature; `aitrail fl run` again finishes
    the task from the chain, one commit per participant per round, the same model as plain Flower."""
    from collections import Counter

    from aitrail.fl.deployment import SuperNode

    rounds = 3
    link = SuperLink.start(tmp_path / "superlink")
    nodes = SuperNode.start_many(federation.hospitals, link.address, federation.data, byzantine=BYZANTINE)
    try:
        task_id, _ = demo.create_task(federation, RULE, rounds, 0)
        home = tmp_path / "coordinator"
        keystore(home, 0, "coordinator-pw")
        env = env_for(home, devchain, ipfs_node)
        assert subprocess.run([AITRAIL, "deploy", "--find"], env=env, capture_output=True).returncode == 0
        argv = [
            AITRAIL,
            "--account",
            "me",
            "fl",
            "run",
            str(task_id),
            "--superlink",
            link.address,
            "--password-stdin",
        ]
        contract = fl_client(federation.coordinator)
        first = with_password(
            argv,
            env,
            "coordinator-pw",
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 600
        while contract.task(task_id)["aggregatedRounds"] < 1:
            assert first.poll() is None and time.monotonic() < deadline
            time.sleep(0.2)
        os.killpg(first.pid, signal.SIGKILL)
        assert first.wait(timeout=60) == -signal.SIGKILL
        assert contract.task(task_id)["aggregatedRounds"] == 1

        second = with_password(argv, env, "coordinator-pw", stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        _, err = second.communicate(timeout=900)
        assert second.returncode == 0, err.decode()[-3000:]
    finally:
        for node in nodes:
            node.stop()
        link.stop()
    assert contract.task(task_id)["aggregatedRounds"] == rounds
    updates = Counter(
        (int(e["args"]["round"]), str(e["args"]["participant"]))
        for e in contract.events("UpdateCommitted", taskId=task_id)
    )
    assert len(updates) == 5 * rounds and set(updates.values()) == {1}
    assert [int(e["args"]["round"]) for e in contract.events("AggregateCommitted", taskId=task_id)] == [
        1,
        2,
        3,
    ]
    strategy = RecordingStrategy(federation.coordinator, task_id, RULE, federation.store)
    plain = demo.run_plain(federation, RULE, rounds, byzantine=BYZANTINE)
    assert all((a == b).all() for a, b in zip(strategy.aggregate_of(rounds), plain.final, strict=True))
    assert audit.verify(federation.coordinator, task_id).ok
