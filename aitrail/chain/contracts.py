"""Typed clients for the deployed suite: one small class per contract over web3, reads and writes.

Writes go through one Transactor (nonce, fees, receipts, revert sentences); reads that revert are
decoded the same way. Event queries start at the suite's deployment block from the address book.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, cast

from eth_typing import ChecksumAddress
from web3 import Web3
from web3.contract import Contract
from web3.logs import DISCARD
from web3.types import EventData, TxReceipt

from aitrail import abi
from aitrail.chain.tx import Transactor
from aitrail.cid import CID
from aitrail.errors import ChainError, NotDeployedError

DAY = 86_400
# Most public RPC endpoints cap eth_getLogs at 10,000 blocks per request.
LOG_WINDOW = 10_000


def address(value: str) -> ChecksumAddress:
    return Web3.to_checksum_address(value)


@dataclass(frozen=True)
class DatasetRecord:
    """A dataset as the registry's DatasetRegistered event and storage describe it."""

    id: int
    owner: str
    content_hash: bytes
    cid: CID
    metadata_cid: CID
    records_root: bytes
    records_count: int
    predecessor: int
    registered_at: int
    withdrawn: bool
    block: int
    tx_hash: str


class LogSource(Protocol):
    """Somewhere else to read a contract's events from (the event index, aitrail/index)."""

    def events(self, client: _Client, name: str, filters: dict[str, Any]) -> list[dict[str, Any]]: ...

    def block_time(self, number: int) -> int: ...

    def tx_to(self, tx_hash: bytes) -> str: ...


class _Client:
    name = ""

    def __init__(self, w3: Web3, at: str, sender: Transactor, from_block: int = 0) -> None:
        self.w3 = w3
        self.log_source: LogSource | None = None
        self.contract: Contract = w3.eth.contract(address=address(at), abi=abi.abi(self.name))
        self.sender = sender
        self.from_block = from_block

    @property
    def address(self) -> ChecksumAddress:
        return self.contract.address

    def call(self, fn: str, *args: Any) -> Any:
        return self.sender.call(getattr(self.contract.functions, fn)(*args))

    def send(self, action: str, fn: str, *args: Any) -> TxReceipt:
        return self.sender.transact(getattr(self.contract.functions, fn)(*args), action)

    def events(self, name: str, **filters: Any) -> list[EventData]:
        """Matching logs from the deployment block on, in windows public RPC providers accept; from the
        log source instead while one is set (an audit reading the event index)."""
        if self.log_source is not None:
            return cast(list[EventData], self.log_source.events(self, name, filters))
        event = getattr(self.contract.events, name)()
        latest = int(self.sender.rpc(lambda: self.w3.eth.block_number))
        logs: list[EventData] = []
        start = self.from_block
        while start <= latest:
            end = min(start + LOG_WINDOW - 1, latest)
            logs += self._window(event, start, end, filters)
            start = end + 1
        return sorted(logs, key=lambda e: (e["blockNumber"], e["logIndex"]))

    def _window(self, event: Any, start: int, end: int, filters: dict[str, Any]) -> list[EventData]:
        found: list[EventData] = self.sender.rpc(
            lambda: event.get_logs(from_block=start, to_block=end, argument_filters=filters)
        )
        return found

    def receipt_events(self, receipt: TxReceipt, name: str) -> list[EventData]:
        event = getattr(self.contract.events, name)()
        return [cast(EventData, e) for e in event.process_receipt(receipt, errors=DISCARD)]


