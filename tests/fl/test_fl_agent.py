"""The signing agent (aitrail.fl.agent): what Flower's app processes may ask of a party's key.

The party behind the agent is a stand-in that records the calls (the chain side of each call is what the
deployment test exercises for real); the agent, its socket and `AgentParty` are the real ones."""

import os
import stat
import subprocess
import sys

import pytest

from aitrail.cid import CID
from aitrail.errors import AitrailError
from aitrail.fl.agent import Agent, AgentError, AgentParty

CID_TEXT = "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"


class StandInParty:
    address = "0x00000000000000000000000000000000000000A1"

    def __init__(self):
        self.calls = []

    def public_key(self):
        return b"\x04" * 64

    def unwrap(self, wrapped):
        self.calls.append(("unwrap", wrapped))
        return wrapped[::-1]

    def commit_update(self, task_id, round_, digest, cid):
        self.calls.append(("commit_update", task_id, round_, digest, str(cid)))
        if round_ == 9:
            raise AitrailError("round 9 of federated task 1 is not open (the open round is 2)")

    def commit_aggregate(self, task_id, round_, digest, cid, mask):
        self.calls.append(("commit_aggregate", task_id, round_, digest, str(cid), mask))


@pytest.fixture
def hospital_agent():
    party = StandInParty()
    with Agent(party, frozenset({"hello", "commit_update"})) as agent:
        yield agent, party


def test_a_hospital_agent_commits_updates_and_nothing_else(hospital_agent):
    agent, party = hospital_agent
    client = AgentParty(agent.path)
    assert client.address == party.address and client.public_key() == b"\x04" * 64
    client.commit_update(1, 2, b"\x11" * 32, CID.decode(CID_TEXT))
    assert party.calls == [("commit_update", 1, 2, b"\x11" * 32, CID_TEXT)]
    with pytest.raises(
        AgentError, match=r"^the agent does not do 'commit_aggregate' \(it does commit_update, hello\)$"
    ):
        client.commit_aggregate(1, 2, b"\x11" * 32, CID.decode(CID_TEXT), 0b11)
    with pytest.raises(AgentError, match="the agent does not do 'unwrap'"):
        client.unwrap(b"key")
    assert len(party.calls) == 1  # the refused requests reached nothing


def test_the_partys_own_error_comes_back_as_its_one_line(hospital_agent):
    agent, _ = hospital_agent
    with pytest.raises(
        AgentError, match=r"^round 9 of federated task 1 is not open \(the open round is 2\)$"
    ):
        AgentParty(agent.path).commit_update(1, 9, b"\x11" * 32, CID.decode(CID_TEXT))


def test_a_coordinator_agent_unwraps_and_commits_aggregates():
    party = StandInParty()
    with Agent(party, frozenset({"hello", "commit_aggregate", "unwrap"})) as agent:
        client = AgentParty(agent.path)
        assert client.unwrap(b"abc") == b"cba"
        client.commit_aggregate(3, 1, b"\x22" * 32, CID.decode(CID_TEXT), 0b1011)
        with pytest.raises(AgentError, match="does not do 'commit_update'"):
            client.commit_update(3, 1, b"\x22" * 32, CID.decode(CID_TEXT))
    assert party.calls == [("unwrap", b"abc"), ("commit_aggregate", 3, 1, b"\x22" * 32, CID_TEXT, 0b1011)]


def test_the_socket_is_private_and_goes_away_with_the_agent():
    agent = Agent(StandInParty()).start()
    folder, path = agent.folder, agent.path
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    agent.stop()
    assert not folder.exists()
    with pytest.raises(AgentError, match=r"^the signing agent at .* cannot be reached"):
        AgentParty(path)


NOBODY = """
import json, os, socket, sys
conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
os.setgid(65534); os.setuid(65534)
try:
    conn.connect(sys.argv[1])
except PermissionError:
    sys.exit(3)
try:
    conn.sendall(json.dumps({"op": "hello"}).encode() + b"\\n")
    answer = conn.recv(65536)
except (BrokenPipeError, ConnectionResetError):
    answer = b""
sys.exit(4 if answer == b"" else 5)  # 4: the agent hung up without a word
"""


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to run a client as another user")
def test_another_user_cannot_reach_the_agent_nor_talk_to_it():
    """Two locks: the 0700 folder keeps other users from the socket, and with the folder and socket opened
    up anyway, the agent reads the peer's uid from the kernel and answers nothing."""
    with Agent(StandInParty()) as agent:
        nobody = [sys.executable, "-S", "-c", NOBODY, str(agent.path)]
        assert subprocess.run(nobody, timeout=60).returncode == 3
        agent.folder.chmod(0o755)
        agent.path.chmod(0o666)
        assert subprocess.run(nobody, timeout=60).returncode == 4
