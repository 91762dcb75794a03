"""The two Flower wrappers that put each round on the trail.

`RecordingClient` wraps a participant's Flower `NumPyClient`: after local training it encodes the update
(aitrail.fl.encoding, bound to the participant's address, the task and the round), encrypts it for the
coordinator (a fresh data key, ECIES-wrapped for the coordinator's public key, which must belong to the
task's on-chain coordinator), adds it to IPFS and commits its digest and CID on-chain, and only then
returns it to Flower. What reaches the server is therefore already on record.

`RecordingStrategy` wraps Flower's own strategy for the task's rule (aitrail.fl.rules). In `aggregate_fit`
it reads the round's commits from the chain, fetches and decrypts every committed update, and excludes the
ones that fail a check (no commit, digest mismatch, bound to another party, or different from what the
client sent through Flower); Flower's strategy then aggregates the rest in committed (participant index)
order. The aggregate goes to IPFS with a round manifest that reveals each update's data key (so anyone can
re-run the aggregation afterwards: `aitrail fl verify`), and the coordinator commits the aggregate's digest,
the manifest's CID and the included set. The update stays hidden from the other participants until the
round is aggregated, which is what stops them copying it.

Both wrappers read through a session and sign through a `Party` (aitrail.fl.party): the session's own key
in-process, a signing agent under Flower's deployment engine (aitrail.fl.agent).

Resuming. Both sides take the task's state from the chain, so a coordinator that crashed can simply run
again: `RecordingStrategy.resume()` starts after the last aggregated round, from that round's committed
aggregate (fetched from IPFS and checked against its on-chain digest), and a client asked for a round it
already committed hands over the update it committed (kept in its home before committing) instead of
committing a second one. Nothing is committed twice and the rounds continue from what is on record.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flwr.client import NumPyClient
from flwr.common import ndarrays_to_parameters, parameters_to_ndarrays
from flwr.server.strategy import Strategy

from aitrail import crypto
from aitrail._files import write_private
from aitrail.chain.contracts import FederatedTrainingClient
from aitrail.cid import CID
from aitrail.errors import AitrailError, NotDeployedError
from aitrail.fl import encoding, rules
from aitrail.fl.party import LocalParty, Party
from aitrail.flows._common import add_json, read_published

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from aitrail.flows.session import Session
    from aitrail.storage.base import Store

ENVELOPE = b"AITRAIL-FLENC1\n"
CONFIG_KEY = "aitrail_coordinator_key"
METRIC_PARTICIPANT = "aitrail_participant"


def fl_client(session: Session) -> FederatedTrainingClient:
    client = session.suite.fl
    if client is None:
        raise NotDeployedError("FederatedTraining (run `aitrail deploy` to add it)", session.chain_id)
    return client


def seal(data: bytes, coordinator_public_key: bytes) -> tuple[bytes, bytes]:
    """(envelope, data key): the update encrypted under a fresh key, the key wrapped for the coordinator."""
    data_key = crypto.generate_data_key()
    encryptor = crypto.Encryptor(data_key)
    ciphertext = encryptor.update(data) + encryptor.finish()
    wrapped = crypto.wrap_key(data_key, coordinator_public_key)
    return ENVELOPE + struct.pack(">H", len(wrapped)) + wrapped + ciphertext, data_key


def open_envelope(envelope: bytes, *, private_key: object = None, data_key: bytes | None = None) -> bytes:
    """Decrypt an update with the coordinator's private key, or with its revealed data key."""
    if not envelope.startswith(ENVELOPE):
        raise encoding.UpdateFormatError("not an encrypted aitrail update")
    at = len(ENVELOPE)
    (size,) = struct.unpack(">H", envelope[at : at + 2])
    wrapped, ciphertext = envelope[at + 2 : at + 2 + size], envelope[at + 2 + size :]
    key = data_key if data_key is not None else crypto.unwrap_key(wrapped, private_key)
    return b"".join(crypto.decrypt_chunks(key, [ciphertext], "the federated update"))


def address_of_public_key(public_key: bytes) -> str:
    """The Ethereum address of a 64-byte secp256k1 public key: the last 20 bytes of its keccak-256."""
    from web3 import Web3

    return str(Web3.to_checksum_address(Web3.keccak(public_key)[-20:]))