class DatasetRegistryClient(_Client):
    name = "DatasetRegistry"

    def count(self) -> int:
        return int(self.call("datasetCount"))

    def id_of(self, content_hash: bytes) -> int:
        return int(self.call("datasetIdOf", content_hash))

    def get(self, dataset_id: int) -> DatasetRecord:
        owner = self.call("datasetOwner", dataset_id)  # reverts DatasetUnknown for a bad id
        withdrawn = bool(self.call("isWithdrawn", dataset_id))
        logs = self.events("DatasetRegistered", datasetId=dataset_id)
        if not logs:
            raise ChainError(
                f"dataset {dataset_id} exists but its DatasetRegistered event is not found from block "
                f"{self.from_block}: check deployedAtBlock in the address book"
            )
        e = logs[0]["args"]
        return DatasetRecord(
            id=dataset_id,
            owner=str(owner),
            content_hash=bytes(e["contentHash"]),
            cid=CID.from_onchain(bytes(e["cidDigest"]), int(e["cidKind"])),
            metadata_cid=CID.from_onchain(bytes(e["metadataDigest"]), int(e["metadataKind"])),
            records_root=bytes(e["recordsRoot"]),
            records_count=int(e["recordsCount"]),
            predecessor=int(e["predecessor"]),
            registered_at=int(e["registeredAt"]),
            withdrawn=withdrawn,
            block=int(logs[0]["blockNumber"]),
            tx_hash=logs[0]["transactionHash"].to_0x_hex(),
        )

    def register(
        self,
        owner: str,
        content_hash: bytes,
        cid: CID,
        metadata_cid: CID,
        records_root: bytes,
        records_count: int,
        predecessor: int = 0,
        withdrawn_leaves: Sequence[bytes] = (),
        salt: bytes = bytes(32),
    ) -> tuple[int, TxReceipt]:
        """Step 2 of a registration: reveal the commitment to (owner, content hash, salt)."""
        digest, kind = cid.to_onchain()
        meta_digest, meta_kind = metadata_cid.to_onchain()
        data = (
            address(owner),
            content_hash,
            digest,
            kind,
            meta_digest,
            meta_kind,
            records_root,
            records_count,
            predecessor,
        )
        receipt = self.send("register the dataset", "register", data, list(withdrawn_leaves), salt)
        (event,) = self.receipt_events(receipt, "DatasetRegistered")
        return int(event["args"]["datasetId"]), receipt

    def registration_delay(self) -> int:
        return int(self.call("REGISTRATION_DELAY"))

    def commitment_of(self, owner: str, content_hash: bytes, salt: bytes) -> bytes:
        return bytes(self.call("registrationCommitmentOf", address(owner), content_hash, salt))

    def committed_at(self, commitment: bytes) -> int:
        """Block time of a registration commitment, 0 if none (never made, or used up)."""
        return int(self.call("registrationCommitment", commitment))

    def commit(self, commitment: bytes) -> TxReceipt:
        return self.send("commit to the dataset registration", "commitRegistration", commitment)

    def records_root(self, dataset_id: int) -> tuple[bytes, int]:
        root, count = self.call("recordsRoot", dataset_id)
        return bytes(root), int(count)

    def verify_record(
        self, dataset_id: int, values: tuple[bytes, bytes, int], proof: Sequence[bytes]
    ) -> bool:
        """On-chain check of a record from its values `(recordKey, recordSha256, consent)`."""
        return bool(self.call("verifyRecord", dataset_id, *values, list(proof)))

    def grant_nonce_used(self, owner: str, nonce: int) -> bool:
        return bool(self.call("grantNonceUsed", address(owner), nonce))

    def cancel_grant_signature(self, nonce: int) -> TxReceipt:
        return self.send("cancel the signed grant", "cancelGrantSignature", nonce)

    def history(self, dataset_id: int) -> list[int]:
        """This version first, then each predecessor back to the first version."""
        return [int(i) for i in self.call("datasetHistory", dataset_id)]

    def is_withdrawn(self, dataset_id: int) -> bool:
        return bool(self.call("isWithdrawn", dataset_id))

    def withdraw(self, dataset_id: int, reason: bytes) -> TxReceipt:
        return self.send(f"withdraw dataset {dataset_id}", "withdrawDataset", dataset_id, reason)

    def request(self, dataset_id: int, purpose: bytes, duration: int, public_key: bytes) -> TxReceipt:
        return self.send(
            f"request access to dataset {dataset_id}",
            "requestAccess",
            dataset_id,
            purpose,
            duration,
            public_key,
        )

    def grant(self, dataset_id: int, grantee: str, duration: int, key_ref: bytes) -> tuple[int, TxReceipt]:
        receipt = self.send(
            f"grant access to dataset {dataset_id}",
            "grantAccess",
            dataset_id,
            address(grantee),
            duration,
            key_ref,
        )
        (event,) = self.receipt_events(receipt, "AccessGranted")
        return int(event["args"]["expiresAt"]), receipt

    def deliver_key(self, dataset_id: int, grantee: str, key_ref: bytes) -> TxReceipt:
        return self.send(
            f"deliver the data key for dataset {dataset_id}",
            "deliverKey",
            dataset_id,
            address(grantee),
            key_ref,
        )

    def revoke(self, dataset_id: int, grantee: str) -> TxReceipt:
        return self.send(
            f"revoke access to dataset {dataset_id}", "revokeAccess", dataset_id, address(grantee)
        )

    def set_operator(self, operator: str, approved: bool) -> TxReceipt:
        return self.send("set an operator", "setOperator", address(operator), approved)

    def is_operator(self, owner: str, operator: str) -> bool:
        return bool(self.call("isOperator", address(owner), address(operator)))

    def has_access(self, dataset_id: int, account: str) -> bool:
        return bool(self.call("hasAccess", dataset_id, address(account)))

    def expiry(self, dataset_id: int, account: str) -> int:
        return int(self.call("grantExpiry", dataset_id, address(account)))

    def log_access(self, dataset_id: int) -> tuple[bool, TxReceipt]:
        receipt = self.send(f"log the access attempt on dataset {dataset_id}", "logAccess", dataset_id)
        (event,) = self.receipt_events(receipt, "AccessLogged")
        return bool(event["args"]["allowed"]), receipt

    def publish_gateway_key(self, public_key: bytes) -> TxReceipt:
        return self.send("publish the gateway's public key", "publishGatewayKey", public_key)

    def set_gateway(self, dataset_id: int, gateway: str, key_ref: bytes) -> TxReceipt:
        action = "authorise" if key_ref != bytes(32) else "remove"
        return self.send(
            f"{action} gateway {gateway} for dataset {dataset_id}", "setGateway", dataset_id,
            address(gateway), key_ref,
        )

    def is_gateway(self, dataset_id: int, gateway: str) -> bool:
        return bool(self.call("isGateway", dataset_id, address(gateway)))

    def record_gateway_access(self, dataset_id: int, researcher: str) -> tuple[bool, int, TxReceipt]:
        """(allowed, reason code, receipt): the registry decides at the block the record is mined in."""
        receipt = self.send(
            f"record {researcher}'s attempt on dataset {dataset_id}", "recordGatewayAccess", dataset_id,
            address(researcher),
        )
        (event,) = self.receipt_events(receipt, "GatewayAccessRecorded")
        return bool(event["args"]["allowed"]), int(event["args"]["reason"]), receipt

    def limits(self) -> tuple[int, int, int]:
        """(default, min, max) grant duration in seconds."""
        return (
            int(self.call("DEFAULT_GRANT_DURATION")),
            int(self.call("MIN_GRANT_DURATION")),
            int(self.call("MAX_GRANT_DURATION")),
        )


