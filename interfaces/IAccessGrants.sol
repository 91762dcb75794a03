// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title Time-limited access grants to registered datasets
/// @notice A researcher asks for access (`requestAccess`), the dataset owner or one of the owner's
///         operators grants it for a bounded duration (`grantAccess`, `grantAccessBatch`, or
///         `grantAccessWithSig` submitted by the researcher), and access ends by itself at the expiry:
///         no transaction is needed. `logAccess` records every attempt, allowed or denied, on-chain.
/// @dev Expiry semantics: a grant with expiry `e` gives access for every block with `timestamp < e`.
///      At `timestamp == e` the grant has expired. Granting again extends from `max(now, e)`.
///      Revocation deletes the grant slot, so it is immediate and a later grant starts from `now`.
///      Pending requests are not stored: an owner lists them from `AccessRequested` events, minus the
///      (dataset, researcher) pairs with a later `AccessGranted`.
interface IAccessGrants {
    // ---------------------------------------------------------------- events

    /// @notice A researcher asked for access. `publicKey` is the researcher's uncompressed secp256k1
    ///         public key without the 0x04 prefix (x ‖ y, 64 bytes), checked to be the sender's own key
    ///         (its Ethereum address is the sender), so the owner can wrap the dataset key for them (ECIES)
    ///         and nobody can have a key wrapped for a party that never appears on the trail. `purpose` is
    ///         a hash or CID digest of a purpose statement; `duration` is in seconds (0 = 30 days).
    event AccessRequested(
        uint256 indexed datasetId,
        address indexed researcher,
        bytes32 purpose,
        uint64 duration,
        bytes publicKey
    );

    /// @notice `grantee` may access `datasetId` until `expiresAt` (exclusive). `keyRef` points to the
    ///         dataset key wrapped for this grantee (e.g. the sha2-256 digest of its CID), or is zero.
    event AccessGranted(uint256 indexed datasetId, address indexed grantee, uint64 expiresAt, bytes32 keyRef);

    /// @notice The dataset key wrapped for `grantee` is at `keyRef` (as in `AccessGranted`), delivered after
    ///         the grant, e.g. to a buyer whose market grant carried no key. Supersedes earlier key refs of
    ///         this grantee; the grant's expiry is unchanged.
    event AccessKeyDelivered(uint256 indexed datasetId, address indexed grantee, bytes32 keyRef);

    /// @notice The grant of `grantee` on `datasetId` was deleted; access stopped in this block.
    event AccessRevoked(uint256 indexed datasetId, address indexed grantee);

    /// @notice `account` attempted to access `datasetId`; `allowed` is the answer of `hasAccess` then.
    event AccessLogged(uint256 indexed datasetId, address indexed account, bool indexed allowed);

    /// @notice `owner` cancelled the signed grant with `nonce` before it was submitted (see
    ///         `grantAccessWithSig`); a submission of it now reverts `AccessSignatureNonceUsed`.
    event AccessGrantSignatureCancelled(address indexed owner, uint256 nonce);

    /// @notice `owner` approved (or removed) `operator` to grant and revoke on all of the owner's datasets.
    event OperatorSet(address indexed owner, address indexed operator, bool approved);

    // ---------------------------------------------------------------- errors

