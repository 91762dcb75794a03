"""The Python SDK: `aitrail.connect(...)` and the client whose parts call the flows (aitrail/flows).

    import aitrail

    client = aitrail.connect(home="~/.aitrail", account="anvil1")   # the embedded chain, started if needed
    registered = client.datasets.register("visits.csv", name="Visits", license="CC-BY-4.0")
    print(client.datasets.get(registered.dataset_id).to_json())

Nothing is read from the environment that cannot be passed: the chain (`rpc_url`, or the embedded chain's
`local_port` under `home`), the account and its keystore password, the store and the IPFS API. The one
side effect beyond the calls themselves is documented: with no `rpc_url`, the embedded Anvil under `home`
is started (or found running) and keeps running; `client.close()` (or leaving a `with` block) saves its
state so that what the calls did survives a restart, as each CLI command does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount

from aitrail.config import Settings, default_home
from aitrail.fetch import FetchResult
from aitrail.flows import access as access_flows
from aitrail.flows import audit as audit_flows
from aitrail.flows import datasets as dataset_flows
from aitrail.flows import formats as format_flows
from aitrail.flows import models as model_flows
from aitrail.flows import records as record_flows
from aitrail.flows import rewards as reward_flows
from aitrail.flows.deploy import DeployParams, DeployResult, deploy_suite, find_suite
from aitrail.flows.session import Session
from aitrail.results import Balance, Claimed, CopyCheck, DatasetInfo, Lineage, ModelMatch, Published, Purchase

LOCAL_PORT = 8547  # the embedded chain's default port (aitrail.config.LOCAL_RPC_URL)


def connect(
    rpc_url: str | None = None,
    account: str | LocalAccount | None = None,
    home: str | Path | None = None,
    store: str | None = None,
    *,
    password: str | None = None,
    ipfs_api: str | None = None,
    local_port: int | None = None,
    network: str | None = None,
    tx_timeout: float = 120.0,
) -> Client:
    """A client on one chain, as one account, with one store.

    rpc_url: a JSON-RPC URL; without it, the embedded chain under `home` on `local_port` (8547).
    account: a keystore name under `home`, `anvil0`..`anvil9` on a development chain (the default there:
        `anvil0`), an address the node holds, or an eth-account LocalAccount.
    home: where keystores, the address book and the embedded chain and store live (default ~/.aitrail).
    store: "local" (the embedded store under `home`, the default) or "kubo" (a Kubo RPC API, `ipfs_api`).
    password: the keystore password of `account`; without it a keystore account cannot be unlocked here.
    """
    home_path = Path(home).expanduser() if home is not None else default_home()
    if rpc_url:
        settings = Settings(home=home_path, rpc_url=rpc_url, network=network or "custom")
    elif network and network != "local":
        settings = Settings.resolve(None, network, home_path)
    else:
        port = local_port or LOCAL_PORT
        settings = Settings(home=home_path, rpc_url=f"http://127.0.0.1:{port}", network="local")

    def prompt(name: str, confirm: bool) -> str:
        from aitrail.chain.accounts import password_env_vars
        from aitrail.errors import NoPasswordError

        if password is None:
            raise NoPasswordError(name, password_env_vars(name))
        return password

    session = Session.open(
        settings, account, store=store or "local", ipfs_api=ipfs_api, prompt=prompt, tx_timeout=tx_timeout
    )
    return Client(session)


@dataclass(frozen=True)
class _Part:
    session: Session


class Datasets(_Part):
    """Register, read, withdraw, fetch and check datasets."""

    def register(
        self,
        path: str | Path,
        *,
        name: str,
        license: str,
        description: str = "",
        consent: dict[str, str] | None = None,
        predecessor: int = 0,
        cid_version: int = 0,
        extra_metadata: dict[str, Any] | None = None,
    ) -> dataset_flows.Registered:
        return dataset_flows.register_dataset(
            self.session,
            Path(path),
            name=name,
            license=license,
            description=description,
            consent=consent,
            predecessor=predecessor,
            cid_version=cid_version,
            show_progress=False,
            extra_metadata=extra_metadata,
        )

    def register_croissant(self, path: str | Path, croissant: str | Path) -> dataset_flows.Registered:
        """Register `path` described by a Croissant document (name, license, consent, RAI fields...)."""
        imported = format_flows.read_croissant(Path(croissant), Path(path))
        if not imported.name or not imported.license:
            from aitrail.errors import CroissantError

            raise CroissantError(str(croissant), "it gives no name or no license")
        return self.register(
            path,
            name=imported.name,
            license=imported.license,
            description=imported.description,
            consent=imported.consent or None,
            extra_metadata=imported.extra_metadata,
        )

    def get(self, dataset_id: int) -> DatasetInfo:
        return dataset_flows.describe(self.session, dataset_id)

    def list(self, owner: str | None = None) -> list[DatasetInfo]:
        return dataset_flows.list_datasets(self.session, owner)

    def withdraw(self, dataset_id: int, reason: str) -> str:
        return dataset_flows.withdraw_dataset(self.session, dataset_id, reason)

    def fetch(self, dataset_id: int, out_dir: str | Path = ".") -> FetchResult:
        return access_flows.fetch_dataset(self.session, dataset_id, Path(out_dir), show_progress=False)

    def verify(self, dataset_id: int, path: str | Path) -> CopyCheck:
        return dataset_flows.verify_copy(self.session, dataset_id, Path(path))

    def croissant(
        self, dataset_id: int, data: str | Path | None = None, document_dir: str | Path | None = None
    ) -> dict[str, Any]:
        """The Croissant 1.1 document (JSON-LD as a dict); see `aitrail dataset croissant`."""
        return format_flows.croissant_document(
            self.session,
            dataset_id,
            Path(data) if data is not None else None,
            Path(document_dir) if document_dir is not None else None,
        )


class Access(_Part):
    """Requests, grants, revocations, the market."""

    def request(self, dataset_id: int, purpose: str, days: int = 30) -> str:
        return access_flows.request_access(self.session, dataset_id, purpose, days)

    def pending(self, dataset_id: int) -> list[dict[str, Any]]:
        return access_flows.pending_requests(self.session, dataset_id)

    def grant(self, dataset_id: int, account: str, days: int = 30) -> access_flows.Grant:
        return access_flows.grant_access(self.session, dataset_id, account, days)

    def deliver_key(self, dataset_id: int, account: str) -> access_flows.Grant:
        return access_flows.deliver_key(self.session, dataset_id, account)

    def revoke(self, dataset_id: int, account: str) -> str:
        return access_flows.revoke_access(self.session, dataset_id, account)

    def status(self, account: str | None = None) -> list[dict[str, Any]]:
        return access_flows.access_status(self.session, account)

    def set_price(self, dataset_id: int, price_per_day: int) -> str:
        return access_flows.set_price(self.session, dataset_id, price_per_day)

    def buy(self, dataset_id: int, days: int = 30) -> Purchase:
        return access_flows.buy_access(self.session, dataset_id, days)


class Models(_Part):
    """Publish model versions, verify weights, read lineage, write model cards."""

    def publish(
        self,
        name: str,
        path: str | Path,
        datasets: Sequence[int] = (),
        parents: Sequence[int] = (),
        metrics_file: str | Path | None = None,
        params: dict[str, Any] | None = None,
    ) -> Published:
        metrics = Path(metrics_file) if metrics_file is not None else None
        return model_flows.publish_model(
            self.session, name, Path(path), list(datasets), list(parents), metrics, params
        )

    def verify(self, path: str | Path) -> ModelMatch:
        return model_flows.verify_model(self.session, Path(path))

    def lineage(self, reference: str) -> Lineage:
        return model_flows.lineage(self.session, reference)

    def card(self, reference: str) -> str:
        """The Hugging Face model card (README.md text) of `NAME@VERSION`."""
        return format_flows.model_card_of(self.session, reference)

    @staticmethod
    def weights_digest(path: str | Path) -> bytes:
        """The weights digest (OpenSSF model signing's root digest) of a file or directory."""
        return model_flows.weights_digest(Path(path))[0]


class Records(_Part):
    """Per-record proofs and consent withdrawal."""

    def prove(self, dataset_id: int, record_id: str, source: str | Path | None = None) -> dict[str, Any]:
        return record_flows.prove_record(
            self.session, dataset_id, record_id, Path(source) if source is not None else None
        )

    def verify(self, proof_file: str | Path) -> dict[str, Any]:
        return record_flows.verify_record_proof(self.session, Path(proof_file))

    def withdraw(
        self,
        dataset_id: int,
        record_ids: Sequence[str],
        out_dir: str | Path,
        source: str | Path | None = None,
    ) -> dict[str, Any]:
        return record_flows.withdraw_records(
            self.session, dataset_id, list(record_ids), Path(out_dir), Path(source) if source else None
        )


class Rewards(_Part):
    def balance(self, account: str | None = None) -> Balance:
        return reward_flows.balance(self.session, account)

    def claim(self) -> Claimed:
        return reward_flows.claim(self.session)

    def send(self, to: str, amount: int) -> str:
        return reward_flows.send_tokens(self.session, to, amount)


class Audit(_Part):
    """Trails rebuilt from chain events alone."""

    def dataset(self, dataset_id: int) -> dict[str, Any]:
        return audit_flows.dataset_trail(self.session, dataset_id)

    def model(self, reference: str) -> dict[str, Any]:
        return audit_flows.model_trail(self.session, reference)


class Client:
    """One chain, one account, one store; its parts call the flows. Use as a context manager (or call
    `close()`) on the embedded chain to save what the calls did."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.datasets = Datasets(session)
        self.access = Access(session)
        self.models = Models(session)
        self.records = Records(session)
        self.rewards = Rewards(session)
        self.audit = Audit(session)

    @property
    def address(self) -> str:
        return self.session.address

    @property
    def chain_id(self) -> int:
        return self.session.chain_id

    def deploy(self, params: DeployParams | None = None) -> DeployResult:
        """Deploy the suite (or complete a partial deployment) and record it in the home's address book."""
        return deploy_suite(self.session, params)

    def find_deployment(self, from_block: int = 0) -> DeployResult:
        """Find a suite someone else deployed on this chain and record it in this home's address book."""
        return find_suite(self.session, from_block)

    def close(self) -> None:
        """On the embedded chain, checkpoint its state (the chain keeps running; `aitrail chain stop`)."""
        if self.session.settings.is_local:
            from urllib.parse import urlparse

            from aitrail.chain.local import LocalChain

            port = urlparse(self.session.settings.rpc_url).port or LOCAL_PORT
            LocalChain(self.session.home, port=port).checkpoint()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