class RecordingClient(NumPyClient):  # type: ignore[misc]
    """A participant: trains with `inner`, commits the update, then hands it to Flower."""

    def __init__(
        self,
        inner: NumPyClient,
        session: Session,
        task_id: int,
        store: Store | None = None,
        party: Party | None = None,
    ) -> None:
        self.inner = inner
        self.session = session
        self.task_id = task_id
        self.store = store or session.store
        self.party: Party = party or LocalParty(session)
        self.committed: dict[int, tuple[bytes, CID]] = {}

    def get_parameters(self, config: dict[str, Any]) -> Any:
        return self.inner.get_parameters(config)

    def evaluate(self, parameters: Any, config: dict[str, Any]) -> Any:
        return self.inner.evaluate(parameters, config)

    def fit(self, parameters: list[NDArray[Any]], config: dict[str, Any]) -> Any:
        round_ = int(config["server_round"])
        public_key = bytes.fromhex(str(config[CONFIG_KEY]))
        contract = fl_client(self.session)
        coordinator = str(contract.task(self.task_id)["coordinator"])
        if address_of_public_key(public_key).lower() != coordinator.lower():
            raise AitrailError(f"the server's key is not task {self.task_id}'s coordinator {coordinator}")
        me = self.party.address.lower()
        if contract.participant(self.task_id, me)["committedRound"] == round_:
            # A coordinator re-running a round it crashed in: hand over what is on record, commit nothing.
            header, arrays = encoding.decode(self.recorded(round_))
            return arrays, header.num_examples, {METRIC_PARTICIPANT: me}
        arrays, num_examples, metrics = self.inner.fit(parameters, config)
        arrays = [a.astype(encoding.DTYPE) for a in arrays]
        data = self.encode(round_, arrays, num_examples)
        self.publish(round_, data, public_key)
        return arrays, num_examples, {**metrics, METRIC_PARTICIPANT: me}

    def journal(self, round_: int, digest: bytes) -> Path:
        return self.session.home / "fl" / f"task-{self.task_id}" / f"round-{round_}-{digest.hex()}.update"

    def publish(self, round_: int, data: bytes, public_key: bytes) -> None:
        """Encrypt for the coordinator, add to IPFS, commit digest and CID: all before Flower sees it.
        The plain update is kept in the party's home first, so a re-run round can hand it over again."""
        envelope, _ = seal(data, public_key)
        cid = self.store.add_bytes(envelope)
        digest = encoding.digest(data)
        write_private(self.journal(round_, digest), data)
        self.party.commit_update(self.task_id, round_, digest, cid)
        self.committed[round_] = (digest, cid)

    def recorded(self, round_: int) -> bytes:
        """The update this party committed for `round_`, from its home, checked against the chain."""
        events = fl_client(self.session).events(
            "UpdateCommitted", taskId=self.task_id, round=round_, participant=self.party.address
        )
        if not events:
            raise AitrailError(f"task {self.task_id} round {round_}: no update of this party on record")
        digest = bytes(events[0]["args"]["digest"])
        path = self.journal(round_, digest)
        data = path.read_bytes() if path.is_file() else b""
        if encoding.digest(data) != digest:
            raise AitrailError(
                f"task {self.task_id} round {round_}: this party committed update 0x{digest.hex()} and "
                f"holds no intact copy of it ({path})"
            )
        return data

    def encode(self, round_: int, arrays: list[NDArray[Any]], num_examples: int) -> bytes:
        header = encoding.header_for("update", self.task_id, round_, self.party.address, num_examples, arrays)
        return encoding.encode(header, arrays)


@dataclass
class UpdateCheck:
    index: int
    participant: str
    digest: bytes
    cid: CID
    data_key: bytes | None = None
    arrays: list[Any] | None = None
    num_examples: int = 0
    problem: str | None = None


@dataclass
class RoundRecord:
    round: int
    updates: list[UpdateCheck]
    included: list[int]  # participant indices (1-based)
    aggregate_digest: bytes
    manifest: CID
    aggregate: list[Any] = field(default_factory=list)

    @property
    def excluded(self) -> list[int]:
        return [u.index for u in self.updates if u.index not in self.included]


