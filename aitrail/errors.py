"""One exception tree for the whole package.

Every error a user can meet derives from AitrailError and formats its own one-line message from
structured fields, so the CLI prints `error: <message>` and exits non-zero, never a traceback.
"""

from __future__ import annotations


class AitrailError(Exception):
    """Root of every error aitrail raises on purpose."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(AitrailError):
    """Bad configuration or option values."""


class ChainError(AitrailError):
    """Talking to the chain failed."""


class ChainUnreachableError(ChainError):
    def __init__(self, rpc_url: str, reason: str) -> None:
        super().__init__(f"chain unreachable at {rpc_url}: {reason}")
        self.rpc_url = rpc_url
        self.reason = reason


# --- SDK: local chain, accounts, transactions, flows (issue 6) ---


class AnvilNotFoundError(ChainError):
    def __init__(self, searched: str) -> None:
        super().__init__(
            f"cannot start the local chain: no Anvil binary ({searched}); run `make setup` "
            "(installs it from npm) or put `anvil` on PATH"
        )
        self.searched = searched


class LocalChainError(ChainError):
    """The embedded local chain could not be started or is not the one we expect."""


class WrongChainError(ChainError):
    def __init__(self, expected: int, actual: int, where: str) -> None:
        super().__init__(f"chain id {actual} does not match {where} (chain id {expected})")
        self.expected = expected
        self.actual = actual
        self.where = where


class AccountError(AitrailError):
    """A keystore or account problem."""


class AccountNotFoundError(AccountError):
    def __init__(self, name: str, known: list[str]) -> None:
        choices = ", ".join(known) if known else "none yet: `aitrail account new NAME`"
        super().__init__(f"no account named {name!r} (known: {choices})")
        self.name = name


class AccountExistsError(AccountError):
    def __init__(self, name: str) -> None:
        super().__init__(f"an account named {name!r} already exists")
        self.name = name


class WrongPasswordError(AccountError):
    def __init__(self, name: str) -> None:
        super().__init__(f"wrong password for account {name!r}")
        self.name = name


class NoPasswordError(AccountError):
    def __init__(self, name: str, env_vars: list[str]) -> None:
        super().__init__(
            f"no password for account {name!r}: set {' or '.join(env_vars)}, or run interactively"
        )
        self.name = name


class TransactionError(ChainError):
    """A transaction could not be sent, was not mined in time, or reverted."""


class InsufficientFundsError(TransactionError):
    def __init__(self, account: str, balance_wei: int, needed_wei: int, action: str) -> None:
        super().__init__(
            f"account {account} cannot pay for {action}: balance {balance_wei / 1e18:.6f} ETH, "
            f"needs up to {needed_wei / 1e18:.6f} ETH; fund it first"
        )
        self.account = account
        self.balance_wei = balance_wei
        self.needed_wei = needed_wei
        self.action = action


class TransactionTimeoutError(TransactionError):
    def __init__(self, tx_hash: str, nonce: int, seconds: float) -> None:
        super().__init__(
            f"transaction {tx_hash} (nonce {nonce}) not mined after {seconds:.0f} s; it may still be "
            "mined: re-running the same command waits for it instead of sending it again"
        )
        self.tx_hash = tx_hash
        self.nonce = nonce


class ContractRevertError(TransactionError):
    """A call or transaction reverted; `error` is the custom error's name, `args` its decoded values."""

    def __init__(self, sentence: str, error: str, args: dict[str, object]) -> None:
        super().__init__(sentence)
        self.error = error
        self.args_ = args


class NotDeployedError(ChainError):
    def __init__(self, contract: str, chain_id: int) -> None:
        super().__init__(
            f"{contract} is not deployed on chain {chain_id}: run `aitrail deploy`, or `aitrail deploy "
            f"--find` to find an existing deployment on the chain"
        )
        self.contract = contract
        self.chain_id = chain_id


# --- content addressing, storage, encryption (issue 5) ---


class CidError(AitrailError):
    """A CID string or binary form that cannot be parsed, or an unsupported codec/hash."""


class StorageError(AitrailError):
    """A storage backend failed."""


class BlockNotFoundError(StorageError):
    def __init__(self, cid: str) -> None:
        super().__init__(f"block {cid} not found in the store")
        self.cid = cid


class NotInStoreError(StorageError):
    """Something another party published (metadata, a wrapped key, a purpose) is not in the store this
    command reads: with the embedded default it may exist only in the publisher's own home."""

    def __init__(self, what: str, cid: str, store: str) -> None:
        where = "this home's embedded store" if store == "local" else f"the {store} store"
        super().__init__(
            f"{what} (CID {cid}) is not in {where}; point --store/AITRAIL_STORE and --ipfs-api at the "
            "IPFS node its publisher used (or `aitrail store import` a CAR file of it)"
        )
        self.what = what
        self.cid = cid
        self.store = store


class BlockCorruptedError(StorageError):
    def __init__(self, cid: str, actual: str) -> None:
        super().__init__(f"block {cid} is corrupted: its bytes hash to {actual}")
        self.cid = cid
        self.actual = actual


class DagFormatError(StorageError):
    def __init__(self, cid: str, reason: str) -> None:
        super().__init__(f"block {cid} is not a valid UnixFS node: {reason}")
        self.cid = cid
        self.reason = reason


class KuboUnreachableError(StorageError):
    def __init__(self, api_url: str, reason: str) -> None:
        super().__init__(f"IPFS (Kubo) API unreachable at {api_url}: {reason}")
        self.api_url = api_url
        self.reason = reason


