"""Accounts: encrypted keystores under `<home>/keystores`, and Anvil's public test accounts on a dev chain.

A keystore is eth-account's Web3 Secret Storage v3 file (scrypt KDF, AES-128-CTR), one per named
account (`<home>/keystores/<name>.json`). Keys come in three ways only: generated (`new`), an existing
keystore file (`import_keystore`), or a key the user types at a hidden prompt (`import_key`, the CLI
never takes one from argv or a file). No plaintext key is ever written anywhere.

Passwords: the environment variable AITRAIL_PASSWORD_<NAME> (the name upper-cased, other characters
as `_`), else AITRAIL_PASSWORD, else a prompt when a terminal is attached.

On a development chain (chain id 31337 or 1337), `anvil0` ... `anvil9` name Anvil's well-known test
accounts, derived from its published mnemonic: funded, public, for demos and tests only.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress

from aitrail._files import write_private
from aitrail.config import DEV_CHAIN_IDS as DEV_CHAIN_IDS  # re-exported: where callers look for it
from aitrail.errors import (
    AccountError,
    AccountExistsError,
    AccountNotFoundError,
    NoPasswordError,
    WrongPasswordError,
)

# Anvil's (and Hardhat's) published test mnemonic: its keys are public knowledge, so never fund them
# on a real network. Used only when the chain id says "development".
ANVIL_MNEMONIC = "test test test test test test test test test test test junk"
DEV_PREFIX = "anvil"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")

PasswordPrompt = Callable[[str, bool], str]  # (account name, confirm twice?) -> password


_HEX_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")


def checked_address(text: str) -> ChecksumAddress:
    """An address as typed: 0x and 40 hex digits, in one case (no checksum to check) or mixed case
    that is a valid EIP-55 checksum. A mixed-case address whose checksum fails is refused, not
    "corrected": one flipped letter means a typo, and funds sent there are lost.

    >>> checked_address("0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266")
    '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'
    """
    from web3 import Web3

    if not isinstance(text, str) or not _HEX_ADDRESS.match(text):
        raise AccountError(f"{text!r} is not an Ethereum address (0x and 40 hex digits)")
    body = text[2:]
    if body != body.lower() and body != body.upper() and not Web3.is_checksum_address(text):
        raise AccountError(
            f"{text} fails its EIP-55 checksum (mixed case that does not match): check it for a typo, "
            "or give it all in lower case"
        )
    return Web3.to_checksum_address(text)


def password_env_vars(name: str) -> list[str]:
    return [f"AITRAIL_PASSWORD_{re.sub(r'[^A-Za-z0-9]', '_', name).upper()}", "AITRAIL_PASSWORD"]


def is_dev_name(name: str) -> bool:
    return re.fullmatch(rf"{DEV_PREFIX}[0-9]", name) is not None


def dev_account(name: str) -> LocalAccount:
    """Anvil test account `anvilN` (N = 0..9), derived in memory from the public mnemonic."""
    if not is_dev_name(name):
        raise AccountError(f"{name!r} is not a dev account: use {DEV_PREFIX}0 ... {DEV_PREFIX}9")
    Account.enable_unaudited_hdwallet_features()
    index = int(name[len(DEV_PREFIX):])
    account: LocalAccount = Account.from_mnemonic(ANVIL_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")
    return account


class Keystore:
    """Named encrypted accounts in one folder."""

    def __init__(self, home: Path, prompt: PasswordPrompt | None = None) -> None:
        self.folder = home / "keystores"
        self.prompt = prompt
        self._unlocked: dict[str, LocalAccount] = {}

    def path(self, name: str) -> Path:
        return self.folder / f"{name}.json"

    def names(self) -> list[str]:
        return sorted(p.stem for p in self.folder.glob("*.json")) if self.folder.is_dir() else []

    def list(self) -> list[tuple[str, str]]:
        """(name, checksummed address) of every stored account; reads no secret."""
        result = []
        for name in self.names():
            data = self._read(name)
            result.append((name, _checksum(str(data.get("address", "")))))
        return result

    def address(self, name: str) -> str:
        return _checksum(str(self._read(name).get("address", "")))

    def new(self, name: str, password: str | None = None) -> str:
        """Generate a key, store it encrypted, return its address."""
        account: LocalAccount = Account.create()
        return self._store(name, account, password)

    def import_key(self, name: str, private_key: str, password: str | None = None) -> str:
        """Store a key the user typed (hidden prompt); the key itself is never written in clear."""
        try:
            account: LocalAccount = Account.from_key(private_key.strip())
        except (ValueError, TypeError):
            raise AccountError("that is not a valid private key (64 hex characters)") from None
        return self._store(name, account, password)

    def import_keystore(self, name: str, keystore_file: Path, password: str | None = None) -> str:
        """Copy an existing keystore JSON after checking that the password opens it."""
        try:
            data = json.loads(keystore_file.read_bytes().decode("utf-8"))
        except FileNotFoundError:
            raise AccountError(f"keystore file not found: {keystore_file}") from None
        except IsADirectoryError:
            raise AccountError(f"{keystore_file} is a directory, not a keystore JSON file") from None
        except OSError as exc:
            raise AccountError(f"cannot read {keystore_file}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise AccountError(f"{keystore_file} is not a keystore JSON file (not text)") from None
        except json.JSONDecodeError as exc:
            raise AccountError(f"{keystore_file} is not a keystore JSON file: {exc}") from None
        if not isinstance(data, dict) or "crypto" not in {k.lower() for k in data}:
            raise AccountError(f"{keystore_file} is not a keystore JSON file (no 'crypto' section)")
        self._check_free(name)
        key = self._decrypt(name, data, password if password is not None else self._password(name))
        account: LocalAccount = Account.from_key(key)
        data["address"] = account.address[2:].lower()
        self._write(name, data)
        return account.address

    def unlock(self, name: str, password: str | None = None) -> LocalAccount:
        """Decrypt account `name` (once per process) into an in-memory signer."""
        if name in self._unlocked:
            return self._unlocked[name]
        data = self._read(name)
        key = self._decrypt(name, data, password if password is not None else self._password(name))
        account: LocalAccount = Account.from_key(key)
        self._unlocked[name] = account
        return account

    # --- internals ---

    def _store(self, name: str, account: LocalAccount, password: str | None) -> str:
        self._check_free(name)
        secret = password if password is not None else self._password(name, confirm=True)
        if not secret:
            raise AccountError("an empty password would leave the key unprotected")
        self._write(name, Account.encrypt(account.key, secret))
        return account.address

    def _check_free(self, name: str) -> None:
        if not _NAME.match(name) or is_dev_name(name):
            raise AccountError(
                f"invalid account name {name!r}: letters, digits, '.', '_', '-' (and not {DEV_PREFIX}N)"
            )
        if self.path(name).exists():
            raise AccountExistsError(name)

    def _read(self, name: str) -> dict[str, Any]:
        path = self.path(name)
        if not path.is_file():
            raise AccountNotFoundError(name, self.names())
        try:
            data = json.loads(path.read_bytes().decode("utf-8"))
        except UnicodeDecodeError:
            raise AccountError(f"keystore {path} is damaged: not text") from None
        except json.JSONDecodeError as exc:
            raise AccountError(f"keystore {path} is damaged: {exc.msg}") from None
        if not isinstance(data, dict):
            raise AccountError(f"keystore {path} is damaged: not a JSON object")
        return data

    def _write(self, name: str, data: dict[str, Any]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_private(self.path(name), json.dumps(data))

    def _password(self, name: str, confirm: bool = False) -> str:
        for var in password_env_vars(name):
            value = os.environ.get(var)
            if value is not None:
                return value
        if self.prompt is None:
            raise NoPasswordError(name, password_env_vars(name))
        return self.prompt(name, confirm)

    @staticmethod
    def _decrypt(name: str, data: dict[str, Any], password: str) -> bytes:
        try:
            return bytes(Account.decrypt(data, password))
        except ValueError as exc:
            if "MAC mismatch" in str(exc):
                raise WrongPasswordError(name) from None
            raise AccountError(f"cannot open keystore {name!r}: {exc}") from None
        except (KeyError, TypeError, AttributeError) as exc:
            # eth-account indexes the JSON as it goes: a missing or mistyped field surfaces as these.
            what = f"no field {exc}" if isinstance(exc, KeyError) else "a field of the wrong type"
            raise AccountError(f"keystore {name!r} is not a valid keystore file: {what}") from None


def _checksum(address: str) -> str:
    from web3 import Web3

    text = address if address.startswith("0x") else "0x" + address
    try:
        return str(Web3.to_checksum_address(text))
    except ValueError:
        return text
