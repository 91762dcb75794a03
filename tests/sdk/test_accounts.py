"""Encrypted keystores: new, import, list, unlock; passwords from env or prompt; no plaintext key on disk."""

import json

import pytest
from eth_account import Account

from aitrail.chain.accounts import Keystore, dev_account, password_env_vars
from aitrail.errors import (
    AccountError,
    AccountExistsError,
    AccountNotFoundError,
    NoPasswordError,
    WrongPasswordError,
)


@pytest.fixture(autouse=True)
def _no_password_env(monkeypatch):
    for name in ("AITRAIL_PASSWORD", "AITRAIL_PASSWORD_ALICE", "AITRAIL_PASSWORD_LAB_2"):
        monkeypatch.delenv(name, raising=False)


def test_new_account_is_an_encrypted_scrypt_keystore_that_unlocks(tmp_path):
    store = Keystore(tmp_path)
    address = store.new("alice", "s3cret")
    data = json.loads((tmp_path / "keystores" / "alice.json").read_text())
    assert data["crypto"]["kdf"] == "scrypt"
    assert store.unlock("alice", "s3cret").address == address
    assert store.list() == [("alice", address)]


def test_no_plaintext_key_is_written(tmp_path):
    key = Account.create().key.hex()
    Keystore(tmp_path).import_key("alice", key, "pw")
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert key.removeprefix("0x") not in path.read_text()


def test_wrong_password_is_one_clear_error(tmp_path):
    store = Keystore(tmp_path)
    store.new("alice", "right")
    with pytest.raises(WrongPasswordError, match=r"^wrong password for account 'alice'$"):
        Keystore(tmp_path).unlock("alice", "wrong")


def test_password_from_the_per_account_env_var_wins(tmp_path, monkeypatch):
    assert password_env_vars("lab-2") == ["AITRAIL_PASSWORD_LAB_2", "AITRAIL_PASSWORD"]
    monkeypatch.setenv("AITRAIL_PASSWORD_LAB_2", "specific")
    monkeypatch.setenv("AITRAIL_PASSWORD", "general")
    address = Keystore(tmp_path).new("lab-2")
    assert Keystore(tmp_path).unlock("lab-2", "specific").address == address


def test_password_prompt_is_used_without_env(tmp_path):
    asked = []

    def prompt(name, confirm):
        asked.append((name, confirm))
        return "typed"

    address = Keystore(tmp_path, prompt=prompt).new("alice")
    assert Keystore(tmp_path, prompt=prompt).unlock("alice").address == address
    assert asked == [("alice", True), ("alice", False)]


def test_no_password_and_no_terminal_names_the_env_vars(tmp_path):
    Keystore(tmp_path).new("alice", "pw")
    with pytest.raises(NoPasswordError, match="set AITRAIL_PASSWORD_ALICE or AITRAIL_PASSWORD"):
        Keystore(tmp_path).unlock("alice")


def test_import_keystore_checks_the_password_and_keeps_the_address(tmp_path):
    account = Account.create()
    source = tmp_path / "exported.json"
    source.write_text(json.dumps(Account.encrypt(account.key, "pw", iterations=2**10)))
    store = Keystore(tmp_path / "home")
    with pytest.raises(WrongPasswordError):
        store.import_keystore("bob", source, "nope")
    assert store.names() == []
    assert store.import_keystore("bob", source, "pw") == account.address
    assert store.unlock("bob", "pw").address == account.address


def test_import_of_a_plain_key_file_is_refused(tmp_path):
    source = tmp_path / "key.txt"
    source.write_text(Account.create().key.hex())
    with pytest.raises(AccountError, match="is not a keystore JSON file"):
        Keystore(tmp_path / "home").import_keystore("bob", source, "pw")


def test_bad_typed_key_is_refused(tmp_path):
    with pytest.raises(AccountError, match="not a valid private key"):
        Keystore(tmp_path).import_key("bob", "0x1234", "pw")


def test_duplicate_name_unknown_name_and_reserved_name(tmp_path):
    store = Keystore(tmp_path)
    store.new("alice", "pw")
    with pytest.raises(AccountExistsError):
        store.new("alice", "pw")
    with pytest.raises(AccountNotFoundError, match=r"no account named 'carol' \(known: alice\)"):
        store.unlock("carol", "pw")
    with pytest.raises(AccountError, match="invalid account name"):
        store.new("anvil3", "pw")


def test_dev_accounts_are_anvils_published_test_accounts():
    assert dev_account("anvil0").address == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
    assert dev_account("anvil1").address == "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
    with pytest.raises(AccountError):
        dev_account("anvil10")
