"""Connecting to an EVM JSON-RPC endpoint with one clear error when it is not there."""

from __future__ import annotations

from web3 import HTTPProvider, Web3
from web3.types import RPCEndpoint

from aitrail.errors import ChainUnreachableError


def connect(rpc_url: str, timeout: float = 10.0) -> Web3:
    """Return a Web3 bound to `rpc_url`, having checked that it answers."""
    # The chain id is asked before every call and transaction web3 builds (21 times in one registration);
    # it cannot change under a connection, so it is asked once.
    provider = HTTPProvider(
        rpc_url, request_kwargs={"timeout": timeout}, cache_allowed_requests=True,
        cacheable_requests={RPCEndpoint("eth_chainId")},
    )
    w3 = Web3(provider)
    try:
        w3.eth.chain_id  # noqa: B018 - the cheapest call that proves the endpoint speaks JSON-RPC
    except Exception as exc:  # requests, JSON and RPC errors all mean "not usable"
        raise ChainUnreachableError(rpc_url, _reason(exc)) from None
    return w3


def _reason(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if "Connection refused" in text or "Failed to establish" in text:
        return "connection refused"
    return text[:200]
