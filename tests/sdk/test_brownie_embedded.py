"""brownie scripts on the CLI's embedded chain: the `aitrail-local` network entry set-up writes, a real
`brownie run` through it, and one `error:` line (no traceback) when no account is usable.

brownie runs as a subprocess with HOME in a temporary folder, so the shared ~/.brownie is never touched;
set-up's own tool writes the network entry there.
"""

import os
import subprocess
import sys
from pathlib import Path

import yaml

from aitrail.chain.local import LocalChain
from tests.cli_support import cli, private_home
from tools.brownie_network import EMBEDDED_ID, ensure, ensure_embedded

ROOT = Path(__file__).resolve().parents[2]


def live_entry(config, network_id):
    return next(n for g in config.get("live", []) for n in g.get("networks", []) if n["id"] == network_id)


def test_the_embedded_network_entry_is_added_once_and_other_entries_are_kept(tmp_path):
    path = tmp_path / "network-config.yaml"
    path.write_text(yaml.safe_dump({"live": [{"name": "Ethereum", "networks": [{"id": "mainnet"}]}]}))
    ensure_embedded(port=8547, path=path)
    ensure("development", 8545, path=path)
    first = path.read_text()
    config = yaml.safe_load(first)
    assert live_entry(config, EMBEDDED_ID)["host"] == "http://127.0.0.1:8547"
    assert live_entry(config, EMBEDDED_ID)["chainid"] == 31337
    assert live_entry(config, "mainnet") == {"id": "mainnet"}
    ensure_embedded(port=8547, path=path)
    assert path.read_text() == first
    ensure_embedded(port=9999, path=path)
    assert live_entry(yaml.safe_load(path.read_text()), EMBEDDED_ID)["host"] == "http://127.0.0.1:9999"


def brownie(home_dir, *args, env_extra=None):
    """`brownie ARGS` from the project root with its own ~/.brownie; the network entry set first by
    set-up's tool, for the chain on $AITRAIL_LOCAL_PORT."""
    env = {**os.environ, "HOME": str(home_dir)}
    env.pop("AITRAIL_ACCOUNT", None)
    env.update(env_extra or {})
    home_dir.mkdir(exist_ok=True)
    setup = [sys.executable, "tools/brownie_network.py"]
    subprocess.run(setup, cwd=ROOT, env=env, check=True, capture_output=True)
    run = [str(Path(sys.executable).with_name("brownie")), *args, "--network", EMBEDDED_ID]
    return subprocess.run(run, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_brownie_run_drives_the_embedded_chain_through_aitrail_local(tmp_path):
    with private_home(tmp_path / "aitrail") as home:
        cli("chain", "start")
        done = brownie(tmp_path / "user", "run", "scripts/deploy.py")
        assert done.returncode == 0, done.stdout + done.stderr
        # The CLI sees the deployment the script made: same chain, same address book.
        status = cli("status")
        assert all(c["code"] for c in status["contracts"].values())
        assert (home / "deployments" / "31337.json").exists()


def test_a_script_without_a_usable_account_ends_in_one_error_line(tmp_path):
    with private_home(tmp_path / "aitrail") as home:
        # A node that holds no accounts for brownie's accounts[0] (a testnet RPC does not either).
        keyless = LocalChain(home, extra_args=("--accounts", "0"))
        keyless.ensure()
        data = tmp_path / "data.csv"
        data.write_text("id,v\na,1\n")
        script = ["run", "scripts/register_dataset.py", "main", str(data), "patients", "CC0"]
        cases = ((None, "error: no account to send with"), ("nosuch", "error: no account named"))
        for account, expected in cases:
            extra = {"AITRAIL_ACCOUNT": account} if account else {}
            failed = brownie(tmp_path / "user", *script, env_extra=extra)
            assert failed.returncode == 1
            lines = failed.stderr.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith(expected), failed.stderr
            assert "Traceback" not in failed.stdout + failed.stderr
            assert "IndexError" not in failed.stdout + failed.stderr