class KuboApiError(StorageError):
    def __init__(self, command: str, status: int, message: str, code: int | None = None) -> None:
        super().__init__(f"IPFS (Kubo) {command} failed (HTTP {status}): {message}")
        self.command = command
        self.status = status
        self.kubo_message = message
        self.code = code


class CarFormatError(StorageError):
    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"CAR {source} is invalid: {reason}")
        self.source = source
        self.reason = reason


class ImportInputError(AitrailError):
    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"cannot add {path}: {reason}")
        self.path = path
        self.reason = reason


class CryptoError(AitrailError):
    """Encryption, decryption or key wrapping failed."""


class DecryptionError(CryptoError):
    def __init__(self, what: str, reason: str) -> None:
        super().__init__(f"cannot decrypt {what}: {reason}")
        self.what = what
        self.reason = reason


class KeyUnwrapError(CryptoError):
    def __init__(self, reason: str) -> None:
        super().__init__(f"cannot unwrap the data key: {reason}")
        self.reason = reason


class ContentHashMismatchError(AitrailError):
    def __init__(self, cid: str, expected: str, actual: str) -> None:
        super().__init__(f"content of {cid} has SHA-256 {actual}, expected {expected}")
        self.cid = cid
        self.expected = expected
        self.actual = actual



# --- Merkle trees and record datasets (aitrail.merkle, aitrail.records) ---


class MerkleError(AitrailError):
    """A Merkle tree could not be built, read or queried."""


class MerkleProofError(MerkleError):
    """A proof is malformed (not merely wrong: a wrong proof just fails to verify)."""


class RecordsError(AitrailError):
    """A record dataset could not be read or turned into leaves."""


class RecordsFormatError(RecordsError):
    def __init__(self, path: str, line: int, reason: str) -> None:
        super().__init__(f"{path}:{line}: {reason}")
        self.path = path
        self.line = line
        self.reason = reason


class RecordNotFoundError(RecordsError):
    def __init__(self, record: str, dataset_id: int | None = None) -> None:
        where = "the dataset" if dataset_id is None else f"dataset {dataset_id}"
        super().__init__(f"record {record!r} is not in {where}")
        self.record = record
        self.dataset_id = dataset_id


class ProofFileError(RecordsError):
    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"bad proof file {path}: {reason}")
        self.path = path
        self.reason = reason


class ProofRejectedError(RecordsError):
    """A well-formed proof that the chain does not accept (verifyRecord is false)."""

    def __init__(self, path: str, dataset_id: int, reason: str) -> None:
        super().__init__(f"{path}: REJECTED, not a record of dataset {dataset_id}: {reason}")
        self.path = path
        self.dataset_id = dataset_id
        self.reason = reason


class RecordsTreeUnavailableError(RecordsError):
    def __init__(self, dataset_id: int) -> None:
        super().__init__(
            f"no records tree of dataset {dataset_id} on this machine: fetch the data "
            f"(`aitrail dataset fetch {dataset_id}`) and pass the file with --from FILE"
        )
        self.dataset_id = dataset_id


class InputFileError(AitrailError):
    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class AccessDeniedError(AitrailError):
    """A fetch refused by the chain; the denied attempt itself is on record."""

    def __init__(self, sentence: str, dataset_id: int, account: str, tx_hash: str | None) -> None:
        on_record = f" (denied attempt recorded in transaction {tx_hash})" if tx_hash else ""
        super().__init__(sentence + on_record)
        self.dataset_id = dataset_id
        self.account = account
        self.tx_hash = tx_hash


class NoAccessRequestError(AitrailError):
    def __init__(self, dataset_id: int, account: str) -> None:
        super().__init__(
            f"{account} has not requested access to dataset {dataset_id}, so there is no public key to "
            "wrap the data key for: ask them to run `aitrail access request`, or pass --public-key"
        )
        self.dataset_id = dataset_id
        self.account = account


class UnknownModelError(AitrailError):
    def __init__(self, reference: str, reason: str = "no such model") -> None:
        super().__init__(f"model {reference!r}: {reason}")
        self.reference = reference


class NotPublishedError(AitrailError):
    def __init__(self, path: str, digest: str) -> None:
        super().__init__(f"{path} (weights digest {digest}) is not a published model version")
        self.path = path
        self.digest = digest



# --- formats: Croissant, model cards (issue 15) ---


class CroissantError(AitrailError):
    """A Croissant document aitrail cannot take in."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: not a Croissant dataset aitrail can register: {reason}")
        self.source = source
        self.reason = reason


class NotDatasetOwnerError(AitrailError):
    """An owner-only step (unwrapping the owner key, granting, signing a grant, dropping records) tried by
    another account: one error for every such check, raised before anything is sent."""

    def __init__(self, account: str, dataset_id: int, detail: str = "") -> None:
        super().__init__(f"{account} is not the owner of dataset {dataset_id}{detail}")
        self.account = account
        self.dataset_id = dataset_id


class ModelSignatureError(AitrailError):
    """A model-signing bundle that does not verify, or signs other bytes than the ones published."""

    def __init__(self, bundle: str, reason: str) -> None:
        super().__init__(f"signature {bundle}: {reason}")
        self.bundle = bundle
        self.reason = reason


# --- the access gateway (issue 13) ---


class SiweError(AitrailError):
    """A Sign-In with Ethereum message that is malformed, or does not bind what the gateway requires."""


class GatewayError(AitrailError):
    """The gateway refused a request or broke off a transfer; `status` is the HTTP status (0: none)."""

    def __init__(self, message: str, status: int = 0, tx_hash: str | None = None) -> None:
        on_record = f" (recorded in transaction {tx_hash})" if tx_hash else ""
        super().__init__(message + on_record)
        self.status = status
        self.tx_hash = tx_hash
