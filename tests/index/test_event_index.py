"""Issue 16: the event index against a real Anvil (the embedded chain of a private home), read through a
proxy that refuses eth_getLogs like public providers do; a reorg (evm_snapshot/evm_revert, then other
blocks); a sync killed with SIGKILL mid-way; incremental syncs; the audit reading the index.

Tests in this module share one chain and run in file order: a later one builds on earlier state.
"""

import csv
import io
import itertools
import json
import os
import signal
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from aitrail.chain.accounts import dev_account
from aitrail.cli import main
from aitrail.config import Settings
from aitrail.flows import Session
from aitrail.flows.audit import _dataset_trail
from aitrail.index import EventIndex
from aitrail.index.logs import RpcError
from tests.cli_support import cli, private_home
from tests.index.capped_rpc import CappedRpc, wait_until

OWNER, RESEARCHER = "anvil1", "anvil2"
AITRAIL = str(Path(sys.executable).with_name("aitrail"))
LOGGERS = ("anvil3", "anvil4", "anvil5")


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    with private_home(tmp_path_factory.mktemp("aitrail-index")) as root:
        cli("deploy", "--treasury", "1000")
        data = root / "cohort.csv"
        data.write_text("id,age\np1,54\np2,61\n")
        cli("dataset", "register", data, "--name", "cohort", "--license", "CC0", account=OWNER)
        cli("access", "request", 1, "--days", "3", "--purpose", "survival study", account=RESEARCHER)
        cli("access", "grant", 1, dev_account(RESEARCHER).address, "--days", "3", account=OWNER)
        log_attempts(24)
        yield root


def session(account=None):
    return Session.open(Settings.resolve(None, None), account)


def log_attempts(count, accounts=LOGGERS):
    """`count` self-reported access attempts on dataset 1 (denied: these accounts hold no grant), one
    transaction and so one block each on the automining chain."""
    sessions = [session(a) for a in accounts]
    for i in range(count):
        sessions[i % len(sessions)].suite.datasets.send("log access", "logAccess", 1)


def rpc(method, params):
    answer = requests.post(
        Settings.resolve(None, None).rpc_url,
        json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params},
        timeout=30,
    ).json()
    return answer["result"]


def raw_logs(up_to):
    """Every log of the suite from the chain itself, in one unrestricted eth_getLogs: the reference."""
    book = session().book.load(31337)
    addresses = [v for v in book.values() if str(v).startswith("0x")]
    logs = rpc("eth_getLogs", [{"address": addresses, "fromBlock": "0x0", "toBlock": hex(up_to)}])
    return sorted((int(x["blockNumber"], 16), int(x["logIndex"], 16), x["transactionHash"]) for x in logs)


def indexed_logs(home):
    with sqlite3.connect(home / "index" / "31337.sqlite") as db:
        rows = db.execute("SELECT block, log_index, tx_hash FROM logs ORDER BY block, log_index").fetchall()
    return [(b, i, "0x" + bytes(t).hex()) for b, i, t in rows]


@pytest.fixture
def second_home(home, tmp_path):
    """A second home on the same chain (the same address book) with an empty index: (its folder, the
    environment of an `aitrail` process run in it)."""
    (tmp_path / "deployments").mkdir(exist_ok=True)
    (tmp_path / "deployments" / "31337.json").write_text((home / "deployments" / "31337.json").read_text())
    return tmp_path, {**os.environ, "AITRAIL_HOME": str(tmp_path)}