    /// @notice `caller` is neither the owner of `datasetId` nor an operator the owner approved.
    error AccessGrantUnauthorized(uint256 datasetId, address caller);
    /// @notice A grant duration outside [`min`, `max`] seconds (0 means the default and is accepted).
    error AccessDurationOutOfRange(uint64 duration, uint64 min, uint64 max);
    /// @notice Grants to the zero address are refused (they could never be used or revoked meaningfully).
    error AccessGranteeZero(uint256 datasetId);
    /// @notice `revokeAccess` or `deliverKey` on a (dataset, grantee) pair that holds no grant slot
    ///         (never granted, or revoked).
    error AccessGrantUnknown(uint256 datasetId, address grantee);
    /// @notice `deliverKey` for a grantee whose grant on `datasetId` expired at `expiresAt` (<= `timestamp`).
    error AccessGrantExpired(uint256 datasetId, address grantee, uint64 expiresAt, uint256 timestamp);
    /// @notice A batch with `size` entries, outside [1, `max`].
    error AccessBatchSizeInvalid(uint256 size, uint256 max);
    /// @notice `grantees` and `keyRefs` of a batch differ in length.
    error AccessBatchLengthMismatch(uint256 grantees, uint256 keyRefs);
    /// @notice The researcher's public key is not 64 bytes (x ‖ y).
    error AccessPublicKeyInvalid(bytes publicKey);
    /// @notice The public key's Ethereum address `keyAddress` is not the sender's (accounts request with
    ///         their own key; a contract account has none and cannot request).
    error AccessPublicKeyNotSender(address keyAddress, address sender);
    /// @notice The signed-grant `nonce` of `owner` was already used or cancelled.
    error AccessSignatureNonceUsed(address owner, uint256 nonce);
    /// @notice A signed grant submitted after its deadline.
    error AccessSignatureExpired(uint256 deadline, uint256 timestamp);
    /// @notice The signature is not `signer`'s over this grant (wrong signer, other chain or contract,
    ///         or altered fields). Replays of a used signature fail earlier with `AccessSignatureNonceUsed`.
    error AccessSignatureInvalid(address signer);

    // ---------------------------------------------------------------- constants

    /// @notice Duration used when a grant or request says 0: 30 days.
    function DEFAULT_GRANT_DURATION() external view returns (uint64);
    /// @notice Shortest grant: 1 hour (shorter grants are noise in the trail and cannot be fetched in time).
    function MIN_GRANT_DURATION() external view returns (uint64);
    /// @notice Longest single grant or extension: 365 days; longer access needs a deliberate renewal.
    function MAX_GRANT_DURATION() external view returns (uint64);
    /// @notice Most grantees in one `grantAccessBatch` (keeps a batch far below the block gas limit).
    function MAX_BATCH() external view returns (uint256);

    // ---------------------------------------------------------------- requests

    /// @notice Ask the owner of `datasetId` for access. Stores nothing; emits `AccessRequested`.
    /// @dev Reverts `DatasetUnknown`, `DatasetIsWithdrawn`, `AccessDurationOutOfRange`,
    ///      `AccessPublicKeyInvalid`, `AccessPublicKeyNotSender`.
    function requestAccess(uint256 datasetId, bytes32 purpose, uint64 duration, bytes calldata publicKey)
        external;

    // ---------------------------------------------------------------- grants

    /// @notice Grant `grantee` access to `datasetId` for `duration` seconds (0 = 30 days), counted from
    ///         the later of now and the grantee's current expiry. Callable by the owner or an operator.
    ///         `keyRef` is a key delivery by the caller: an operator contract that grants for someone else
    ///         (the access market) must pass zero and leave delivery to the owner (`deliverKey`), since the
    ///         registry cannot tell whose choice a key ref was. The audit counts a key ref as delivered only
    ///         when the grant transaction was sent to this registry itself (owner, operator, signed grant).
    /// @return expiresAt first timestamp at which the grant no longer gives access
    /// @dev Reverts `DatasetUnknown`, `DatasetIsWithdrawn`, `AccessGrantUnauthorized`,
    ///      `AccessGranteeZero`, `AccessDurationOutOfRange`.
    function grantAccess(uint256 datasetId, address grantee, uint64 duration, bytes32 keyRef)
        external
        returns (uint64 expiresAt);

