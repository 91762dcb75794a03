"""Helpers for the CLI tests: a private AITRAIL_HOME on its own local chain, and one-call CLI runs."""

import json
import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

from aitrail._net import free_port
from aitrail.chain.local import LocalChain
from aitrail.cli import main


@contextmanager
def private_home(root):
    """AITRAIL_HOME=root with the embedded chain on a free port, no ambient accounts or passwords;
    the chain is stopped on exit."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AITRAIL_HOME", str(root))
        mp.setenv("AITRAIL_LOCAL_PORT", str(free_port()))
        mp.setenv("AITRAIL_NO_PROGRESS", "1")
        for var in [v for v in os.environ if v.startswith("AITRAIL_PASSWORD") or v == "AITRAIL_ACCOUNT"]:
            mp.delenv(var)
        try:
            yield root
        finally:
            # also when the test failed: a leaked Anvil would hold its port and memory for the whole run
            LocalChain(root).stop()


def cli(*args, account=None, ok=True):
    """Run `aitrail --json ARGS`: the parsed JSON when ok, else the one error line (checked to be one)."""
    env = {"AITRAIL_ACCOUNT": account} if account else {}
    result = CliRunner().invoke(main, ["--json", *[str(a) for a in args]], env=env)
    if ok:
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout) if result.stdout.strip() else None
    assert result.exit_code != 0, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    return lines[0].removeprefix("error: ")


AITRAIL = str(Path(sys.executable).with_name("aitrail"))


def party_runner(homes, chain_url, ipfs_api):
    """`run(party, *args, account=None, ok=True)`: `aitrail --json ARGS` in PARTY's home (homes[party]) as
    a child process, sharing only the chain's RPC URL and an IPFS node's API with the other parties, as on
    separate machines. The parsed JSON when it succeeds; the one `error: ...` line (checked to be one,
    with a non-zero exit) when it fails."""

    def run(party, *args, account=None, ok=True):
        env = {
            "PATH": os.environ["PATH"],
            "HOME": str(homes[party]),
            "AITRAIL_HOME": str(homes[party]),
            "AITRAIL_RPC_URL": chain_url,
            "AITRAIL_STORE": "kubo",
            "AITRAIL_IPFS_API": ipfs_api,
            "AITRAIL_NO_PROGRESS": "1",
        }
        if account:
            env["AITRAIL_ACCOUNT"] = account
        done = subprocess.run(
            [AITRAIL, "--json", *map(str, args)], env=env, capture_output=True, text=True, timeout=300
        )
        if ok:
            assert done.returncode == 0, done.stderr
            return json.loads(done.stdout)
        assert done.returncode != 0, done.stdout
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
        return lines[0].removeprefix("error: ")

    return run
