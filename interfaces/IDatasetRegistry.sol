// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IAccessGrants} from "./IAccessGrants.sol";

/// @title Registry of AI datasets: content hash, IPFS CIDs, records root, versions, owner, status
/// @notice The full API of the deployed `DatasetRegistry`: this dataset part plus the access grants of
///         `IAccessGrants` (one contract, so granting and `hasAccess` read the dataset without an
///         external call).
///
///         Compact CIDs. A CID is kept as its sha2-256 digest (bytes32) plus a `kind` (uint8):
///         - 0: CIDv0, dag-pb, base58btc string `Qm...` = base58btc(0x12 0x20 ‖ digest)
///         - 1: CIDv1, dag-pb (codec 0x70), base32 lower `b...` = "b" + base32(0x01 0x70 0x12 0x20 ‖ digest)
///         - 2: CIDv1, raw (codec 0x55), base32 lower `b...` = "b" + base32(0x01 0x55 0x12 0x20 ‖ digest)
///         These rebuild the exact string `ipfs add` printed (Kubo defaults: v0; `--cid-version=1`: a
///         single-block file is raw, a larger one dag-pb). Other hash functions are not accepted.
///
///         Storage versus events. Storage holds what contracts read (owner, status, predecessor, records
///         root and count, content-hash uniqueness); the CIDs, the content hash of an id and the
///         registration time are in `DatasetRegistered`, which carries everything needed to rebuild the
///         registry from logs. The gas table in the README shows why (register <= 120,000 gas).
///
///         Front-running (commit-reveal). A plain `register` needs a commitment
///         `keccak256(abi.encode(owner, contentHash, salt))` made with `commitRegistration` at least
///         `REGISTRATION_DELAY` seconds (and at least one block) earlier. The commitment hides the content
///         hash and binds the owner, so a copy of the `register` transaction with `owner` swapped finds no
///         commitment of its own and reverts, and a front-runner who first sees the content hash in a
///         pending `register` must commit and wait the delay, by which time the real one is mined.
///         `registerWithSig` needs no commitment: the owner's signature binds the owner, and nobody can
///         register first through `register` without an aged commitment. Residual risks, stated plainly:
///         someone who learns a content hash before the owner commits can still register it first (the
///         hash is of the plaintext, which the owner keeps private), and a `register` or
///         `registerWithSig` transaction kept out of blocks for longer than the delay can be overtaken.
interface IDatasetRegistry is IAccessGrants {
    /// @notice What a registration carries. Field order is the EIP-712 `Registration` field order.
    /// @param owner the dataset owner (must be the sender of `register`, or the signer for `registerWithSig`)
    /// @param contentHash SHA-256 of the plaintext content; unique across the registry
    /// @param cidDigest sha2-256 digest of the CID of the stored (encrypted) data
    /// @param cidKind kind of that CID (0, 1, 2: see the contract notice)
    /// @param metadataDigest sha2-256 digest of the CID of the metadata document (name, license, consent)
    /// @param metadataKind kind of the metadata CID
    /// @param recordsRoot OpenZeppelin StandardMerkleTree root of per-record leaves, or zero
    /// @param recordsCount number of leaves under `recordsRoot` (zero iff the root is zero)
    /// @param predecessor id of the previous version of this dataset (same owner), or 0 for a first version
    struct DatasetInput {
        address owner;
        bytes32 contentHash;
        bytes32 cidDigest;
        uint8 cidKind;
        bytes32 metadataDigest;
        uint8 metadataKind;
        bytes32 recordsRoot;
        uint40 recordsCount;
        uint256 predecessor;
    }

    // ---------------------------------------------------------------- events

    /// @notice A dataset (or a new version of one) was registered.
    event DatasetRegistered(
        uint256 indexed datasetId,
        address indexed owner,
        bytes32 indexed contentHash,
        bytes32 cidDigest,
        uint8 cidKind,
        bytes32 metadataDigest,
        uint8 metadataKind,
        bytes32 recordsRoot,
        uint40 recordsCount,
        uint256 predecessor,
        uint64 registeredAt
    );

    /// @notice Version `datasetId` of `predecessor` drops these records (consent withdrawn by their data
    ///         subjects). Each entry is a leaf of the predecessor's records tree (the hash `verifyRecord`
    ///         forms from the values). The owner's statement: the contract cannot check that the new
    ///         root leaves them out (non-membership has no cheap proof); the SDK builds it that way.
    event RecordsWithdrawn(uint256 indexed datasetId, uint256 indexed predecessor, bytes32[] leaves);

    /// @notice The owner withdrew the dataset: the record stays, grants stop, no new grants.
    event DatasetWithdrawn(uint256 indexed datasetId, bytes32 reason);

