// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title Access gateways: servers that deliver a dataset without handing out its key, and record every
///        attempt on-chain themselves
/// @notice A gateway publishes its public key (`publishGatewayKey`); the dataset owner wraps the data key
///         for it and authorises it for one dataset (`setGateway`, the key ref in the event). At every
///         data request the gateway calls `recordGatewayAccess`, which decides with `hasAccess` at that
///         block and emits the outcome naming the researcher, so a reader of the trail does not take the
///         gateway's word for allowed or denied. What a reader must still trust: that the gateway records
///         every request it receives and serves only the allowed ones (the contract cannot see delivery).
interface IAccessGateways {
    /// @notice `gateway` published its uncompressed secp256k1 public key (x ‖ y, checked to be its own).
    event GatewayKeyPublished(address indexed gateway, bytes publicKey);

    /// @notice The owner of `datasetId` authorised `gateway` (non-zero `keyRef`: the data key wrapped for
    ///         the gateway's published key, as a CIDv1 raw digest) or removed it (`keyRef` zero).
    event GatewaySet(uint256 indexed datasetId, address indexed gateway, bytes32 keyRef);

    /// @notice `gateway` received a data request from `researcher` (authenticated by the gateway) and the
    ///         registry answered `allowed`; `reason` is one of the REASON_* codes.
    event GatewayAccessRecorded(
        uint256 indexed datasetId, address indexed gateway, address indexed researcher, bool allowed, uint8 reason
    );

    /// @notice `caller` is not an authorised gateway of `datasetId` (or the dataset does not exist).
    error GatewayUnauthorized(uint256 datasetId, address caller);
    /// @notice A gateway cannot be the zero address.
    error GatewayZero(uint256 datasetId);

    /// @notice Reason code of an allowed attempt.
    function REASON_ALLOWED() external view returns (uint8);
    /// @notice Denied: no grant slot (never granted, or revoked; `AccessRevoked` events tell them apart).
    function REASON_NO_GRANT() external view returns (uint8);
    /// @notice Denied: the grant's expiry is at or before the block's timestamp.
    function REASON_EXPIRED() external view returns (uint8);
    /// @notice Denied: the dataset is withdrawn (even for its owner).
    function REASON_WITHDRAWN() external view returns (uint8);

    /// @notice Publish the caller's public key so owners can wrap data keys for it.
    /// @dev Reverts `AccessPublicKeyInvalid`, `AccessPublicKeyNotSender`.
    function publishGatewayKey(bytes calldata publicKey) external;

    /// @notice Authorise (`keyRef` non-zero) or remove (`keyRef` zero) `gateway` for `datasetId`. Owner only.
    /// @dev Reverts `DatasetUnknown`, `DatasetNotOwner`, `GatewayZero`. Allowed on withdrawn datasets (a
    ///      gateway of a withdrawn dataset records denials only).
    function setGateway(uint256 datasetId, address gateway, bytes32 keyRef) external;

    /// @notice Whether `gateway` may record attempts on `datasetId` (false for unknown ids).
    function isGateway(uint256 datasetId, address gateway) external view returns (bool);

    /// @notice Record an attempt of `researcher` on `datasetId`, decided now by the registry. Only an
    ///         authorised gateway of the dataset.
    /// @dev Reverts `GatewayUnauthorized`.
    function recordGatewayAccess(uint256 datasetId, address researcher) external returns (bool allowed, uint8 reason);
}
