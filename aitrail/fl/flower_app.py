"""The Flower App (a ServerApp and a ClientApp) that runs aitrail's recorded rounds on Flower's deployment
engine: SuperLink and SuperNodes as separate processes, on one machine or many.

The ServerApp is Flower's own compatibility server driving `RecordingStrategy` (the task's rule, resumed
from the chain: a re-run after a crash continues at the first round not aggregated on-chain). The ClientApp
is `RecordingClient` around the breast-cancer `Hospital` of aitrail.fl.demo, training on the CSV its
SuperNode's node config names. Neither holds a key: each signs through the agent named in its config
(aitrail.fl.agent).

Run config (set by `aitrail fl run`): `task-id`, `aitrail-agent` (the coordinator's agent socket),
`aitrail-home`, `aitrail-rpc`, `aitrail-store`, `aitrail-ipfs`. Node config (set by `aitrail fl node`): the
same `aitrail-*` keys for the hospital, `data` (its CSV) and, for the demo's poisoned hospital only,
`byzantine`. `pyproject()` is the app's pyproject.toml, which `flwr run` reads.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from flwr.client import ClientApp
from flwr.server import ServerApp, ServerAppComponents, ServerConfig

if TYPE_CHECKING:
    from flwr.app import Context

    from aitrail.flows.session import Session

APP_NAME = "aitrail-fl"
RUN_CONFIG_KEYS = ("task-id", "aitrail-agent", "aitrail-home", "aitrail-rpc", "aitrail-store", "aitrail-ipfs")


PLAIN_CONFIG_KEYS = ("plain-rule", "plain-rounds", "plain-participants")


def pyproject(plain: bool = False) -> str:
    """The Flower App's pyproject.toml: its components live in this installed module, so the FAB that
    `flwr run` builds carries only this file and every SuperNode runs the aitrail it has installed.
    `plain`: the benchmark's anchor, the same model under plain Flower (nothing recorded)."""
    keys = PLAIN_CONFIG_KEYS if plain else RUN_CONFIG_KEYS
    config = "\n".join(f'{key} = ""' for key in keys)
    prefix = "plain_" if plain else ""
    name = f"{APP_NAME}-plain" if plain else APP_NAME
    return f"""[build-system]
requires = ["setuptools"]
build-backend = "setuptools.build_meta"

[project]
name = "{name}"
version = "1.0.0"
description = "aitrail's recorded federated rounds (breast-cancer demo model) on Flower"
license = "MIT"
dependencies = []

[tool.flwr.app]
publisher = "aitrail"

[tool.flwr.app.components]
serverapp = "aitrail.fl.flower_app:{prefix}server_app"
clientapp = "aitrail.fl.flower_app:{prefix}client_app"

[tool.flwr.app.config]
{config}
"""


def reader(config: Any) -> Session:
    """A session that reads the chain and IPFS for the party whose home `config` names and holds no key
    (writes go through the agent): Session.open would pick Anvil's account 0 on a dev chain."""
    from aitrail.config import Settings
    from aitrail.flows.session import Session

    settings = Settings.resolve(str(config["aitrail-rpc"]) or None, None, Path(str(config["aitrail-home"])))
    session = Session.open(
        settings,
        None,
        store=str(config["aitrail-store"]) or None,
        ipfs_api=str(config["aitrail-ipfs"]) or None,
    )
    session.signer = None
    return session


def server_fn(context: Context) -> ServerAppComponents:
    from aitrail.fl.agent import AgentParty
    from aitrail.fl.demo import initial_weights
    from aitrail.fl.recording import RecordingStrategy, fl_client

    config = context.run_config
    session = reader(config)
    task_id = int(config["task-id"])
    contract = fl_client(session)
    task = contract.task(task_id)
    (created,) = contract.events("TaskCreated", taskId=task_id)
    strategy = RecordingStrategy(
        session,
        task_id,
        str(created["args"]["rule"]),
        party=AgentParty(str(config["aitrail-agent"])),
        initial=initial_weights(),
    )
    done, _ = strategy.resume()
    # Every participant trains every round (the chain's masks are over all of them); no evaluation rounds.
    n = int(task["participantCount"])
    inner = strategy.inner
    inner.fraction_fit, inner.min_fit_clients, inner.min_available_clients = 1.0, n, n
    inner.fraction_evaluate, inner.min_evaluate_clients = 0.0, 0
    return ServerAppComponents(strategy=strategy, config=ServerConfig(num_rounds=int(task["rounds"]) - done))


def client_fn(context: Context) -> Any:
    from aitrail.fl.agent import AgentParty
    from aitrail.fl.recording import RecordingClient

    config = context.node_config
    inner = _hospital(config)
    client = RecordingClient(
        inner,
        reader(config),
        int(context.run_config["task-id"]),
        party=AgentParty(str(config["aitrail-agent"])),
    )
    return client.to_client()


def _hospital(config: Any) -> Any:
    import numpy as np

    from aitrail.fl.demo import ByzantineHospital, Hospital, Split

    table = np.loadtxt(str(config["data"]), delimiter=",", skiprows=1, ndmin=2)
    split = Split(table[:, :-1], table[:, -1])
    return ByzantineHospital(split) if str(config.get("byzantine", "")) == "true" else Hospital(split)


def plain_server_fn(context: Context) -> ServerAppComponents:
    """The anchor: Flower's own strategy for the rule, the demo's initial weights, nothing recorded."""
    from flwr.common import ndarrays_to_parameters

    from aitrail.fl import rules
    from aitrail.fl.demo import initial_weights

    config = context.run_config
    inner = rules.parse(str(config["plain-rule"])).strategy()
    n = int(config["plain-participants"])
    inner.initial_parameters = ndarrays_to_parameters(initial_weights())
    inner.fraction_fit, inner.min_fit_clients, inner.min_available_clients = 1.0, n, n
    inner.fraction_evaluate, inner.min_evaluate_clients = 0.0, 0
    return ServerAppComponents(strategy=inner, config=ServerConfig(num_rounds=int(config["plain-rounds"])))


def plain_client_fn(context: Context) -> Any:
    return _hospital(context.node_config).to_client()


server_app = ServerApp(server_fn=server_fn)
client_app = ClientApp(client_fn=client_fn)
plain_server_app = ServerApp(server_fn=plain_server_fn)
plain_client_app = ClientApp(client_fn=plain_client_fn)