    /// @notice `grantAccess` for up to MAX_BATCH grantees with one duration; `keyRefs[i]` belongs to
    ///         `grantees[i]`. All or nothing.
    /// @dev Also reverts `AccessBatchSizeInvalid`, `AccessBatchLengthMismatch`.
    function grantAccessBatch(
        uint256 datasetId,
        address[] calldata grantees,
        uint64 duration,
        bytes32[] calldata keyRefs
    ) external returns (uint64[] memory expiresAt);

    /// @notice Grant with the dataset owner's EIP-712 signature, so the grantee submits and pays.
    ///         Typed data: `AccessGrant(uint256 datasetId,address grantee,uint64 duration,bytes32 keyRef,
    ///         uint256 nonce,uint256 deadline)` in this contract's domain (name "aitrail DatasetRegistry",
    ///         version "1", chain id, this address). `nonce` is unordered: any value the owner has
    ///         not used or cancelled (`grantNonceUsed`), independent of the sequential `nonces(owner)` of
    ///         signed registrations, so any number of signed grants can be outstanding at once and each
    ///         can be cancelled alone (`cancelGrantSignature`). Contract owners sign per ERC-1271.
    /// @dev Reverts `AccessSignatureExpired`, `AccessSignatureNonceUsed`, `AccessSignatureInvalid`, and the
    ///      errors of `grantAccess` except `AccessGrantUnauthorized`.
    function grantAccessWithSig(
        uint256 datasetId,
        address grantee,
        uint64 duration,
        bytes32 keyRef,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external returns (uint64 expiresAt);

    /// @notice Deliver the dataset key to `grantee` after the grant: emits `AccessKeyDelivered` with
    ///         `keyRef` (stored in the event only) and leaves the expiry unchanged. Owner or operator; the
    ///         grantee must hold a live grant (for example one bought through the market, which cannot
    ///         carry a key).
    /// @dev Reverts `DatasetUnknown`, `DatasetIsWithdrawn`, `AccessGrantUnauthorized`,
    ///      `AccessGrantUnknown` (no grant, or revoked), `AccessGrantExpired`.
    function deliverKey(uint256 datasetId, address grantee, bytes32 keyRef) external;

    /// @notice Delete `grantee`'s grant on `datasetId` now. Owner or operator; allowed on withdrawn datasets.
    /// @dev Reverts `DatasetUnknown`, `AccessGrantUnauthorized`, `AccessGrantUnknown`.
    function revokeAccess(uint256 datasetId, address grantee) external;

    /// @notice Cancel the caller's signed grant with `nonce` before anyone submits it.
    /// @dev Reverts `AccessSignatureNonceUsed` (already submitted or cancelled).
    function cancelGrantSignature(uint256 nonce) external;

    /// @notice Approve or remove `operator` for every dataset the caller owns, now and later.
    function setOperator(address operator, bool approved) external;

    // ---------------------------------------------------------------- reads and the log

    /// @notice Whether `owner`'s signed-grant `nonce` is used up (submitted or cancelled).
    function grantNonceUsed(address owner, uint256 nonce) external view returns (bool);

    /// @notice True iff `operator` may grant and revoke for `owner`.
    function isOperator(address owner, address operator) external view returns (bool);

    /// @notice True iff the dataset exists, is not withdrawn, and `account` is its owner or holds a grant
    ///         with `block.timestamp < expiresAt`. Never reverts (false for unknown ids). The owner of a
    ///         withdrawn dataset has no access either: withdrawal stops every fetch through aitrail.
    function hasAccess(uint256 datasetId, address account) external view returns (bool);

    /// @notice Stored expiry of `grantee` on `datasetId` (0: never granted, revoked, or unknown dataset).
    ///         May lie in the past.
    function grantExpiry(uint256 datasetId, address grantee) external view returns (uint64);

    /// @notice Record an access attempt by the caller; emits `AccessLogged` with the outcome.
    ///         Never reverts (an unknown dataset is logged as denied).
    /// @return allowed the value of `hasAccess(datasetId, msg.sender)`
    function logAccess(uint256 datasetId) external returns (bool allowed);
}
