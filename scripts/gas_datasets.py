"""Gas per operation of DatasetRegistry, beside the anchors, compared with the committed snapshot.

    brownie run scripts/gas_datasets.py --network wt3            # print the table, compare
    UPDATE_GAS_SNAPSHOT=1 brownie run scripts/gas_datasets.py    # also rewrite gas/datasets.json

Every figure is the total gas of one transaction (21,000 base included), measured in steady state:
the registry already holds a dataset, so the dataset counter is not written for the first time.
Batch rows are gas per grantee (total / size). verifyRecord rows are `estimate_gas` of the view call,
i.e. a transaction that only checks the proof. The test tests/contracts/test_gas_snapshot_datasets.py
runs `measure()` and `compare()` from here.
"""

from __future__ import annotations

from typing import Any

from brownie import DatasetRegistry, accounts, chain, web3

from scripts import brownie_receipts
from scripts.datasets_support import (
    REGISTRATION_DELAY,
    account_public_key,
    commit,
    committed_register,
    dataset_input,
    grant_typed_data,
    h,
    path_root,
    record_leaf,
    registration_typed_data,
    salt_of,
    sign,
)
from scripts.gas_snapshot import GAS_DIR, GasSnapshot

brownie_receipts.install()


# Fixed inputs so every run sends identical calldata: the deployer's nonce (hence the registry address,
# which the EIP-712 signatures cover) and the signature deadline. A signature's zero bytes cost less
# calldata gas than its non-zero ones, so a different address or deadline could move the signed rows.
DEPLOYER_NONCE = 4242
DEADLINE = 4_102_444_800  # 2100-01-01

# operation -> (anchor from ANCHORS.md, its gas); None where no anchor system has the operation.
ANCHORS: dict[str, tuple[str, int] | None] = {
    "commit registration": None,
    "register": ("Ocean createNftWithErc20", 1_039_198),
    "register, commit + reveal": ("Ocean createNftWithErc20", 1_039_198),
    "register with records root": ("Ocean publish; root anchor alone 45,578", 1_039_198),
    "register by signature": ("Ocean createNftWithErc20", 1_039_198),
    "request access": None,
    "grant new": ("ERC-4907 setUser first", 48_528),
    "grant extend": ("ERC-5643 renew extend", 30_716),
    "batch grant x1 per grantee": ("ERC-4907 setUser first", 48_528),
    "batch grant x10 per grantee": ("ERC-4907 setUser first", 48_528),
    "batch grant x100 per grantee": ("ERC-4907 setUser first", 48_528),
    "signed grant": ("ERC-4907 setUser first", 48_528),
    "cancel signed grant": None,
    "revoke": ("ERC-4907 revoke", 26_340),
    "log access allowed": ("event + counter", 28_841),
    "log access denied": ("event only", 23_736),
    "withdraw": None,
    "verifyRecord depth 10": ("OZ MerkleProof depth 10 in a tx", 37_220),
    "verifyRecord depth 20": ("OZ MerkleProof depth 10 in a tx", 37_220),
    "register with records root, 10 records": ("Ocean publish; root anchor alone 45,578", 1_039_198),
    "register with records root, 1,000,000 records": ("Ocean publish; root anchor alone 45,578", 1_039_198),
    "new version withdrawing 1 record": None,
    "new version withdrawing 10 records": None,
    "deliver key": ("ERC-4907 setUser overwrite", 31_428),
    "authorise gateway": None,
    "gateway record allowed": ("Ocean startOrder", 135_048),
    "gateway record denied": ("event only", 23_736),
}

# Targets of issue 3 (at most this much gas).
TARGETS = {
    "register": 120_000,
    "register with records root": 120_000,
    "grant new": 50_000,
    "log access allowed": 30_000,
    "log access denied": 30_000,
    "revoke": 30_000,
}

SNAPSHOT = GasSnapshot(GAS_DIR / "datasets.json", ANCHORS, TARGETS)


def _address(label: str) -> str:
    return web3.to_checksum_address(h(label)[:20])


