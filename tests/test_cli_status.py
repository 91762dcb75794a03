"""`aitrail --version` and `aitrail status` reach the chain end to end."""

import json

from brownie import RewardToken, web3
from click.testing import CliRunner

import aitrail
from aitrail._net import free_port
from aitrail.addressbook import AddressBook
from aitrail.cli import main


def _rpc_url():
    return web3.provider.endpoint_uri


def test_version_prints_package_version():
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert aitrail.__version__ in result.output


def test_status_reports_chain_and_deployed_contracts(tmp_path, monkeypatch, admin):
    monkeypatch.setenv("AITRAIL_HOME", str(tmp_path))
    token = RewardToken.deploy(admin, 10**24, {"from": admin})
    AddressBook(tmp_path).save(web3.eth.chain_id, {"RewardToken": token.address})

    result = CliRunner().invoke(main, ["--rpc-url", _rpc_url(), "--json", "status"])

    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["chain_id"] == web3.eth.chain_id
    assert report["block"] == web3.eth.block_number
    assert report["contracts"]["RewardToken"] == {"address": token.address, "code": True}
    assert report["contracts"]["DatasetRegistry"] == {"address": None, "code": False}


def test_status_flags_an_address_without_code(tmp_path, monkeypatch):
    monkeypatch.setenv("AITRAIL_HOME", str(tmp_path))
    AddressBook(tmp_path).save(web3.eth.chain_id, {"RewardToken": "0x" + "11" * 20})

    result = CliRunner().invoke(main, ["--rpc-url", _rpc_url(), "status"])

    assert result.exit_code == 0
    assert "no code at this address" in result.output


def test_status_on_unreachable_chain_is_one_line_and_nonzero(tmp_path, monkeypatch):
    monkeypatch.setenv("AITRAIL_HOME", str(tmp_path))
    url = f"http://127.0.0.1:{free_port()}"

    result = CliRunner().invoke(main, ["--rpc-url", url, "status"])

    assert result.exit_code != 0
    assert result.output.strip().splitlines() == [f"error: chain unreachable at {url}: connection refused"]


def test_unknown_network_names_the_choices(tmp_path, monkeypatch):
    monkeypatch.setenv("AITRAIL_HOME", str(tmp_path))
    result = CliRunner().invoke(main, ["--network", "mainnet-typo", "status"])
    assert result.exit_code != 0
    assert "unknown network 'mainnet-typo'" in result.output
