"""Testnet rehearsal: a second Anvil with Sepolia's chain id, a non-zero base fee and a 2-second block time.

The owner's key is a keystore (Anvil's funded test key #0 imported, as one would import a faucet-funded
key); the researcher's is a fresh keystore funded by a transfer. The owner deploys with a 5 s registration
delay (`--registration-delay`; a public network's default is 60 s), so a registration still waits out a
real delay in chain time, without a minute of idling. The researcher requests access with the CLI, the
owner grants with the brownie script, the researcher fetches with the CLI. An unfunded account gets one
clear line. Every option comes from the environment (AITRAIL_RPC_URL, AITRAIL_ACCOUNT, ...).
"""

import json
import os

import pytest
from brownie import web3 as brownie_web3
from click.testing import CliRunner
from web3 import HTTPProvider, Web3

from aitrail import abi
from aitrail.chain.accounts import Keystore, dev_account
from aitrail.chain.local import LocalChain
from aitrail.cli import main
from tests.cli_support import cli

SEPOLIA = 11155111
BASE_FEE = 7 * 10**9
# Shorter than a public network's 60 s, and still longer than two of this chain's 2 s blocks.
REGISTRATION_DELAY = 5


@pytest.fixture(scope="module")
def testnet(tmp_path_factory, port):
    chain = LocalChain(
        tmp_path_factory.mktemp("sepolia-like"),
        port=port(),
        chain_id=SEPOLIA,
        extra_args=("--base-fee", str(BASE_FEE), "--block-time", "2"),
    )
    chain.ensure()
    yield chain
    chain.stop()


@pytest.fixture(scope="module")
def home(tmp_path_factory, testnet):
    root = tmp_path_factory.mktemp("rehearsal-home")
    with pytest.MonkeyPatch.context() as mp:
        for var in [v for v in os.environ if v.startswith("AITRAIL_")]:
            mp.delenv(var)
        mp.setenv("AITRAIL_HOME", str(root))
        mp.setenv("AITRAIL_RPC_URL", testnet.url)
        mp.setenv("AITRAIL_NO_PROGRESS", "1")
        mp.setenv("AITRAIL_PASSWORD_OWNER", "owner-pw")
        mp.setenv("AITRAIL_PASSWORD_RESEARCHER", "researcher-pw")
        mp.setenv("AITRAIL_PASSWORD_BROKE", "broke-pw")
        # The funded key of this rehearsal chain, kept encrypted like any real testnet key.
        Keystore(root).import_key("owner", bytes(dev_account("anvil0").key).hex(), "owner-pw")
        yield root




def test_anvils_public_test_accounts_are_refused_on_a_testnet(home):
    line = cli("dataset", "list", account="anvil0", ok=False)
    assert line == (
        "anvil0 is one of Anvil's public test accounts: only usable on a development chain "
        f"(chain id 31337 or 1337), not chain {SEPOLIA}"
    )


def test_owner_deploys_once_with_eip1559_fees(home, testnet):
    first = cli("deploy", "--registration-delay", REGISTRATION_DELAY, account="owner")
    assert len(first["deployed"]) == 6
    assert cli("deploy", account="owner")["deployed"] == []
    w3 = Web3(HTTPProvider(testnet.url))
    book = json.loads((home / "deployments" / f"{SEPOLIA}.json").read_text())
    registry = w3.eth.contract(address=book["DatasetRegistry"], abi=abi.abi("DatasetRegistry"))
    assert registry.functions.REGISTRATION_DELAY().call() == REGISTRATION_DELAY
    assert book["chainId"] == str(SEPOLIA)
    block = w3.eth.get_block(int(book["deployedAtBlock"]), full_transactions=True)
    tx = block["transactions"][0]
    assert tx["type"] == 2 and tx["maxFeePerGas"] >= block["baseFeePerGas"] > 0


def test_researcher_with_a_fresh_funded_keystore_requests_owner_grants_by_script_researcher_fetches(
    home, testnet, tmp_path, monkeypatch
):
    researcher = cli("account", "new", "researcher")["address"]
    cli("account", "fund", "researcher", "0.5", account="owner")
    assert Web3(HTTPProvider(testnet.url)).eth.get_balance(researcher) == 5 * 10**17

    data = tmp_path / "cohort.csv"
    data.write_text("id,value\nr1,0.5\nr2,0.7\n")
    registered = cli(
        "dataset", "register", data, "--name", "cohort", "--license", "CC-BY-4.0", account="owner"
    )
    w3 = Web3(HTTPProvider(testnet.url))
    book = json.loads((home / "deployments" / f"{SEPOLIA}.json").read_text())
    registry = w3.eth.contract(address=book["DatasetRegistry"], abi=abi.abi("DatasetRegistry"))
    [committed] = registry.events.RegistrationCommitted().get_logs(from_block=0)
    [revealed] = registry.events.DatasetRegistered().get_logs(from_block=0)
    # the reveal really waited the deployed delay in chain time (and no more than a few blocks beyond it)
    waited = w3.eth.get_block(revealed["blockNumber"])["timestamp"] - committed["args"]["committedAt"]
    assert REGISTRATION_DELAY <= waited <= REGISTRATION_DELAY + 8
    cli("access", "request", registered["id"], "--purpose", "rehearsal", account="researcher")

    import scripts.grant_access as grant_script

    monkeypatch.setenv("AITRAIL_ACCOUNT", "owner")
    original = brownie_web3.provider.endpoint_uri
    brownie_web3.connect(testnet.url)
    try:
        expires = grant_script.main(str(registered["id"]), researcher)
    finally:
        brownie_web3.connect(original)
    monkeypatch.delenv("AITRAIL_ACCOUNT")
    assert expires > Web3(HTTPProvider(testnet.url)).eth.get_block("latest")["timestamp"] + 29 * 86400

    out = tmp_path / "out"
    fetched = cli("dataset", "fetch", registered["id"], "-o", out, account="researcher")
    assert (out / "cohort.csv").read_bytes() == data.read_bytes()
    assert fetched["sha256"] == cli("dataset", "show", registered["id"])["contentHash"]


def test_an_unfunded_account_gets_one_clear_line(home):
    address = cli("account", "new", "broke")["address"]
    line = cli("access", "request", 1, "--purpose", "x", account="broke", ok=False)
    assert line.startswith(
        f"account {address} cannot pay for request access to dataset 1: balance 0.000000 ETH"
    )


def test_an_address_book_pointing_at_nothing_is_refused(home, tmp_path, testnet):
    other = tmp_path / "other-home"
    (other / "deployments").mkdir(parents=True)
    (other / "deployments" / f"{SEPOLIA}.json").write_text(
        json.dumps(
            {
                "chainId": str(SEPOLIA),
                **{
                    n: "0x" + "ab" * 20
                    for n in ("DatasetRegistry", "ModelRegistry", "RewardToken", "Rewards", "AccessMarket")
                },
            }
        )
    )
    result = CliRunner().invoke(main, ["dataset", "list"], env={"AITRAIL_HOME": str(other)})
    assert result.exit_code != 0
    assert "which has no code" in result.stderr