def measure(txs: dict[str, str] | None = None, calls: dict[str, str] | None = None) -> dict[str, int]:
    """Deploy a fresh registry and return gas per operation (deterministic for a given contract).
    If given, `txs` receives each measured transaction's hash (a batch row's whole batch) and `calls`
    the calldata of each estimated view call: `make bench` computes their gas floors from them."""
    deployer, owner, researcher, outsider, relayer = (accounts[i] for i in (0, 1, 2, 3, 4))
    web3.provider.make_request("anvil_setNonce", [deployer.address, hex(DEPLOYER_NONCE)])
    registry = DatasetRegistry.deploy(REGISTRATION_DELAY, {"from": deployer})
    gas: dict[str, int] = {}

    def record(name: str, tx: Any, per: int = 1) -> None:
        gas[name] = int(tx.gas_used) // per
        if txs is not None:
            txs[name] = tx.txid

    # Warm-up registration: the first ever writes the counter from zero, which only happens once.
    committed_register(registry, dataset_input(owner, "warm-up"), [], owner)

    plain = dataset_input(owner, "plain")
    record("commit registration", commit(registry, plain, owner))
    chain.sleep(REGISTRATION_DELAY)
    record("register", registry.register(plain, [], salt_of(plain), {"from": owner}))
    # What a registration costs its owner: both transactions (the delay between them costs nothing).
    gas["register, commit + reveal"] = gas["commit registration"] + gas["register"]
    tx = committed_register(registry, dataset_input(owner, "records", records=1000), [], owner)
    record("register with records root", tx)
    dataset_id = tx.return_value

    signed = dataset_input(owner, "signed")
    deadline = DEADLINE
    nonce = registry.nonces(owner)
    signature = sign(owner, registration_typed_data(registry, signed, [], nonce, deadline))
    tx = registry.registerWithSig(signed, [], nonce, deadline, signature, {"from": relayer})
    record("register by signature", tx)

    record(
        "request access",
        registry.requestAccess(
            dataset_id, h("purpose"), 0, account_public_key(researcher), {"from": researcher}
        )
    )
    record("grant new", registry.grantAccess(dataset_id, researcher, 0, h("key-1"), {"from": owner}))
    record("grant extend", registry.grantAccess(dataset_id, researcher, 0, h("key-2"), {"from": owner}))

    for size in (1, 10, 100):
        grantees = [_address(f"batch-{size}-{i}") for i in range(size)]
        refs = [h(f"ref-{size}-{i}") for i in range(size)]
        tx = registry.grantAccessBatch(dataset_id, grantees, 0, refs, {"from": owner})
        record(f"batch grant x{size} per grantee", tx, per=size)

    deadline = DEADLINE
    # Unordered nonces: the SDK draws a random one, so a signed grant sets a bit in a fresh word.
    nonce = int.from_bytes(h("grant-nonce-1"), "big")
    typed = grant_typed_data(registry, dataset_id, outsider, 0, h("key-3"), nonce, deadline)
    tx = registry.grantAccessWithSig(
        dataset_id, outsider, 0, h("key-3"), nonce, deadline, sign(owner, typed), {"from": outsider}
    )
    record("signed grant", tx)
    cancelled = int.from_bytes(h("grant-nonce-2"), "big")
    record("cancel signed grant", registry.cancelGrantSignature(cancelled, {"from": owner}))

    record("log access allowed", registry.logAccess(dataset_id, {"from": researcher}))
    record("log access denied", registry.logAccess(dataset_id, {"from": relayer}))
    record("revoke", registry.revokeAccess(dataset_id, outsider, {"from": owner}))

    for depth in (10, 20):
        values = (h(f"key-{depth}"), h(f"row-{depth}"), 1)
        proof = [h(f"sibling-{depth}-{i}") for i in range(depth)]
        root = path_root(record_leaf(values), proof)
        tree = dataset_input(owner, f"tree-{depth}", records=2**depth, root=root)
        tx = committed_register(registry, tree, [], owner)
        tree_id = tx.return_value
        if not registry.verifyRecord(tree_id, *values, proof):
            raise AssertionError(f"depth-{depth} proof does not verify")
        gas[f"verifyRecord depth {depth}"] = int(registry.verifyRecord.estimate_gas(tree_id, *values, proof))
        if calls is not None:
            calls[f"verifyRecord depth {depth}"] = registry.verifyRecord.encode_input(tree_id, *values, proof)

    record("withdraw", registry.withdrawDataset(dataset_id, h("consent withdrawn"), {"from": owner}))

    # Measured last so the rows above keep their state (ids, counters) whatever is added here.
    # Anchoring a root is one slot whatever the record count: only the count's calldata bytes differ.
    for records, label in ((10, "10"), (1_000_000, "1,000,000")):
        data = dataset_input(owner, f"records-{records}", records=records)
        tx = committed_register(registry, data, [], owner)
        record(f"register with records root, {label} records", tx)
    # A consent withdrawal: a new version with a new root plus the dropped leaves in RecordsWithdrawn.
    base = committed_register(registry, dataset_input(owner, "consent-base", records=1000), [], owner)
    for dropped, label in ((1, "1 record"), (10, "10 records")):
        version = dataset_input(
            owner, f"consent-v-{dropped}", records=1000 - dropped, predecessor=base.return_value
        )
        leaves = [h(f"withdrawn-{dropped}-{i}") for i in range(dropped)]
        record(f"new version withdrawing {label}", committed_register(registry, version, leaves, owner))
    # Key delivery to a live grant (market-bought grants carry none): reads the grant, writes only a log.
    live = committed_register(registry, dataset_input(owner, "deliver-base"), [], owner).return_value
    registry.grantAccess(live, researcher, 0, bytes(32), {"from": owner})
    record("deliver key", registry.deliverKey(live, researcher, h("key-delivered"), {"from": owner}))
    # The gateway's per-request record (issue 13): the registry decides, the gateway only sends.
    gateway = accounts[5]
    record("authorise gateway", registry.setGateway(live, gateway, h("gateway-key"), {"from": owner}))
    record("gateway record allowed", registry.recordGatewayAccess(live, researcher, {"from": gateway}))
    record("gateway record denied", registry.recordGatewayAccess(live, outsider, {"from": gateway}))
    return {name: gas[name] for name in ANCHORS}



def main() -> dict[str, int]:
    return SNAPSHOT.report(measure())
