"""The Python SDK: the README's example run as written, `import aitrail` clean and light, typed frozen
results whose `to_json()` is the CLI's `--json`, and everything passable without an environment variable."""

import dataclasses
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import aitrail
from aitrail.chain.accounts import Keystore, dev_account
from aitrail.chain.local import LocalChain
from aitrail.errors import NoPasswordError, WrongPasswordError
from aitrail.results import DatasetInfo
from tests.cli_support import cli, free_port, private_home

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_example():
    text = README.read_text()
    section = text[text.index("\n## Python\n") :]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def clean_env(**extra):
    """The parent's PATH and nothing of aitrail's: the example must need no AITRAIL_* variable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AITRAIL_")}
    env.update(extra)
    return env


def test_the_readme_python_example_runs_as_written(tmp_path):
    example = readme_example()
    assert "local_port=8650" in example
    port = free_port()
    script = tmp_path / "example.py"
    script.write_text(example.replace("local_port=8650", f"local_port={port}"))  # a free port, nothing else
    try:
        done = subprocess.run(
            [sys.executable, str(script)],
            env=clean_env(TMPDIR=str(tmp_path), HOME=str(tmp_path)),
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr
        lines = done.stdout.splitlines()
        assert lines[0].startswith("Visits 2026 3 0x")
        published = json.loads("\n".join(lines[1:-1]))
        assert published["model"] == "readmission" and published["number"] == 1
        events = json.loads(lines[-1])
        assert events[:4] == ["DatasetRegistered", "AccessRequested", "AccessGranted", "AccessLogged"]
    finally:
        for home in tmp_path.rglob("aitrail-home"):
            LocalChain(home, port=port).stop()


def test_import_aitrail_exposes_the_public_names_only_and_stays_light():
    probe = (
        "import json, sys, aitrail\n"
        "public = sorted(n for n in vars(aitrail) if not n.startswith('_') and n != 'errors')\n"
        "heavy = ('web3', 'eth_account', 'aitrail.flows', 'aitrail.sdk')\n"
        "heavy = sorted(m for m in heavy if m in sys.modules)\n"
        "print(json.dumps([sorted(aitrail.__all__), public, heavy]))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    names, public, heavy = json.loads(done.stdout)
    assert names == ["AitrailError", "Client", "__version__", "connect"]
    assert public == ["AitrailError"]  # the rest is loaded when first asked for
    assert heavy == []
    from aitrail import sdk

    assert aitrail.connect is sdk.connect and aitrail.Client is sdk.Client
    with pytest.raises(AttributeError):
        aitrail.no_such_name  # noqa: B018


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    with private_home(tmp_path_factory.mktemp("sdk-home")) as root:
        cli("deploy")
        yield root


def connect(home, **kwargs):
    return aitrail.connect(home=home, local_port=LocalChain(home).port, **kwargs)


def test_results_are_frozen_and_their_json_is_the_clis(home, tmp_path):
    data = tmp_path / "rows.csv"
    data.write_text("id,v\na,1\nb,2\n")
    with connect(home, account="anvil1") as owner:
        registered = owner.datasets.register(data, name="rows", license="CC0-1.0")
        info = owner.datasets.get(registered.dataset_id)
    assert isinstance(info, DatasetInfo) and info.records_count == 2
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.name = "other"
    assert cli("dataset", "show", registered.dataset_id) == info.to_json()
    assert info["contentHash"] == info.content_hash  # the dict-style key of earlier code still reads
    again = cli("dataset", "register", data, "--name", "rows", "--license", "CC0-1.0", account="anvil1")
    assert again == dataclasses.replace(registered, already_registered=True, reused_upload=True).to_json()
    copy = cli("dataset", "verify", registered.dataset_id, data)
    with connect(home) as auditor:
        assert copy == auditor.datasets.verify(registered.dataset_id, data).to_json()
        keys = set(auditor.datasets.get(registered.dataset_id).to_json())
    assert all(re.fullmatch(r"[a-z]+([A-Z][a-z0-9]*)*", key) for key in keys), keys


def test_a_keystore_account_is_unlocked_with_the_password_passed_not_the_environment(home):
    Keystore(home, lambda name, confirm: "correct horse").new("alice")
    with connect(home, account="alice", password="correct horse") as alice:
        assert alice.address != dev_account("anvil0").address
        assert alice.rewards.balance().balance == 0
    with pytest.raises(WrongPasswordError):
        connect(home, account="alice", password="wrong")
    with pytest.raises(NoPasswordError):
        connect(home, account="alice")


def test_every_owner_only_step_refuses_another_account_with_one_error_type(home, tmp_path):
    from aitrail.errors import NotDatasetOwnerError
    from aitrail.flows.access import data_key_as_owner
    from aitrail.flows.signed_grants import sign_grant

    data = tmp_path / "owned.csv"
    data.write_text("id,v\nx,1\ny,2\n")
    with connect(home, account="anvil1") as owner:
        dataset_id = owner.datasets.register(data, name="owned", license="CC0-1.0").dataset_id
    stranger_address = dev_account("anvil3").address
    with connect(home, account="anvil3") as stranger:
        before = stranger.session.w3.eth.get_transaction_count(stranger_address)
        attempts = {
            "grant": lambda: stranger.access.grant(dataset_id, dev_account("anvil4").address),
            "owner key": lambda: data_key_as_owner(stranger.session, dataset_id),
            "signed grant": lambda: sign_grant(stranger.session, dataset_id, dev_account("anvil4").address),
            "drop records": lambda: stranger.records.withdraw(dataset_id, ["x"], tmp_path / "out", data),
        }
        for what, attempt in attempts.items():
            with pytest.raises(NotDatasetOwnerError) as refused:
                attempt()
            assert refused.value.account == stranger_address and refused.value.dataset_id == dataset_id, what
            expected = f"{stranger_address} is not the owner of dataset {dataset_id}"
            assert str(refused.value).startswith(expected)
        assert stranger.session.w3.eth.get_transaction_count(stranger_address) == before  # nothing sent