    /// @notice `commitment` (see `registrationCommitmentOf`) was recorded; `register` may reveal it from
    ///         `committedAt + REGISTRATION_DELAY` on.
    event RegistrationCommitted(bytes32 indexed commitment, uint64 committedAt);

    /// @notice Step 1 of an ownership transfer (`to` zero: a pending transfer was cancelled).
    event DatasetOwnershipTransferStarted(uint256 indexed datasetId, address indexed from, address indexed to);

    /// @notice Step 2: `to` accepted and now owns the dataset.
    event DatasetOwnershipTransferred(uint256 indexed datasetId, address indexed from, address indexed to);

    // ---------------------------------------------------------------- errors

    /// @notice No dataset has this id (ids start at 1).
    error DatasetUnknown(uint256 datasetId);
    /// @notice The dataset is withdrawn: no grants, requests or second withdrawal.
    error DatasetIsWithdrawn(uint256 datasetId);
    /// @notice `caller` is not the owner of `datasetId`.
    error DatasetNotOwner(uint256 datasetId, address caller);
    /// @notice `register` sent by `caller` for another `owner`.
    error DatasetRegistrationUnauthorized(address owner, address caller);
    /// @notice A zero content hash.
    error DatasetContentHashZero();
    /// @notice The content hash is already registered as `datasetId`.
    error DatasetContentHashTaken(bytes32 contentHash, uint256 datasetId);
    /// @notice A zero CID digest or a CID kind above 2.
    error DatasetCidInvalid(bytes32 digest, uint8 kind);
    /// @notice A records root without a count or a count without a root.
    error DatasetRecordsInconsistent(bytes32 root, uint40 count);
    /// @notice A new version must have the owner of its predecessor.
    error DatasetVersionOwnerMismatch(uint256 predecessor, address predecessorOwner, address owner);
    /// @notice Withdrawn records listed on a first version (there is nothing to withdraw them from).
    error DatasetRecordsWithoutPredecessor();
    /// @notice `acceptDatasetOwnership` by `caller`, who is not the pending owner.
    error DatasetNotPendingOwner(uint256 datasetId, address caller);
    /// @notice `register` without a commitment of `keccak256(abi.encode(owner, contentHash, salt))`.
    error DatasetCommitmentUnknown(bytes32 commitment);
    /// @notice `register` before the commitment is old enough: allowed from `readyAt` (block time) on.
    error DatasetCommitmentTooRecent(bytes32 commitment, uint256 readyAt, uint256 timestamp);
    /// @notice `commitRegistration` of a commitment already recorded at `committedAt` (kept, not reset:
    ///         a copied commit transaction must not restart the owner's delay).
    error DatasetCommitmentExists(bytes32 commitment, uint64 committedAt);
    /// @notice A deployment with a zero registration delay (the commitment would protect nothing).
    error DatasetRegistrationDelayZero();
    /// @notice A signed registration submitted after its deadline.
    error DatasetSignatureExpired(uint256 deadline, uint256 timestamp);
    /// @notice The signature is not `owner`'s over this registration in this domain.
    error DatasetSignatureInvalid(address owner);

    // ---------------------------------------------------------------- registration

    /// @notice Step 1 of `register`: record `commitment` = `registrationCommitmentOf(owner, contentHash,
    ///         salt)` with the block time. Anyone may commit (a commitment is useless to anyone but the
    ///         owner it names); a recorded commitment is never reset.
    /// @dev Reverts `DatasetCommitmentExists`.
    function commitRegistration(bytes32 commitment) external;

    /// @notice Step 2: register a dataset for `input.owner`, who must be the sender and must have
    ///         committed to `(input.owner, input.contentHash, salt)` at least `REGISTRATION_DELAY` seconds
    ///         before, in an earlier block. The commitment is used up. `withdrawnLeaves` (only with a
    ///         predecessor) lists the predecessor's record leaves this version drops.
    /// @return datasetId the new id (ids count from 1)
    /// @dev Reverts `DatasetRegistrationUnauthorized`, `DatasetCommitmentUnknown`,
    ///      `DatasetCommitmentTooRecent`, `DatasetContentHashZero`, `DatasetContentHashTaken`,
    ///      `DatasetCidInvalid`, `DatasetRecordsInconsistent`, `DatasetUnknown` (predecessor),
    ///      `DatasetVersionOwnerMismatch`, `DatasetRecordsWithoutPredecessor`.
    function register(DatasetInput calldata input, bytes32[] calldata withdrawnLeaves, bytes32 salt)
        external
        returns (uint256 datasetId);