def committed_updates(contract: FederatedTrainingClient, task_id: int, round_: int) -> list[UpdateCheck]:
    """The round's commits from the chain, in participant index order."""
    index = {
        str(e["args"]["participant"]).lower(): int(e["args"]["index"])
        for e in contract.events("ParticipantAdded", taskId=task_id)
    }
    found = []
    for event in contract.events("UpdateCommitted", taskId=task_id, round=round_):
        args = event["args"]
        who = str(args["participant"]).lower()
        digest_, kind = args["cid"]["digest"], args["cid"]["kind"]
        found.append(
            UpdateCheck(index[who], who, bytes(args["digest"]), CID.from_onchain(bytes(digest_), int(kind)))
        )
    return sorted(found, key=lambda u: u.index)


def check_update(update: UpdateCheck, data: bytes, task_id: int, round_: int) -> None:
    """Digest and binding: sets `update.problem` or its arrays."""
    if encoding.digest(data) != update.digest:
        update.problem = "its bytes do not match the committed digest"
        return
    try:
        header, arrays = encoding.decode(data)
    except encoding.UpdateFormatError as exc:
        update.problem = str(exc)
        return
    if (header.kind, header.task, header.round, header.party) != (
        "update",
        task_id,
        round_,
        update.participant,
    ):
        update.problem = (
            f"it is bound to {header.kind} task {header.task} round {header.round} of {header.party}"
        )
        return
    update.arrays, update.num_examples = arrays, header.num_examples