def sync_through(proxy, env, timeout=300):
    """`aitrail --json index sync` as its own process in `env`, through the capped proxy."""
    return subprocess.run(
        [AITRAIL, "--json", "--rpc-url", proxy.url, "index", "sync"],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_sync_through_a_capped_provider_adapts_its_ranges_and_misses_nothing(home):
    upstream = Settings.resolve(None, None).rpc_url
    with CappedRpc(upstream, max_blocks=8, max_results=3, style="infura") as proxy:
        r = cli("--rpc-url", proxy.url, "index", "sync")
    reasons = {why for _, _, why in proxy.refused}
    assert reasons == {"blocks", "results"}, proxy.refused  # both caps were hit and answered as refusals
    assert r["refusals"] == len(proxy.refused) > 0
    # Every range the sync finally relied on fit both caps, and together they cover every block once.
    accepted = [rg for rg in proxy.ranges if rg not in {(lo, hi) for lo, hi, _ in proxy.refused}]
    assert all(hi - lo + 1 <= 8 for lo, hi in accepted)
    covered = sorted(accepted)
    start = int(session().book.load(31337)["deployedAtBlock"])
    assert covered[0][0] == start and covered[-1][1] == r["syncedTo"]
    assert all(b[0] == a[1] + 1 for a, b in itertools.pairwise(covered))
    assert indexed_logs(home) == raw_logs(r["syncedTo"])
    assert r["totalLogs"] == len(raw_logs(r["syncedTo"]))


def test_alchemy_shaped_refusals_are_understood_too(second_home):
    # A second home on the same chain starts an empty index, read through Alchemy's messages.
    folder, env = second_home
    upstream = Settings.resolve(None, None).rpc_url
    with CappedRpc(upstream, max_blocks=6, max_results=2, style="alchemy") as proxy:
        out = sync_through(proxy, env)
    assert out.returncode == 0, out.stderr
    assert {why for _, _, why in proxy.refused} == {"blocks", "results"}
    assert indexed_logs(folder) == raw_logs(int(rpc("eth_blockNumber", []), 16))


def test_the_audit_from_the_index_equals_the_full_rescan_and_a_resync_reads_only_new_blocks(home):
    upstream = Settings.resolve(None, None).rpc_url
    before = cli("index", "status")["syncedTo"]
    log_attempts(5)
    with CappedRpc(upstream, max_blocks=1000, max_results=1000) as proxy:
        audit = cli("--rpc-url", proxy.url, "audit", "dataset", 1)
    assert audit["index"]["newLogs"] == 5
    assert min(lo for lo, _ in proxy.ranges) == before + 1  # nothing before the checkpoint was read again
    # The same trail as the pre-index audit, which re-scanned the chain with eth_getLogs.
    rescan = _dataset_trail(session(), 1)
    assert audit["trail"] == _json(rescan["trail"])
    assert audit["strangerAttempts"] == rescan["strangerAttempts"]


def _json(rows):
    return json.loads(json.dumps(rows, default=str))


def test_no_sync_reads_what_is_there_and_says_up_to_which_block(home):
    synced = cli("index", "status")["syncedTo"]
    log_attempts(2)
    r = cli("audit", "dataset", 1, "--no-sync")
    assert r["index"] == {"synced": False, "syncedTo": synced, "finality": "not synced by this audit"}
    assert max(row["block"] for row in r["trail"]) <= synced
    assert cli("audit", "dataset", 1)["index"]["newLogs"] == 2


def test_confirmations_keep_the_newest_blocks_out(home):
    log_attempts(3)
    latest = int(rpc("eth_blockNumber", []), 16)
    r = cli("index", "sync", "--confirmations", 2)
    assert r["syncedTo"] == latest - 2 and r["finality"] == "2 confirmations"
    assert indexed_logs(home) == raw_logs(latest - 2)
    assert cli("index", "sync")["syncedTo"] == latest


def test_a_reorg_rolls_the_index_back_and_reads_the_new_blocks(home):
    cli("index", "sync")
    snapshot = rpc("evm_snapshot", [])
    log_attempts(3, accounts=("anvil6",))  # these blocks will be replaced
    first = cli("index", "sync")
    gone = dev_account("anvil6").address
    assert gone in cli("audit", "dataset", 1, "--no-sync")["strangerAttempts"]["accounts"]
    assert rpc("evm_revert", [snapshot]) is True
    log_attempts(5, accounts=("anvil7",))  # a longer fork: the chain moves past the old height
    second = cli("index", "sync")
    assert second["reorgAt"] is not None and second["reorgAt"] <= first["syncedTo"]
    assert second["droppedLogs"] == 3
    assert indexed_logs(home) == raw_logs(second["syncedTo"])
    accounts = cli("audit", "dataset", 1, "--no-sync")["strangerAttempts"]["accounts"]
    assert gone not in accounts and dev_account("anvil7").address in accounts


def test_a_sync_killed_mid_way_is_completed_by_the_next_with_no_gap_and_no_duplicate(second_home):
    # A fresh home on the same chain, read slowly in small ranges, killed once some ranges are stored.
    folder, env = second_home
    upstream = Settings.resolve(None, None).rpc_url
    database = folder / "index" / "31337.sqlite"

    def stored_ranges():
        if not database.exists():
            return 0
        with sqlite3.connect(database, timeout=5) as db:
            try:
                return db.execute("SELECT count(*) FROM blocks").fetchone()[0]
            except sqlite3.OperationalError:
                return 0

    with CappedRpc(upstream, max_blocks=3, max_results=1000, delay=0.15) as proxy:
        child = subprocess.Popen(
            [AITRAIL, "--rpc-url", proxy.url, "index", "sync"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        wait_until(lambda: stored_ranges() >= 4)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
        assert child.returncode == -signal.SIGKILL
        killed_at = len(proxy.ranges)
        latest = int(rpc("eth_blockNumber", []), 16)
        assert stored_ranges() < latest  # killed before the end
        out = sync_through(proxy, env)
    assert out.returncode == 0, out.stderr
    assert indexed_logs(folder) == raw_logs(latest)  # no gap, no duplicate
    resumed = proxy.ranges[killed_at:]
    assert min(lo for lo, _ in resumed) > 0  # the second run started from the checkpoint, not block 0


def _request(url):
    def request(method, params):
        answer = requests.post(
            url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params}, timeout=30
        ).json()
        if "error" in answer:
            raise RpcError(method, answer["error"]["code"], answer["error"]["message"])
        return answer["result"]

    return request


def test_logs_marked_removed_are_not_indexed(second_home):
    folder, env = second_home
    with CappedRpc(Settings.resolve(None, None).rpc_url, max_blocks=10_000, max_results=10_000) as proxy:
        proxy.removed_copies = True
        out = sync_through(proxy, env)
    assert out.returncode == 0, out.stderr
    assert indexed_logs(folder) == raw_logs(json.loads(out.stdout)["syncedTo"])


def test_finality_on_a_public_chain_is_the_finalized_tag_or_twelve_confirmations(home, tmp_path):
    upstream = Settings.resolve(None, None).rpc_url
    book = json.loads((home / "deployments" / "31337.json").read_text())
    contracts = {book["DatasetRegistry"]: ("DatasetRegistry", 0)}
    # As if the chain were Sepolia (not a development chain): the node's `finalized` block is the head.
    public = EventIndex(tmp_path / "a.sqlite", _request(upstream), 11155111, contracts)
    finalized = int(rpc("eth_getBlockByNumber", ["finalized", False])["number"], 16)
    assert public.finality_head() == (finalized, "finalized block")
    with CappedRpc(upstream, max_blocks=10_000, max_results=10_000) as proxy:
        proxy.no_finalized = True
        older = EventIndex(tmp_path / "b.sqlite", _request(proxy.url), 11155111, contracts)
        latest = int(rpc("eth_blockNumber", []), 16)
        assert older.finality_head() == (latest - 12, "12 confirmations (no finalized tag)")


def test_a_contract_added_to_the_address_book_later_is_caught_up_alone(home, tmp_path):
    upstream = Settings.resolve(None, None).rpc_url
    book = json.loads((home / "deployments" / "31337.json").read_text())
    start = int(book["deployedAtBlock"])
    first = {book["DatasetRegistry"]: ("DatasetRegistry", start)}
    EventIndex(tmp_path / "i.sqlite", _request(upstream), 31337, first).sync()
    log_attempts(2)
    everything = {
        book[n]: (n, start)
        for n in ("DatasetRegistry", "ModelRegistry", "Rewards", "AccessMarket", "RewardToken")
    }
    result = EventIndex(tmp_path / "i.sqlite", _request(upstream), 31337, everything).sync()
    with sqlite3.connect(tmp_path / "i.sqlite") as db:
        rows = db.execute("SELECT block, log_index, tx_hash FROM logs ORDER BY block, log_index").fetchall()
    assert [(b, i, "0x" + bytes(t).hex()) for b, i, t in rows] == raw_logs(result.synced_to)


def test_two_syncs_at_once_store_each_log_once(second_home):
    folder, env = second_home
    with CappedRpc(Settings.resolve(None, None).rpc_url, max_blocks=4, max_results=1000, delay=0.02) as proxy:
        command = [AITRAIL, "--json", "--rpc-url", proxy.url, "index", "sync"]
        children = [
            subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)
        ]
        outs = [c.communicate(timeout=300) for c in children]
    assert [c.returncode for c in children] == [0, 0], outs
    synced = [json.loads(out)["syncedTo"] for out, _ in outs]
    assert indexed_logs(folder) == raw_logs(max(synced))
    assert sorted(json.loads(out)["newLogs"] for out, _ in outs)[0] == 0  # the second found it done


def test_a_known_accounts_denial_stays_in_the_trail_while_strangers_are_only_counted(home):
    """The indexed audit splits denied attempts in SQL: one by an account that requested and held the
    dataset is a row of its own; strangers' are counted in `strangerAttempts` and never become rows."""
    researcher = dev_account(RESEARCHER).address
    stranger = dev_account("anvil6").address
    cli("access", "revoke", 1, researcher, account=OWNER)
    session(RESEARCHER).suite.datasets.send("log access", "logAccess", 1)
    log_attempts(2, accounts=("anvil6",))
    audit = cli("audit", "dataset", 1)
    attempts = [r for r in audit["trail"] if r["event"] == "AccessLogged"]
    assert [(r["account"], r["allowed"]) for r in attempts if r["account"] == researcher][-1:] == [
        (researcher, False)
    ]
    summaries = [r for r in attempts if "summarised" in r["detail"]]
    assert len(summaries) == 1 and summaries[0]["account"] == stranger  # the newest stranger, summarised
    assert [r for r in attempts if r["account"] == stranger and r not in summaries] == []
    assert stranger in audit["strangerAttempts"]["accounts"]
    rescan = _dataset_trail(session(), 1)
    assert audit["trail"] == _json(rescan["trail"])
    assert audit["strangerAttempts"] == rescan["strangerAttempts"]


def test_a_summarised_text_audit_shows_the_newest_rows_and_json_and_csv_carry_the_rescan(home, tmp_path):
    """The text table of a trail longer than `--rows` shows the newest rows after a count of every event
    kind and a line saying how many are left out; JSON and CSV carry every event, equal to the full
    re-scan through web3 (the pre-index audit), which the index path never uses."""
    log_attempts(3, accounts=(RESEARCHER,))  # known account: listed rows, so the trail is longer than 3
    whole = cli("audit", "dataset", 1)
    rescan = _dataset_trail(session(), 1)
    assert whole["trail"] == _json(rescan["trail"]) and len(whole["trail"]) > 3
    assert whole["strangerAttempts"] == rescan["strangerAttempts"]
    assert "trailSize" not in whole  # the machine format is never a part

    out = tmp_path / "trail.csv"
    cli("audit", "dataset", 1, "--format", "csv", "-o", out)
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [(int(r["block"]), int(r["logIndex"]), r["event"], r["tx"]) for r in rows] == [
        (r["block"], r["logIndex"], r["event"], r["tx"]) for r in whole["trail"]
    ]

    text = CliRunner().invoke(main, ["audit", "dataset", "1", "--rows", "3"])
    assert text.exit_code == 0, text.output
    lines = text.stdout.splitlines()
    counts = Counter(r["event"] for r in whole["trail"])
    assert lines[1] == f"{len(whole['trail'])} events: " + ", ".join(
        f"{n} {event}" for event, n in sorted(counts.items())
    )
    assert lines[2].startswith(f"... {len(whole['trail']) - 3} earlier events not shown")
    shown = lines[4:7]
    assert [line.split(None, 5)[-1] for line in shown] == [r["detail"] for r in whole["trail"][-3:]]
    assert lines[7].startswith("index complete up to block")


def test_the_audit_and_the_index_commands_import_no_web3(home):
    """`aitrail audit dataset` (text, JSON, CSV) and `aitrail index` read the index over plain JSON-RPC:
    no web3, eth-account, eth-abi, requests or flows import (each costs a large part of a second)."""
    for args in (
        ["--json", "audit", "dataset", "1"],
        ["audit", "dataset", "1"],
        ["audit", "dataset", "1", "--format", "csv"],
        ["index", "status"],
        ["index", "sync"],
    ):
        probe = subprocess.run(
            [sys.executable, "-c", HEAVY_PROBE, *args], capture_output=True, text=True, timeout=120
        )
        assert probe.returncode == 0, probe.stderr
        assert json.loads(probe.stderr.strip().splitlines()[-1]) == [], args


HEAVY_PROBE = """
import json, sys
from aitrail.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    assert exc.code in (0, None), exc.code
heavy = ("web3", "eth_account", "eth_abi", "eth_utils", "brownie", "requests", "aitrail.flows")
print(json.dumps(sorted(m for m in heavy if m in sys.modules)), file=sys.stderr)
"""


def test_an_unknown_dataset_is_the_same_one_error_line_on_the_web3_free_path(home):
    assert cli("audit", "dataset", 99, ok=False) == "dataset 99 does not exist"


def test_the_embedded_chain_is_not_checkpointed_by_a_read_only_command(home):
    """An audit or an index command changes nothing on the chain: it must not rewrite the checkpoint (a
    dump of the chain's whole state, seconds at 100,000 events); a command that changes it still does."""
    log_attempts(1)  # a change made outside the CLI: the next checkpoint would have to write it
    state = home / "chain" / "state.json"
    before = state.stat().st_mtime_ns
    cli("audit", "dataset", 1)
    cli("index", "sync")
    cli("index", "status")
    assert state.stat().st_mtime_ns == before
    cli("access", "request", 1, "--days", "2", "--purpose", "again", account="anvil8")
    assert state.stat().st_mtime_ns > before