    /// @notice Register with the owner's EIP-712 signature; anyone may submit. Typed data:
    ///         `Registration(address owner,bytes32 contentHash,bytes32 cidDigest,uint8 cidKind,
    ///         bytes32 metadataDigest,uint8 metadataKind,bytes32 recordsRoot,uint40 recordsCount,
    ///         uint256 predecessor,bytes32[] withdrawnLeaves,uint256 nonce,uint256 deadline)`,
    ///         domain name "aitrail DatasetRegistry", version "1", chain id, this contract.
    /// @dev Also reverts `DatasetSignatureExpired`, `InvalidAccountNonce`, `DatasetSignatureInvalid`.
    function registerWithSig(
        DatasetInput calldata input,
        bytes32[] calldata withdrawnLeaves,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external returns (uint256 datasetId);

    // ---------------------------------------------------------------- owner actions

    /// @notice Withdraw the dataset (consent withdrawn, found faulty). Irreversible; the record stays.
    /// @dev Reverts `DatasetUnknown`, `DatasetNotOwner`, `DatasetIsWithdrawn`.
    function withdrawDataset(uint256 datasetId, bytes32 reason) external;

    /// @notice Offer ownership of `datasetId` to `newOwner` (zero cancels). Nothing changes until accepted.
    /// @dev Reverts `DatasetUnknown`, `DatasetNotOwner`.
    function transferDatasetOwnership(uint256 datasetId, address newOwner) external;

    /// @notice Accept a pending transfer; the caller becomes the owner. Grants stay valid; the previous
    ///         owner's operators no longer act on it.
    /// @dev Reverts `DatasetUnknown`, `DatasetNotPendingOwner`.
    function acceptDatasetOwnership(uint256 datasetId) external;

    // ---------------------------------------------------------------- reads

    /// @notice Seconds between `commitRegistration` and the `register` that reveals it (fixed at deployment).
    // solhint-disable-next-line func-name-mixedcase
    function REGISTRATION_DELAY() external view returns (uint64);

    /// @notice Block time at which `commitment` was recorded, or 0 (never, or used up by `register`).
    function registrationCommitment(bytes32 commitment) external view returns (uint64 committedAt);

    /// @notice The commitment `register` looks for: `keccak256(abi.encode(owner, contentHash, salt))`.
    function registrationCommitmentOf(address owner, bytes32 contentHash, bytes32 salt)
        external
        pure
        returns (bytes32);

    /// @notice Number of datasets registered; ids are 1..datasetCount().
    function datasetCount() external view returns (uint256);

    /// @notice Owner of `datasetId`. Reverts `DatasetUnknown`.
    function datasetOwner(uint256 datasetId) external view returns (address);

    /// @notice Whether `datasetId` is withdrawn. Reverts `DatasetUnknown`.
    function isWithdrawn(uint256 datasetId) external view returns (bool);

    /// @notice Pending owner of a transfer in progress, or zero.
    function pendingDatasetOwner(uint256 datasetId) external view returns (address);

    /// @notice Id registered with `contentHash`, or 0.
    function datasetIdOf(bytes32 contentHash) external view returns (uint256);

    /// @notice Previous version of `datasetId`, or 0. Reverts `DatasetUnknown`.
    function predecessorOf(uint256 datasetId) external view returns (uint256);

    /// @notice Version chain of `datasetId`: itself first, then each predecessor back to the first version.
    ///         Reverts `DatasetUnknown`.
    function datasetHistory(uint256 datasetId) external view returns (uint256[] memory ids);

    /// @notice Records root and record count of `datasetId` (zero for datasets without records).
    ///         Reverts `DatasetUnknown`.
    function recordsRoot(uint256 datasetId) external view returns (bytes32 root, uint40 count);

    /// @notice Whether the record with values `(recordKey, recordSha256, consent)` is in `datasetId`'s
    ///         records tree per `proof` (OpenZeppelin MerkleProof, sorted pairs). The contract forms the
    ///         StandardMerkleTree leaf `keccak256(bytes.concat(keccak256(abi.encode(recordKey, recordSha256,
    ///         consent))))` itself, so an inner node or the root cannot pass as a record. False for datasets
    ///         without a root; also answers for withdrawn datasets (history stays verifiable).
    ///         Reverts `DatasetUnknown`.
    function verifyRecord(
        uint256 datasetId,
        bytes32 recordKey,
        bytes32 recordSha256,
        uint8 consent,
        bytes32[] calldata proof
    ) external view returns (bool);

    /// @notice EIP-712 domain separator of this contract (chain id and address bound).
    // solhint-disable-next-line func-name-mixedcase
    function DOMAIN_SEPARATOR() external view returns (bytes32);
}