class ModelRegistryClient(_Client):
    name = "ModelRegistry"

    def model_id(self, owner: str, name: str) -> int:
        return int(self.call("modelIdByName", address(owner), name))

    def register(self, name: str) -> tuple[int, TxReceipt]:
        receipt = self.send(f"register model {name!r}", "registerModel", name)
        (event,) = self.receipt_events(receipt, "ModelRegistered")
        return int(event["args"]["modelId"]), receipt

    def min_commit_age(self) -> int:
        return int(self.call("MIN_COMMIT_AGE"))

    def commitment_time(self, commitment: bytes) -> int:
        return int(self.call("commitmentTime", commitment))

    def commit(self, commitment: bytes) -> tuple[int, TxReceipt]:
        receipt = self.send("commit to a model version", "commitVersion", commitment)
        (event,) = self.receipt_events(receipt, "VersionCommitted")
        return int(event["args"]["committedAt"]), receipt

    def publish(
        self,
        model_id: int,
        digest: bytes,
        salt: bytes,
        artifact: CID,
        metadata: CID,
        datasets: Sequence[int],
        parents: Sequence[int],
    ) -> tuple[int, int, TxReceipt]:
        receipt = self.send(
            f"publish a version of model {model_id}",
            "publishVersion",
            model_id,
            digest,
            salt,
            artifact.to_onchain(),
            metadata.to_onchain(),
            sorted(set(datasets)),
            sorted(set(parents)),
        )
        (event,) = self.receipt_events(receipt, "VersionPublished")
        return int(event["args"]["versionId"]), int(event["args"]["number"]), receipt

    def reserved_for(self, digest: bytes) -> int:
        """The federated task whose final model `digest` is reserved for (0: none)."""
        return int(self.call("reservedFor", digest))

    def federated_training(self) -> str:
        """The FederatedTraining contract this registry trusts (the zero address until wired)."""
        return str(self.call("federatedTrainingOf"))

    def set_federated_training(self, at: str) -> TxReceipt:
        return self.send("name FederatedTraining in the model registry", "setFederatedTraining", address(at))

    def model(self, model_id: int) -> dict[str, Any]:
        owner, versions, registered, name_hash = self.call("getModel", model_id)
        return {
            "owner": owner,
            "versionCount": int(versions),
            "registeredAt": int(registered),
            "nameHash": bytes(name_hash),
        }

    def version(self, version_id: int) -> dict[str, Any]:
        model_id, number, published, deprecated = self.call("getVersion", version_id)
        return {
            "modelId": int(model_id),
            "number": int(number),
            "publishedAt": int(published),
            "deprecated": bool(deprecated),
        }

    def version_by_digest(self, digest: bytes) -> int:
        return int(self.call("versionIdByDigest", digest))


