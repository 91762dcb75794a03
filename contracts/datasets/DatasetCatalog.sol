// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IDatasetRegistry} from "../../interfaces/IDatasetRegistry.sol";

/// @title Dataset part of the registry: registration, versions, ownership, withdrawal, records root
/// @notice Abstract: the access-grant functions of `IDatasetRegistry` live in `AccessGrants`.
abstract contract DatasetCatalog is IDatasetRegistry, EIP712, Nonces {
    /// @dev Everything a grant or `hasAccess` reads, in one slot (20 + 5 + 4 + 1 bytes), so the access
    ///      path costs one cold SLOAD for the dataset.
    struct Dataset {
        address owner;
        uint40 recordsCount;
        // Dataset ids fit 32 bits: 2^32 registrations would cost over 3 * 10^14 gas.
        uint32 predecessor;
        bool withdrawn;
    }

    /// @dev The highest CID kind understood (see the interface notice: 0 v0 dag-pb, 1 v1 dag-pb, 2 v1 raw).
    uint8 private constant _MAX_CID_KIND = 2;

    bytes32 private constant _REGISTRATION_TYPEHASH = keccak256(
        "Registration(address owner,bytes32 contentHash,bytes32 cidDigest,uint8 cidKind,bytes32 metadataDigest,"
        "uint8 metadataKind,bytes32 recordsRoot,uint40 recordsCount,uint256 predecessor,bytes32[] withdrawnLeaves,"
        "uint256 nonce,uint256 deadline)"
    );

    mapping(uint256 datasetId => Dataset) internal _datasets;
    mapping(uint256 datasetId => bytes32 root) private _recordsRoots;
    mapping(bytes32 contentHash => uint256 datasetId) private _idByContentHash;
    mapping(uint256 datasetId => address pendingOwner) private _pendingOwners;
    mapping(bytes32 commitment => uint256 committedAt) private _commitments;
    uint256 private _datasetCount;

    /// @inheritdoc IDatasetRegistry
    uint64 public immutable REGISTRATION_DELAY;

    /// @param registrationDelay seconds a commitment must age before `register` reveals it (at least 1)
    constructor(uint64 registrationDelay) {
        if (registrationDelay == 0) revert DatasetRegistrationDelayZero();
        REGISTRATION_DELAY = registrationDelay;
    }

    // ---------------------------------------------------------------- registration

    /// @inheritdoc IDatasetRegistry
    function commitRegistration(bytes32 commitment) external {
        uint256 committedAt = _commitments[commitment];
        // Cannot truncate: a stored time came from block.timestamp.
        if (committedAt != 0) revert DatasetCommitmentExists(commitment, uint64(committedAt));
        _commitments[commitment] = block.timestamp;
        emit RegistrationCommitted(commitment, uint64(block.timestamp));
    }

    /// @inheritdoc IDatasetRegistry
    function register(DatasetInput calldata input, bytes32[] calldata withdrawnLeaves, bytes32 salt)
        external
        returns (uint256 datasetId)
    {
        if (input.owner != msg.sender) revert DatasetRegistrationUnauthorized(input.owner, msg.sender);
        bytes32 commitment = _commitmentOf(input.owner, input.contentHash, salt);
        uint256 committedAt = _commitments[commitment];
        if (committedAt == 0) revert DatasetCommitmentUnknown(commitment);
        // The delay is at least 1 s, so a ready commitment was also made in an earlier block.
        uint256 readyAt = committedAt + REGISTRATION_DELAY;
        if (block.timestamp < readyAt) revert DatasetCommitmentTooRecent(commitment, readyAt, block.timestamp);
        // Used up before the registration, which may still revert (then the commitment stays).
        delete _commitments[commitment];
        return _register(input, withdrawnLeaves);
    }

    /// @inheritdoc IDatasetRegistry
    function registerWithSig(
        DatasetInput calldata input,
        bytes32[] calldata withdrawnLeaves,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external returns (uint256 datasetId) {
        if (block.timestamp > deadline) revert DatasetSignatureExpired(deadline, block.timestamp);
        _useCheckedNonce(input.owner, nonce);
        // A static struct ABI-encodes in place, field by field, which is exactly EIP-712's encodeData.
        bytes32 structHash = keccak256(
            abi.encode(
                _REGISTRATION_TYPEHASH, input, keccak256(abi.encodePacked(withdrawnLeaves)), nonce, deadline
            )
        );
        if (!_isOwnerSignature(input.owner, structHash, signature)) revert DatasetSignatureInvalid(input.owner);
        return _register(input, withdrawnLeaves);
    }

    // ---------------------------------------------------------------- owner actions

    /// @inheritdoc IDatasetRegistry
    function withdrawDataset(uint256 datasetId, bytes32 reason) external {
        Dataset storage dataset = _ownedBySender(datasetId);
        if (dataset.withdrawn) revert DatasetIsWithdrawn(datasetId);
        dataset.withdrawn = true;
        emit DatasetWithdrawn(datasetId, reason);
    }

    /// @inheritdoc IDatasetRegistry
    function transferDatasetOwnership(uint256 datasetId, address newOwner) external {
        _ownedBySender(datasetId);
        _pendingOwners[datasetId] = newOwner;
        emit DatasetOwnershipTransferStarted(datasetId, msg.sender, newOwner);
    }

    /// @inheritdoc IDatasetRegistry
    function acceptDatasetOwnership(uint256 datasetId) external {
        Dataset storage dataset = _existing(datasetId);
        if (_pendingOwners[datasetId] != msg.sender) {
            revert DatasetNotPendingOwner(datasetId, msg.sender);
        }
        address previous = dataset.owner;
        delete _pendingOwners[datasetId];
        dataset.owner = msg.sender;
        emit DatasetOwnershipTransferred(datasetId, previous, msg.sender);
    }

    // ---------------------------------------------------------------- reads

    /// @inheritdoc IDatasetRegistry
    function registrationCommitment(bytes32 commitment) external view returns (uint64 committedAt) {
        // Cannot truncate: a stored time came from block.timestamp.
        return uint64(_commitments[commitment]);
    }

    /// @inheritdoc IDatasetRegistry
    function registrationCommitmentOf(address owner, bytes32 contentHash, bytes32 salt)
        external
        pure
        returns (bytes32)
    {
        return _commitmentOf(owner, contentHash, salt);
    }

    /// @inheritdoc IDatasetRegistry
    function datasetCount() external view returns (uint256) {
        return _datasetCount;
    }

    /// @inheritdoc IDatasetRegistry
    function datasetOwner(uint256 datasetId) external view returns (address) {
        return _existing(datasetId).owner;
    }

    /// @inheritdoc IDatasetRegistry
    function isWithdrawn(uint256 datasetId) external view returns (bool) {
        return _existing(datasetId).withdrawn;
    }

    /// @inheritdoc IDatasetRegistry
    function pendingDatasetOwner(uint256 datasetId) external view returns (address) {
        return _pendingOwners[datasetId];
    }

    /// @inheritdoc IDatasetRegistry
    function datasetIdOf(bytes32 contentHash) external view returns (uint256) {
        return _idByContentHash[contentHash];
    }

    /// @inheritdoc IDatasetRegistry
    function predecessorOf(uint256 datasetId) external view returns (uint256) {
        return _existing(datasetId).predecessor;
    }

    /// @inheritdoc IDatasetRegistry
    function datasetHistory(uint256 datasetId) external view returns (uint256[] memory ids) {
        uint256 length = 1;
        for (uint256 id = _existing(datasetId).predecessor; id != 0; id = _datasets[id].predecessor) {
            ++length;
        }
        ids = new uint256[](length);
        uint256 current = datasetId;
        for (uint256 i = 0; i < length; ++i) {
            ids[i] = current;
            current = _datasets[current].predecessor;
        }
    }

    /// @inheritdoc IDatasetRegistry
    function recordsRoot(uint256 datasetId) external view returns (bytes32 root, uint40 count) {
        count = _existing(datasetId).recordsCount;
        root = _recordsRoots[datasetId];
    }

    /// @inheritdoc IDatasetRegistry
    function verifyRecord(
        uint256 datasetId,
        bytes32 recordKey,
        bytes32 recordSha256,
        uint8 consent,
        bytes32[] calldata proof
    ) external view returns (bool) {
        _existing(datasetId);
        bytes32 root = _recordsRoots[datasetId];
        // The StandardMerkleTree leaf, double-hashed: a 64-byte inner node can never be such a preimage.
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(recordKey, recordSha256, consent))));
        return root != bytes32(0) && MerkleProof.verifyCalldata(proof, root, leaf);
    }

    /// @inheritdoc IDatasetRegistry
    // solhint-disable-next-line func-name-mixedcase
    function DOMAIN_SEPARATOR() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    // ---------------------------------------------------------------- internal

    /// @dev The dataset, reverting `DatasetUnknown` for ids never registered (owner is never zero once set:
    ///      registration requires a sender or a valid signature, and a transfer needs the new owner's call).
    function _existing(uint256 datasetId) internal view returns (Dataset storage dataset) {
        dataset = _datasets[datasetId];
        if (dataset.owner == address(0)) revert DatasetUnknown(datasetId);
    }

    /// @dev Owner and withdrawn flag from one SLOAD: a storage pointer reads the slot again per field and
    ///      a memory copy unpacks all four fields; this is the hot path of grants, `hasAccess` and the log.
    ///      Layout (Solidity packs from the low bits): owner 0-159, recordsCount 160-199,
    ///      predecessor 200-231, withdrawn 232-239. Slither's `assembly` note is triaged inline: a
    ///      single read-only SLOAD, layout checked by the withdraw and access tests.
    // slither-disable-next-line assembly
    function _ownerAndStatus(uint256 datasetId) internal view returns (address owner, bool withdrawn) {
        Dataset storage dataset = _datasets[datasetId];
        uint256 word;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            word := sload(dataset.slot)
        }
        owner = address(uint160(word));
        withdrawn = (word >> 232) & 0xff != 0;
    }

    /// @dev True if `signature` is `signer`'s EIP-712 signature of `structHash` in this domain
    ///      (ECDSA for accounts, ERC-1271 for contract owners such as multisigs).
    function _isOwnerSignature(address signer, bytes32 structHash, bytes calldata signature)
        internal
        view
        returns (bool)
    {
        return SignatureChecker.isValidSignatureNow(signer, _hashTypedDataV4(structHash), signature);
    }

    function _commitmentOf(address owner, bytes32 contentHash, bytes32 salt) private pure returns (bytes32) {
        return keccak256(abi.encode(owner, contentHash, salt));
    }

    function _ownedBySender(uint256 datasetId) private view returns (Dataset storage dataset) {
        dataset = _existing(datasetId);
        if (dataset.owner != msg.sender) revert DatasetNotOwner(datasetId, msg.sender);
    }

    function _register(DatasetInput calldata input, bytes32[] calldata withdrawnLeaves)
        private
        returns (uint256 datasetId)
    {
        bytes32 contentHash = input.contentHash;
        if (contentHash == bytes32(0)) revert DatasetContentHashZero();
        uint256 existing = _idByContentHash[contentHash];
        if (existing != 0) revert DatasetContentHashTaken(contentHash, existing);
        _checkCid(input.cidDigest, input.cidKind);
        _checkCid(input.metadataDigest, input.metadataKind);
        if ((input.recordsRoot == bytes32(0)) != (input.recordsCount == 0)) {
            revert DatasetRecordsInconsistent(input.recordsRoot, input.recordsCount);
        }
        uint256 predecessor = input.predecessor;
        if (predecessor != 0) {
            address predecessorOwner = _datasets[predecessor].owner;
            if (predecessorOwner == address(0)) revert DatasetUnknown(predecessor);
            if (predecessorOwner != input.owner) {
                revert DatasetVersionOwnerMismatch(predecessor, predecessorOwner, input.owner);
            }
        } else if (withdrawnLeaves.length != 0) {
            revert DatasetRecordsWithoutPredecessor();
        }

        // Cannot overflow: one increment per registration transaction.
        unchecked {
            datasetId = ++_datasetCount;
        }
        _idByContentHash[contentHash] = datasetId;
        _datasets[datasetId] = Dataset({
            owner: input.owner,
            recordsCount: input.recordsCount,
            predecessor: SafeCast.toUint32(predecessor),
            withdrawn: false
        });
        if (input.recordsRoot != bytes32(0)) _recordsRoots[datasetId] = input.recordsRoot;
        _emitRegistered(datasetId, input);
        if (withdrawnLeaves.length != 0) emit RecordsWithdrawn(datasetId, predecessor, withdrawnLeaves);
    }

    function _emitRegistered(uint256 datasetId, DatasetInput calldata input) private {
        emit DatasetRegistered(
            datasetId,
            input.owner,
            input.contentHash,
            input.cidDigest,
            input.cidKind,
            input.metadataDigest,
            input.metadataKind,
            input.recordsRoot,
            input.recordsCount,
            input.predecessor,
            uint64(block.timestamp)
        );
    }

    function _checkCid(bytes32 digest, uint8 kind) private pure {
        if (digest == bytes32(0) || kind > _MAX_CID_KIND) revert DatasetCidInvalid(digest, kind);
    }
}
