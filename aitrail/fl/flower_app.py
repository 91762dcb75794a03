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


def pyproject() -> str:
    """The Flower App's pyproject.toml: its components live in this installed module, so the FAB that
    `flwr run` builds carries only this file and every SuperNode runs the aitrail it has installed."""
    config = "\n".join(f'{key} = "{0 if key == "task-id" else ""}"' for key in RUN_CONFIG_KEYS)
    return f"""[build-system]
requires = ["setuptools"]
build-backend = "setuptools.build_meta"

[project]
name = "{APP_NAME}"
version = "1.0.0"
description = "aitrail's recorded federated rounds (breast-cancer demo model) on Flower"
license = "MIT"
dependencies = []

[tool.flwr.app]
publisher = "aitrail"

[tool.flwr.app.components]
serverapp = "aitrail.fl.flower_app:server_app"
clientapp = "aitrail.fl.flower_app:client_app"

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
    import numpy as np

    from aitrail.fl.agent import AgentParty
    from aitrail.fl.demo import ByzantineHospital, Hospital, Split
    from aitrail.fl.recording import RecordingClient

    config = context.node_config
    table = np.loadtxt(str(config["data"]), delimiter=",", skiprows=1, ndmin=2)
    split = Split(table[:, :-1], table[:, -1])
    inner = ByzantineHospital(split) if str(config.get("byzantine", "")) == "true" else Hospital(split)
    client = RecordingClient(
        inner,
        reader(config),
        int(context.run_config["task-id"]),
        party=AgentParty(str(config["aitrail-agent"])),
    )
    return client.to_client()


server_app = ServerApp(server_fn=server_fn)
client_app = ClientApp(client_fn=client_fn)