class RewardTokenClient(_Client):
    name = "RewardToken"

    def balance(self, account: str) -> int:
        return int(self.call("balanceOf", address(account)))

    def transfer(self, to: str, amount: int) -> TxReceipt:
        return self.send("transfer reward tokens", "transfer", address(to), amount)

    def approve(self, spender: str, amount: int) -> TxReceipt:
        return self.send("approve the access fee", "approve", address(spender), amount)

    def allowance(self, owner: str, spender: str) -> int:
        return int(self.call("allowance", address(owner), address(spender)))


class RewardsClient(_Client):
    name = "Rewards"

    def claimable(self, account: str) -> int:
        return int(self.call("claimable", address(account)))

    def account(self, account: str) -> tuple[int, int]:
        credited, claimed = self.call("accountOf", address(account))
        return int(credited), int(claimed)

    def claim(self) -> tuple[int, TxReceipt]:
        receipt = self.send("claim rewards", "claim")
        (event,) = self.receipt_events(receipt, "RewardClaimed")
        return int(event["args"]["amount"]), receipt


class AccessMarketClient(_Client):
    name = "AccessMarket"

    def set_price(self, dataset_id: int, price_per_day: int) -> TxReceipt:
        return self.send(
            f"set the access price of dataset {dataset_id}", "setPrice", dataset_id, price_per_day
        )

    def quote(self, dataset_id: int, days: int) -> int:
        return int(self.call("quote", dataset_id, days))

    def buy(self, dataset_id: int, days: int, public_key: bytes, max_fee: int) -> tuple[int, int, TxReceipt]:
        receipt = self.send(
            f"buy access to dataset {dataset_id}", "buyAccess", dataset_id, days, public_key, max_fee
        )
        (event,) = self.receipt_events(receipt, "AccessPurchased")
        return int(event["args"]["fee"]), int(event["args"]["expiresAt"]), receipt


