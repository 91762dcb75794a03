"""Settings shared by the CLI, the scripts and the SDK: where state lives and which chain to use."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from aitrail.errors import ConfigError

# The embedded default chain: an Anvil the CLI starts and keeps under the aitrail home.
# Not 8545, so it never collides with the one `brownie test` launches.
LOCAL_RPC_URL = "http://127.0.0.1:8547"
# Development chains (Anvil, Hardhat, Ganache): one node, public test keys, nobody to reorganise them.
DEV_CHAIN_IDS = frozenset({31337, 1337})



def local_rpc_url() -> str:
    """The embedded chain's URL; AITRAIL_LOCAL_PORT moves it (tests, the demo, a second home)."""
    port = os.environ.get("AITRAIL_LOCAL_PORT")
    return f"http://127.0.0.1:{int(port)}" if port else LOCAL_RPC_URL


NETWORKS: dict[str, str | None] = {
    "local": LOCAL_RPC_URL,
    # No public endpoint is built in: testnets are reached through the user's own RPC URL.
    "sepolia": None,
}


def default_home() -> Path:
    return Path(os.environ.get("AITRAIL_HOME") or Path.home() / ".aitrail")


@dataclass(frozen=True)
class Settings:
    home: Path
    rpc_url: str
    network: str

    @classmethod
    def resolve(cls, rpc_url: str | None, network: str | None, home: Path | None = None) -> Settings:
        home = home or default_home()
        if rpc_url:
            return cls(home=home, rpc_url=rpc_url, network=network or "custom")
        name = network or "local"
        if name not in NETWORKS:
            raise ConfigError(f"unknown network {name!r}: use one of {', '.join(NETWORKS)} or --rpc-url")
        url = local_rpc_url() if name == "local" else NETWORKS[name]
        if url is None:
            env = f"AITRAIL_{name.upper()}_RPC_URL"
            url = os.environ.get(env)
            if not url:
                raise ConfigError(f"network {name!r} needs an RPC URL: pass --rpc-url or set {env}")
        return cls(home=home, rpc_url=url, network=name)

    @property
    def is_local(self) -> bool:
        return self.network == "local"
