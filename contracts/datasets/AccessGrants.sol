// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IAccessGrants} from "../../interfaces/IAccessGrants.sol";
import {DatasetCatalog} from "./DatasetCatalog.sol";

/// @title Access-grant part of the registry: requests, grants, revocation, operators, the access log
/// @notice Abstract: deployed as part of `DatasetRegistry`, so every check reads the dataset slot directly.
abstract contract AccessGrants is DatasetCatalog {
    /// @inheritdoc IAccessGrants
    uint64 public constant DEFAULT_GRANT_DURATION = 30 days;
    /// @inheritdoc IAccessGrants
    uint64 public constant MIN_GRANT_DURATION = 1 hours;
    /// @inheritdoc IAccessGrants
    uint64 public constant MAX_GRANT_DURATION = 365 days;
    /// @inheritdoc IAccessGrants
    uint256 public constant MAX_BATCH = 100;

    bytes32 private constant _ACCESS_GRANT_TYPEHASH = keccak256(
        "AccessGrant(uint256 datasetId,address grantee,uint64 duration,bytes32 keyRef,uint256 nonce,uint256 deadline)"
    );


    /// @dev One slot per grant: the expiry alone, held as a full word so a write needs no read-and-mask
    ///      of the slot (values stay below 2^64; they are returned as uint64). Revocation deletes it (the
    ///      refund keeps revoke cheap), so "revoked" and "never granted" read the same here; the events
    ///      tell them apart.
    struct Grant {
        uint256 expiresAt;
    }

    /// @dev Keyed by `_grantKey(datasetId, grantee)`: one hash per access instead of two for a nested
    ///      mapping (this keeps a new grant under 50,000 gas).
    mapping(uint256 grantKey => Grant) private _grants;
    mapping(address owner => mapping(address operator => bool approved)) private _operators;
    /// @dev Unordered signed-grant nonces as a bitmap (word = nonce >> 8, bit = nonce & 0xff): any number
    ///      can be outstanding, each is used or cancelled alone, and nonces in one word share a slot.
    mapping(address owner => mapping(uint256 word => uint256 bits)) private _usedGrantNonces;

    // ---------------------------------------------------------------- requests

    /// @inheritdoc IAccessGrants
    function requestAccess(uint256 datasetId, bytes32 purpose, uint64 duration, bytes calldata publicKey)
        external
    {
        _activeOwner(datasetId);
        _checkedDuration(duration);
        _checkPublicKey(publicKey);
        emit AccessRequested(datasetId, msg.sender, purpose, duration, publicKey);
    }

    // ---------------------------------------------------------------- grants

    /// @inheritdoc IAccessGrants
    function grantAccess(uint256 datasetId, address grantee, uint64 duration, bytes32 keyRef)
        external
        returns (uint64 expiresAt)
    {
        _authorizeGrantor(_activeOwner(datasetId), datasetId);
        return _grant(datasetId, grantee, _checkedDuration(duration), keyRef);
    }

    /// @inheritdoc IAccessGrants
    function grantAccessBatch(
        uint256 datasetId,
        address[] calldata grantees,
        uint64 duration,
        bytes32[] calldata keyRefs
    ) external returns (uint64[] memory expiresAt) {
        uint256 size = grantees.length;
        if (size == 0 || size > MAX_BATCH) revert AccessBatchSizeInvalid(size, MAX_BATCH);
        if (keyRefs.length != size) revert AccessBatchLengthMismatch(size, keyRefs.length);
        _authorizeGrantor(_activeOwner(datasetId), datasetId);
        uint64 checked = _checkedDuration(duration);
        expiresAt = new uint64[](size);
        for (uint256 i = 0; i < size; ++i) {
            expiresAt[i] = _grant(datasetId, grantees[i], checked, keyRefs[i]);
        }
    }

    /// @inheritdoc IAccessGrants
    function grantAccessWithSig(
        uint256 datasetId,
        address grantee,
        uint64 duration,
        bytes32 keyRef,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external returns (uint64 expiresAt) {
        address owner = _activeOwner(datasetId);
        if (block.timestamp > deadline) revert AccessSignatureExpired(deadline, block.timestamp);
        _useGrantNonce(owner, nonce);
        bytes32 structHash =
            keccak256(abi.encode(_ACCESS_GRANT_TYPEHASH, datasetId, grantee, duration, keyRef, nonce, deadline));
        if (!_isOwnerSignature(owner, structHash, signature)) revert AccessSignatureInvalid(owner);
        return _grant(datasetId, grantee, _checkedDuration(duration), keyRef);
    }

    /// @inheritdoc IAccessGrants
    /// @dev The name fixes the selector, hence its place in the dispatcher's search: this one leaves every
    ///      other function's dispatch cost as it was (`setKeyRef` would have made `datasetOwner`, called
    ///      by the model registry and the market, 66 gas dearer).
    function deliverKey(uint256 datasetId, address grantee, bytes32 keyRef) external {
        _authorizeGrantor(_activeOwner(datasetId), datasetId);
        uint256 expiresAt = _grants[_grantKey(datasetId, grantee)].expiresAt;
        if (expiresAt == 0) revert AccessGrantUnknown(datasetId, grantee);
        // Same exclusive bound as `_hasAccess`: a key for an ended grant would be of no use.
        // Cannot truncate: every stored expiry came from a uint64 sum.
        if (block.timestamp >= expiresAt) {
            revert AccessGrantExpired(datasetId, grantee, uint64(expiresAt), block.timestamp);
        }
        emit AccessKeyDelivered(datasetId, grantee, keyRef);
    }

    /// @inheritdoc IAccessGrants
    function revokeAccess(uint256 datasetId, address grantee) external {
        // Allowed on withdrawn datasets: clearing a grant never gives anyone more access.
        _authorizeGrantor(_existing(datasetId).owner, datasetId);
        Grant storage grant = _grants[_grantKey(datasetId, grantee)];
        if (grant.expiresAt == 0) revert AccessGrantUnknown(datasetId, grantee);
        delete grant.expiresAt;
        emit AccessRevoked(datasetId, grantee);
    }

    /// @inheritdoc IAccessGrants
    function cancelGrantSignature(uint256 nonce) external {
        _useGrantNonce(msg.sender, nonce);
        emit AccessGrantSignatureCancelled(msg.sender, nonce);
    }

    /// @inheritdoc IAccessGrants
    function setOperator(address operator, bool approved) external {
        _operators[msg.sender][operator] = approved;
        emit OperatorSet(msg.sender, operator, approved);
    }

    // ---------------------------------------------------------------- reads and the log

    /// @inheritdoc IAccessGrants
    function isOperator(address owner, address operator) external view returns (bool) {
        return _operators[owner][operator];
    }

    /// @inheritdoc IAccessGrants
    function grantNonceUsed(address owner, uint256 nonce) external view returns (bool) {
        return _usedGrantNonces[owner][nonce >> 8] & (1 << (nonce & 0xff)) != 0;
    }

    /// @inheritdoc IAccessGrants
    function hasAccess(uint256 datasetId, address account) external view returns (bool) {
        return _hasAccess(datasetId, account);
    }

    /// @inheritdoc IAccessGrants
    function grantExpiry(uint256 datasetId, address grantee) external view returns (uint64) {
        // Unknown ids answer 0 before the key is formed (ids of 2^96 and above would alias lower ones).
        if (_datasets[datasetId].owner == address(0)) return 0;
        // Cannot truncate: every stored expiry came from a uint64 sum.
        return uint64(_grants[_grantKey(datasetId, grantee)].expiresAt);
    }

    /// @inheritdoc IAccessGrants
    function logAccess(uint256 datasetId) external returns (bool allowed) {
        allowed = _hasAccess(datasetId, msg.sender);
        emit AccessLogged(datasetId, msg.sender, allowed);
    }

    // ---------------------------------------------------------------- internal

    /// @dev The stored expiry of a grant (0: none); the dataset must exist.
    function _grantExpiresAt(uint256 datasetId, address account) internal view returns (uint256) {
        return _grants[_grantKey(datasetId, account)].expiresAt;
    }

    function _hasAccess(uint256 datasetId, address account) private view returns (bool) {
        (address owner, bool withdrawn) = _ownerAndStatus(datasetId);
        if (owner == address(0) || withdrawn) return false;
        if (account == owner) return true;
        // Exclusive: the expiry second itself is the first second without access.
        return block.timestamp < _grants[_grantKey(datasetId, account)].expiresAt;
    }

    /// @dev Owner of a registered, not withdrawn dataset.
    function _activeOwner(uint256 datasetId) private view returns (address owner) {
        bool withdrawn;
        (owner, withdrawn) = _ownerAndStatus(datasetId);
        if (owner == address(0)) revert DatasetUnknown(datasetId);
        if (withdrawn) revert DatasetIsWithdrawn(datasetId);
    }

    function _authorizeGrantor(address owner, uint256 datasetId) private view {
        if (msg.sender != owner && !_operators[owner][msg.sender]) {
            revert AccessGrantUnauthorized(datasetId, msg.sender);
        }
    }

    function _grant(uint256 datasetId, address grantee, uint64 duration, bytes32 keyRef)
        private
        returns (uint64 expiresAt)
    {
        if (grantee == address(0)) revert AccessGranteeZero(datasetId);
        // A storage pointer: the slot is hashed once for the read and the write.
        Grant storage grant = _grants[_grantKey(datasetId, grantee)];
        uint256 current = grant.expiresAt;
        // Checked uint64 sum: an expiry past 2^64 s would revert rather than wrap.
        expiresAt = uint64(current > block.timestamp ? current : block.timestamp) + duration;
        grant.expiresAt = expiresAt;
        emit AccessGranted(datasetId, grantee, expiresAt, keyRef);
    }

    /// @dev Dataset id in the high 96 bits, grantee in the low 160: distinct pairs give distinct keys for
    ///      every registered id (ids are consecutive from 1, far below 2^96; unknown ids never reach here
    ///      with a write, and reads for them return before using the key).
    function _grantKey(uint256 datasetId, address grantee) internal pure returns (uint256) {
        return (datasetId << 160) | uint256(uint160(grantee));
    }

    /// @dev 0 means the default; anything else must lie in [MIN_GRANT_DURATION, MAX_GRANT_DURATION].
    function _checkedDuration(uint64 duration) private pure returns (uint64) {
        if (duration == 0) return DEFAULT_GRANT_DURATION;
        if (duration < MIN_GRANT_DURATION || duration > MAX_GRANT_DURATION) {
            revert AccessDurationOutOfRange(duration, MIN_GRANT_DURATION, MAX_GRANT_DURATION);
        }
        return duration;
    }

    function _useGrantNonce(address owner, uint256 nonce) private {
        mapping(uint256 word => uint256 bits) storage used = _usedGrantNonces[owner];
        uint256 bit = 1 << (nonce & 0xff);
        uint256 bits = used[nonce >> 8];
        if (bits & bit != 0) revert AccessSignatureNonceUsed(owner, nonce);
        used[nonce >> 8] = bits | bit;
    }

    /// @dev 64 bytes x ‖ y whose Ethereum address (last 20 bytes of its keccak256) is the sender. That
    ///      also makes it a curve point: finding other bytes with the sender's address is a preimage attack.
    function _checkPublicKey(bytes calldata publicKey) internal view {
        if (publicKey.length != 64) revert AccessPublicKeyInvalid(publicKey);
        address keyAddress = address(uint160(uint256(keccak256(publicKey))));
        if (keyAddress != msg.sender) revert AccessPublicKeyNotSender(keyAddress, msg.sender);
    }
}
