"""Revert data → the custom error it encodes → one sentence for a human. One table for the whole suite.

    decode_revert(exc.data).sentence   # e.g. "dataset 7 was withdrawn on 2026-11-02"

Selectors come from every ABI shipped in aitrail/abi (so OpenZeppelin errors the contracts inherit are
known too). Errors without a sentence in MESSAGES are shown as `Name(arg=value, ...)`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from eth_abi.abi import decode
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from aitrail import abi as abis
from aitrail._display import date, tokens
from aitrail.errors import ContractRevertError

__all__ = ["MESSAGES", "DecodedRevert", "decode_revert"]

ERROR_STRING = bytes.fromhex("08c379a0")  # Error(string)
PANIC = bytes.fromhex("4e487b71")  # Panic(uint256)
PANICS = {
    0x01: "assertion failed",
    0x11: "arithmetic overflow",
    0x12: "division by zero",
    0x21: "invalid enum value",
    0x32: "array index out of bounds",
    0x41: "out of memory",
}


def _span(seconds: Any) -> str:
    value = int(seconds)
    if value % 86400 == 0:
        return f"{value // 86400} days"
    return f"{value / 3600:g} hours"


V = Sequence[Any]
# error name → sentence from its values (positional, in ABI order). Keep them short and concrete.
MESSAGES: dict[str, Callable[[V], str]] = {
    # DatasetRegistry (issue 3)
    "DatasetUnknown": lambda v: f"dataset {v[0]} does not exist",
    "DatasetIsWithdrawn": lambda v: f"dataset {v[0]} was withdrawn",
    "DatasetNotOwner": lambda v: f"{v[1]} is not the owner of dataset {v[0]}",
    "DatasetRegistrationUnauthorized": lambda v: f"{v[1]} may not register a dataset for {v[0]}",
    "DatasetContentHashZero": lambda v: "the content hash is zero",
    "DatasetContentHashTaken": lambda v: f"this content is already registered as dataset {v[1]}",
    "DatasetCidInvalid": lambda v: f"invalid CID (digest {v[0]}, kind {v[1]})",
    "DatasetRecordsInconsistent": lambda v: f"records root {v[0]} and count {v[1]} do not go together",
    "DatasetVersionOwnerMismatch": lambda v: (
        f"dataset {v[0]} belongs to {v[1]}, so {v[2]} cannot add a version to it"
    ),
    "DatasetRecordsWithoutPredecessor": lambda v: "withdrawn records need a predecessor version",
    "DatasetNotPendingOwner": lambda v: f"{v[1]} has no pending ownership transfer of dataset {v[0]}",
    "DatasetCommitmentUnknown": lambda v: "no registration commitment for this owner, content and salt",
    "DatasetCommitmentTooRecent": lambda v: (
        f"the registration commitment is ready only from {date(v[1])} (block time now {date(v[2])})"
    ),
    "DatasetCommitmentExists": lambda v: f"this registration commitment was already made on {date(v[1])}",
    "DatasetRegistrationDelayZero": lambda v: "the registration delay must be at least 1 second",
    "DatasetSignatureExpired": lambda v: f"the signature expired on {date(v[0])}",
    "DatasetSignatureInvalid": lambda v: f"the signature is not {v[0]}'s",
    "AccessGrantUnauthorized": lambda v: f"{v[1]} is not the owner of dataset {v[0]} nor its operator",
    "AccessDurationOutOfRange": lambda v: (
        f"access duration {_span(v[0])} is outside the allowed {_span(v[1])} to {_span(v[2])}"
    ),
    "AccessGranteeZero": lambda v: "access cannot be granted to the zero address",
    "AccessGrantUnknown": lambda v: f"{v[1]} holds no grant on dataset {v[0]}",
    "AccessGrantExpired": lambda v: (
        f"the grant of {v[1]} on dataset {v[0]} expired on {date(v[2])}; grant access again first"
    ),
    "GatewayUnauthorized": lambda v: f"{v[1]} is not an authorised gateway of dataset {v[0]}",
    "GatewayZero": lambda v: f"the gateway of dataset {v[0]} cannot be the zero address",
    "AccessBatchSizeInvalid": lambda v: f"a batch of {v[0]} grantees is outside 1..{v[1]}",
    "AccessBatchLengthMismatch": lambda v: f"{v[0]} grantees but {v[1]} key references",
    "AccessPublicKeyInvalid": lambda v: "the public key is not 64 bytes (x ‖ y)",
    "AccessSignatureExpired": lambda v: f"the signed grant expired on {date(v[0])}",
    "AccessSignatureInvalid": lambda v: f"the grant signature is not {v[0]}'s",
    "AccessSignatureNonceUsed": lambda v: f"signed grant {v[1]} of {v[0]} was already submitted or cancelled",
    "AccessPublicKeyNotSender": lambda v: (
        f"the public key belongs to {v[0]}, not to the sender {v[1]}: request with your own account's key"
    ),
    "InvalidAccountNonce": lambda v: (
        f"this signature's nonce is stale (the next nonce of {v[0]} is {v[1]}): "
        "it was used already or a newer one was"
    ),
    # ModelRegistry (issue 4)
    "ModelNameEmpty": lambda v: "a model needs a name",
    "ModelNameTaken": lambda v: f"{v[0]} already has a model with that name (model {v[2]})",
    "ModelUnknown": lambda v: f"model {v[0]} does not exist",
    "ModelNotOwner": lambda v: f"{v[1]} is not the owner of model {v[0]}",
    "ModelVersionUnknown": lambda v: f"model version {v[0]} does not exist",
    "ModelVersionOfOtherModel": lambda v: f"version {v[1]} belongs to model {v[2]}, not model {v[0]}",
    "ModelVersionDeprecated": lambda v: f"model version {v[0]} is deprecated",
    "ModelDigestZero": lambda v: "the weights digest is zero",
    "ModelDigestPublished": lambda v: f"these weights are already published as version {v[1]}",
    "ModelParentUnknown": lambda v: f"parent version {v[0]} does not exist",
    "ModelDatasetUnknown": lambda v: f"dataset {v[0]} does not exist",
    "ModelDatasetWithdrawn": lambda v: f"dataset {v[0]} is withdrawn and cannot be cited",
    "ModelDatasetNotAccessible": lambda v: (
        f"{v[1]} neither owns nor has access to dataset {v[0]}, so a model cannot cite it"
    ),
    "ModelDigestReserved": lambda v: (
        f"these weights are the final model of federated task {v[1]}: only its coordinator publishes them"
    ),
    "ModelDigestNotReserved": lambda v: (
        f"these weights are not the final aggregate of federated task {v[1]}, so they cannot cite its "
        "participants' datasets"
    ),
    "ModelNotFederatedTraining": lambda v: (
        f"{v[0]} is not the FederatedTraining contract the model registry trusts ({v[1]})"
    ),
    "ModelNotDeployer": lambda v: f"{v[0]} did not deploy the model registry, so it cannot wire it",
    "ModelFederatedTrainingSet": lambda v: f"the model registry already trusts FederatedTraining {v[0]}",
    "ModelFederatedTrainingMismatch": lambda v: (
        f"FederatedTraining {v[0]} trains models of registry {v[1]}, not of this one"
    ),
    # FederatedTraining (issue 14)
    "FLNotWired": lambda v: (
        "the model registry does not name this FederatedTraining contract "
        + (f"(it names {v[0]})" if int(str(v[0]), 16) else "(none yet: finish `aitrail deploy`)")
    ),
    "FLTaskNotFinished": lambda v: (
        f"federated task {v[0]} has {v[1]} of its {v[2]} rounds aggregated: it has no final model yet"
    ),
    "FLDatasetsUnsorted": lambda v: f"cited datasets must be ascending: {v[1]} after {v[0]}",
    "FLCitationCountInvalid": lambda v: (
        f"{v[1]} datasets cited for federated task {v[0]}, which has only {v[2]} participants"
    ),
    "FLCitationMissing": lambda v: (
        f"dataset {v[1]} was trained on by an included participant of task {v[0]} and must be cited"
    ),
    "FLCitationNotIncluded": lambda v: (
        f"dataset {v[1]} is not the dataset of any participant included in a round of task {v[0]}"
    ),
    "FLZeroAddress": lambda v: "federated training needs the registry, model and token addresses",
    "FLTaskUnknown": lambda v: f"federated task {v[0]} does not exist",
    "FLNotCoordinator": lambda v: f"{v[1]} is not the coordinator of federated task {v[0]}",
    "FLNotParticipant": lambda v: f"{v[1]} is not a participant of federated task {v[0]}",
    "FLNotModelOwner": lambda v: f"{v[1]} does not own model {v[0]}, so it cannot train it federatedly",
    "FLRoundsInvalid": lambda v: f"a federated task needs 1 to {v[1]} rounds, not {v[0]}",
    "FLParticipantCountInvalid": lambda v: f"a federated task needs 1 to {v[1]} participants, not {v[0]}",
    "FLListLengthMismatch": lambda v: f"{v[0]} participants but {v[1]} datasets: one dataset per participant",
    "FLParticipantInvalid": lambda v: f"participant {v[0]} is listed twice (or is the zero address)",
    "FLDatasetNotAccessible": lambda v: (
        f"{v[1]} neither owns nor has access to dataset {v[0]}, so it cannot train on it"
    ),
    "FLTaskClosed": lambda v: f"federated task {v[0]} is closed",
    "FLRoundNotOpen": lambda v: (
        f"round {v[1]} of federated task {v[0]} is not open "
        + (f"(round {v[2]} is)" if v[2] else "(all rounds are done)")
    ),
    "FLUpdateAlreadyCommitted": lambda v: f"{v[2]} already committed its round-{v[1]} update to task {v[0]}",
    "FLDigestZero": lambda v: "the digest is zero",
    "FLCidKindInvalid": lambda v: f"unknown CID kind {v[0]} (0 v0 dag-pb, 1 v1 dag-pb, 2 v1 raw)",
    "FLIncludedWithoutUpdate": lambda v: (
        f"participant {v[2]} committed no round-{v[1]} update to task {v[0]}, so it cannot be included"
    ),
    "FLNothingToClaim": lambda v: f"{v[1]} has nothing to claim from federated task {v[0]}",
    # Rewards, RewardToken, AccessMarket (issue 4)
    "RewardsNothingToClaim": lambda v: f"{v[0]} has no rewards to claim",
    "RewardsMintingPaused": lambda v: "reward claims are paused",
    "MarketNotDatasetOwner": lambda v: f"{v[1]} is not the owner of dataset {v[0]}",
    "MarketNotListed": lambda v: f"dataset {v[0]} has no access price set",
    "MarketFeeAboveMax": lambda v: f"the access fee {tokens(v[0])} is above your limit {tokens(v[1])}",
    "MarketOwnerCannotBuy": lambda v: f"{v[1]} owns dataset {v[0]} and cannot buy access to it",
    "ERC20InsufficientBalance": lambda v: f"{v[0]} holds {tokens(v[1])}, needs {tokens(v[2])}",
    "ERC20InsufficientAllowance": lambda v: f"allowance {tokens(v[1])} to {v[0]} is below {tokens(v[2])}",
    "ERC20ExceededCap": lambda v: f"minting would pass the token cap ({tokens(v[0])} > {tokens(v[1])})",
    "AccessControlUnauthorizedAccount": lambda v: f"{v[0]} lacks the role this action needs",
    # The rest of interfaces/*.sol (issue 15; tests/formats/test_revert_messages.py keeps this complete)
    "MarketPriceTooHigh": lambda v: f"the price {tokens(v[0])} per day does not fit in 96 bits",
    "MarketPublicKeyInvalid": lambda v: f"the public key is not {v[0]}'s 64-byte secp256k1 key (x ‖ y)",
    "MarketTermTooLong": lambda v: (
        f"the purchase would run the grant to {date(v[0])}, past the longest term ({date(v[1])})"
    ),
    "MarketZeroAddress": lambda v: "a contract address is zero",
    "MarketZeroDays": lambda v: "a purchase needs at least one day",
    "ModelAliasEmpty": lambda v: "the alias name is empty",
    "ModelCidKindInvalid": lambda v: f"CID kind {v[0]} is not 0, 1 or 2",
    "ModelCommitmentExists": lambda v: f"this publication commitment was already made on {date(v[1])}",
    "ModelCommitmentTooRecent": lambda v: (
        f"the publication commitment is ready only from {date(v[1])} (block time now {date(v[2])})"
    ),
    "ModelCommitmentUnknown": lambda v: "no publication commitment for this publisher, digest and salt",
    "ModelCommitmentZero": lambda v: "the commitment is zero",
    "ModelDatasetsUnsorted": lambda v: f"dataset ids must be strictly ascending ({v[1]} after {v[0]})",
    "ModelParentsUnsorted": lambda v: f"parent version ids must be strictly ascending ({v[1]} after {v[0]})",
    "ModelZeroAddress": lambda v: "a contract address is zero",
    "ModelZeroOwner": lambda v: "the new owner is the zero address",
    "RewardsCapReached": lambda v: (
        f"{v[0]} is owed {tokens(v[1])}, but the reward token's supply is at its cap"
    ),
    "RewardsRateTooHigh": lambda v: f"a reward rate of {v[0]} basis points is above the maximum {v[1]}",
    "RewardsZeroAddress": lambda v: "a contract address is zero",
    "RewardsZeroEpochLength": lambda v: "the epoch length must be more than zero",
}


@dataclass(frozen=True)
class DecodedRevert:
    name: str
    values: tuple[Any, ...]
    names: tuple[str, ...]
    sentence: str

    def error(self) -> ContractRevertError:
        return ContractRevertError(self.sentence, self.name, dict(zip(self.names, self.values, strict=False)))


@cache
def _selectors() -> dict[bytes, dict[str, Any]]:
    table = {}
    for entry in abis.all_entries("error"):
        table[keccak(text=abis.signature(entry))[:4]] = entry
    return table


def decode_revert(data: bytes | str | None) -> DecodedRevert:
    """Decode revert data (bytes or 0x-hex); unknown data gives a generic sentence, never an exception."""
    raw = _as_bytes(data)
    if len(raw) < 4:
        return DecodedRevert("", (), (), "the transaction reverted without a reason")
    selector, body = raw[:4], raw[4:]
    try:
        if selector == ERROR_STRING:
            (reason,) = decode(["string"], body)
            return DecodedRevert("Error", (reason,), ("reason",), f"the contract refused: {reason}")
        if selector == PANIC:
            (code,) = decode(["uint256"], body)
            what = PANICS.get(int(code), f"panic code {int(code):#x}")
            return DecodedRevert("Panic", (code,), ("code",), f"the contract failed: {what}")
        entry = _selectors().get(selector)
        if entry is None:
            return DecodedRevert("", (), (), f"the transaction reverted with unknown error 0x{raw.hex()[:8]}")
        inputs = entry.get("inputs", [])
        values = tuple(_readable(v) for v in decode([abis.canonical_type(i) for i in inputs], body))
    except Exception:  # eth_abi raises several types on malformed data: all mean "not decodable"
        return DecodedRevert("", (), (), f"the transaction reverted with undecodable data 0x{raw.hex()[:8]}")
    name = str(entry["name"])
    names = tuple(str(i.get("name", "")) for i in inputs)
    formatter = MESSAGES.get(name)
    try:
        sentence = formatter(values) if formatter else _generic(name, names, values)
    except (IndexError, ValueError, TypeError):  # an ABI that changed shape: still say something true
        sentence = _generic(name, names, values)
    return DecodedRevert(name, values, names, sentence)


def _generic(name: str, names: Sequence[str], values: Sequence[Any]) -> str:
    args = ", ".join(f"{n}={v}" if n else str(v) for n, v in zip(names, values, strict=False))
    return f"the contract refused: {name}({args})"


def _readable(value: Any) -> Any:
    if isinstance(value, str) and len(value) == 42 and value.startswith("0x"):
        return to_checksum_address(value)
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, tuple):
        return tuple(_readable(v) for v in value)
    return value


def _as_bytes(data: bytes | str | None) -> bytes:
    if data is None:
        return b""
    if isinstance(data, bytes):
        return data
    text = data[2:] if data.startswith("0x") else data
    try:
        return bytes.fromhex(text)
    except ValueError:
        return b""