class RecordingStrategy(Strategy):  # type: ignore[misc]
    """The coordinator's side: Flower's strategy for the task's rule, each round checked and recorded."""

    def __init__(
        self,
        session: Session,
        task_id: int,
        rule: str,
        store: Store | None = None,
        party: Party | None = None,
        initial: list[Any] | None = None,
    ) -> None:
        super().__init__()
        self.session = session
        self.task_id = task_id
        self.rule = rules.parse(rule)
        self.inner = self.rule.strategy()
        self.store = store or session.store
        self.party: Party = party or LocalParty(session)
        self.initial = initial
        # Flower numbers the rounds of a run from 1; the task's round is `offset + server_round`, so a
        # re-run after a crash continues where the chain says the task is.
        self.offset = 0
        self.rounds: list[RoundRecord] = []

    def resume(self) -> tuple[int, list[Any] | None]:
        """(rounds already aggregated on-chain, the last aggregate's arrays or None): also sets `offset`."""
        contract = fl_client(self.session)
        done = int(contract.task(self.task_id)["aggregatedRounds"])
        self.offset = done
        if done == 0:
            return 0, None
        self.initial = self.aggregate_of(done)
        return done, self.initial

    def aggregate_of(self, round_: int) -> list[Any]:
        """Round `round_`'s committed aggregate, fetched from IPFS and checked against its on-chain digest."""
        from aitrail.flows._common import read_json

        (event,) = fl_client(self.session).events("AggregateCommitted", taskId=self.task_id, round=round_)
        args = event["args"]
        manifest_cid = CID.from_onchain(bytes(args["cid"]["digest"]), int(args["cid"]["kind"]))
        manifest = read_json(self.store, manifest_cid, f"the round-{round_} manifest")
        data = read_published(self.store, CID.decode(str(manifest["aggregate"])), "the aggregate")
        if encoding.digest(data) != bytes(args["digest"]):
            raise AitrailError(
                f"task {self.task_id}: the round-{round_} aggregate on IPFS is not the one on-chain"
            )
        return encoding.decode(data)[1]

    # Flower's Strategy interface: everything but aggregate_fit is the inner strategy's.
    def initialize_parameters(self, client_manager: Any) -> Any:
        if self.initial is not None:
            return ndarrays_to_parameters(self.initial)
        return self.inner.initialize_parameters(client_manager)

    def configure_fit(self, server_round: int, parameters: Any, client_manager: Any) -> Any:
        extra = self.fit_config(server_round)
        return [
            (proxy, _with_config(ins, extra))
            for proxy, ins in self.inner.configure_fit(server_round, parameters, client_manager)
        ]

    def configure_evaluate(self, server_round: int, parameters: Any, client_manager: Any) -> Any:
        return self.inner.configure_evaluate(server_round, parameters, client_manager)

    def aggregate_evaluate(self, server_round: int, results: Any, failures: Any) -> Any:
        return self.inner.aggregate_evaluate(server_round, results, failures)

    def evaluate(self, server_round: int, parameters: Any) -> Any:
        return self.inner.evaluate(server_round, parameters)

    def public_key_hex(self) -> str:
        if "_public_key" not in self.__dict__:
            self.__dict__["_public_key"] = self.party.public_key().hex()
        return str(self.__dict__["_public_key"])

    def fit_config(self, server_round: int) -> dict[str, Any]:
        """The config every participant's fit receives (the deployment engine sends it via configure_fit):
        the task's round and the coordinator's public key."""
        return {"server_round": self.offset + server_round, CONFIG_KEY: self.public_key_hex()}

    def aggregate_fit(self, server_round: int, results: list[tuple[Any, Any]], failures: list[Any]) -> Any:
        server_round += self.offset
        contract = fl_client(self.session)
        sent = {
            str(res.metrics.get(METRIC_PARTICIPANT, "")).lower(): parameters_to_ndarrays(res.parameters)
            for _, res in results
        }
        updates = committed_updates(contract, self.task_id, server_round)
        for update in updates:
            self._check(update, server_round, sent.get(update.participant))
        valid = [u for u in updates if u.problem is None]
        if not valid:
            raise AitrailError(f"round {server_round}: no valid committed update to aggregate")
        pairs = [(list(u.arrays or []), u.num_examples) for u in valid]
        output, positions = self.aggregate_updates(server_round, pairs)
        included = [valid[i].index for i in positions]
        header = encoding.header_for(
            "aggregate",
            self.task_id,
            server_round,
            self.party.address,
            sum(u.num_examples for u in valid if u.index in included),
            output,
        )
        data = encoding.encode(header, output)
        aggregate_cid = self.store.add_bytes(data)
        manifest = add_json(
            self.store,
            {
                "@type": "aitrail:FederatedRound",
                "task": self.task_id,
                "round": server_round,
                "rule": str(self.rule),
                "aggregate": str(aggregate_cid),
                "aggregateDigest": "0x" + encoding.digest(data).hex(),
                "updates": [
                    {
                        "index": u.index,
                        "participant": u.participant,
                        "cid": str(u.cid),
                        "digest": "0x" + u.digest.hex(),
                        "dataKey": u.data_key.hex() if u.data_key else None,
                        "status": "included"
                        if u.index in included
                        else ("invalid" if u.problem else "excluded"),
                        "problem": u.problem,
                    }
                    for u in updates
                ],
            },
        )
        mask = sum(1 << (i - 1) for i in included)
        digest = encoding.digest(data)
        self.party.commit_aggregate(self.task_id, server_round, digest, manifest, mask)
        self.rounds.append(RoundRecord(server_round, updates, included, digest, manifest, output))
        return ndarrays_to_parameters(output), {"included": len(included), "committed": len(updates)}

    def aggregate_updates(
        self, server_round: int, pairs: list[tuple[list[Any], int]]
    ) -> tuple[list[Any], list[int]]:
        """Flower's strategy on the valid updates in committed order: (output, positions it included)."""
        output = rules.aggregate(self.rule, server_round, pairs)
        return output, rules.included_positions(self.rule, pairs, output)

    def _check(self, update: UpdateCheck, round_: int, sent: list[Any] | None) -> None:
        import numpy as np

        try:
            envelope = self.store.read_all(update.cid)
            wrapped_key = _wrapped_key(envelope)
            update.data_key = self.party.unwrap(wrapped_key)
            data = open_envelope(envelope, data_key=update.data_key)
        except AitrailError as exc:
            update.problem = f"it cannot be fetched or decrypted ({exc})"
            return
        check_update(update, data, self.task_id, round_)
        if update.problem is None and (
            sent is None
            or len(sent) != len(update.arrays or [])
            or not all(np.array_equal(a, b) for a, b in zip(sent, update.arrays or [], strict=True))
        ):
            update.problem = "what it sent through Flower differs from what it committed"


def _wrapped_key(envelope: bytes) -> bytes:
    if not envelope.startswith(ENVELOPE):
        raise encoding.UpdateFormatError("not an encrypted aitrail update")
    at = len(ENVELOPE)
    (size,) = struct.unpack(">H", envelope[at : at + 2])
    return envelope[at + 2 : at + 2 + size]


def _with_config(ins: Any, extra: dict[str, Any]) -> Any:
    ins.config = {**ins.config, **extra}
    return ins