class FederatedTrainingClient(_Client):
    name = "FederatedTraining"

    def create_task(self, model_id: int, rule: str, rounds: int, participants: Sequence[str],
                    datasets: Sequence[int], pool: int) -> tuple[int, TxReceipt]:
        receipt = self.send(
            f"create a federated task for model {model_id}", "createTask", model_id, rule, rounds,
            [address(p) for p in participants], list(datasets), pool,
        )
        (event,) = self.receipt_events(receipt, "TaskCreated")
        return int(event["args"]["taskId"]), receipt

    def commit_update(self, task_id: int, round_: int, digest: bytes, cid: CID) -> TxReceipt:
        return self.send(
            f"commit the round-{round_} update of task {task_id}", "commitUpdate", task_id, round_, digest,
            cid.to_onchain(),
        )

    def commit_aggregate(
        self, task_id: int, round_: int, digest: bytes, cid: CID, included_mask: int
    ) -> TxReceipt:
        return self.send(
            f"commit the round-{round_} aggregate of task {task_id}", "commitAggregate", task_id, round_,
            digest, cid.to_onchain(), included_mask,
        )

    def close(self, task_id: int) -> TxReceipt:
        return self.send(f"close task {task_id}", "closeTask", task_id)

    def publish_final(
        self, task_id: int, weights_digest: bytes, artifact: CID, metadata: CID, datasets: Sequence[int]
    ) -> TxReceipt:
        return self.send(
            f"publish the final model of task {task_id}", "publishFinalModel", task_id, weights_digest,
            artifact.to_onchain(), metadata.to_onchain(), sorted(set(datasets)),
        )

    def claim(self, task_id: int) -> tuple[int, TxReceipt]:
        receipt = self.send(f"claim the rewards of task {task_id}", "claimReward", task_id)
        (event,) = self.receipt_events(receipt, "RewardClaimed")
        return int(event["args"]["amount"]), receipt

    def task(self, task_id: int) -> dict[str, Any]:
        fields = ("coordinator", "rounds", "aggregatedRounds", "participantCount", "closed", "modelId",
                  "pool", "credited")
        return dict(zip(fields, self.call("getTask", task_id), strict=True))

    def participant(self, task_id: int, account: str) -> dict[str, int]:
        fields = ("datasetId", "index", "committedRound", "earned", "includedRounds")
        return {k: int(v) for k, v in zip(fields, self.call("participantOf", task_id, address(account)),
                                          strict=True)}

    def count(self) -> int:
        return int(self.call("taskCount"))


@dataclass
class Suite:
    """The five contracts of one deployment, bound to one sending account."""

    datasets: DatasetRegistryClient
    models: ModelRegistryClient
    token: RewardTokenClient
    rewards: RewardsClient
    market: AccessMarketClient
    # Optional: address books written before federated training (or found on a chain without it) lack it.
    fl: FederatedTrainingClient | None = None

    @classmethod
    def load(cls, w3: Web3, book: dict[str, str], sender: Transactor, chain_id: int) -> Suite:
        start = int(book.get("deployedAtBlock", "0"))
        clients: dict[str, Any] = {}
        for key, client in (
            ("datasets", DatasetRegistryClient),
            ("models", ModelRegistryClient),
            ("token", RewardTokenClient),
            ("rewards", RewardsClient),
            ("market", AccessMarketClient),
        ):
            at = book.get(client.name)
            if not at:
                raise NotDeployedError(client.name, chain_id)
            if not sender.rpc(lambda at=at: w3.eth.get_code(address(at))):  # type: ignore[misc]
                raise NotDeployedError(
                    f"{client.name} (the address book says {at}, which has no code)", chain_id
                )
            clients[key] = client(w3, at, sender, start)
        fl_at = book.get(FederatedTrainingClient.name)
        if fl_at:
            clients["fl"] = FederatedTrainingClient(w3, fl_at, sender, start)
        return cls(**clients)
