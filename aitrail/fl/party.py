"""Who signs for a federated party: the few operations that need its key, behind one small interface.

The recording wrappers (aitrail.fl.recording) read the chain and IPFS through a key-less session and ask a
`Party` for the rest: its address and public key, committing an update or an aggregate, and unwrapping a
data key sealed for it. `LocalParty` does that with the session's unlocked key, in the same process (the
in-process engine, the SDK). `aitrail.fl.agent.AgentParty` asks a signing agent over a Unix socket: under
Flower's deployment engine the ClientApp and ServerApp are processes Flower starts, which never hold the key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from aitrail import crypto

if TYPE_CHECKING:
    from aitrail.cid import CID
    from aitrail.flows.session import Session


class Party(Protocol):
    """The key-holding side of a participant or a coordinator."""

    @property
    def address(self) -> str: ...

    def public_key(self) -> bytes: ...

    def unwrap(self, wrapped: bytes) -> bytes: ...

    def commit_update(self, task_id: int, round_: int, digest: bytes, cid: CID) -> None: ...

    def commit_aggregate(self, task_id: int, round_: int, digest: bytes, cid: CID, mask: int) -> None: ...


class LocalParty:
    """A party whose key is unlocked in this process (the session's signer)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    @property
    def address(self) -> str:
        return self.session.address

    def public_key(self) -> bytes:
        return crypto.public_key_from_private(bytes(self.session.key.key))

    def unwrap(self, wrapped: bytes) -> bytes:
        return crypto.unwrap_key(wrapped, self.session.key)

    def commit_update(self, task_id: int, round_: int, digest: bytes, cid: CID) -> None:
        from aitrail.fl.recording import fl_client

        fl_client(self.session).commit_update(task_id, round_, digest, cid)

    def commit_aggregate(self, task_id: int, round_: int, digest: bytes, cid: CID, mask: int) -> None:
        from aitrail.fl.recording import fl_client

        fl_client(self.session).commit_aggregate(task_id, round_, digest, cid, mask)
