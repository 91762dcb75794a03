// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IAccessGateways} from "../../interfaces/IAccessGateways.sol";
import {AccessGrants} from "./AccessGrants.sol";

/// @title Gateway part of the registry: per-dataset gateway authorisation and gateway-recorded attempts
/// @notice Abstract: deployed as part of `DatasetRegistry`. A gateway authorised here may only record
///         attempts on that one dataset; it cannot grant, revoke or deliver keys (it is no operator).
abstract contract AccessGateways is AccessGrants, IAccessGateways {
    /// @inheritdoc IAccessGateways
    uint8 public constant REASON_ALLOWED = 0;
    /// @inheritdoc IAccessGateways
    uint8 public constant REASON_NO_GRANT = 1;
    /// @inheritdoc IAccessGateways
    uint8 public constant REASON_EXPIRED = 2;
    /// @inheritdoc IAccessGateways
    uint8 public constant REASON_WITHDRAWN = 3;

    /// @dev Keyed like grants, by `_grantKey(datasetId, gateway)`: one hash per recorded attempt.
    mapping(uint256 gatewayKey => bool authorised) private _gateways;

    /// @inheritdoc IAccessGateways
    function publishGatewayKey(bytes calldata publicKey) external {
        _checkPublicKey(publicKey);
        emit GatewayKeyPublished(msg.sender, publicKey);
    }

    /// @inheritdoc IAccessGateways
    function setGateway(uint256 datasetId, address gateway, bytes32 keyRef) external {
        // Owner only, not operators: handing the data key to a server is the owner's own decision.
        address owner = _existing(datasetId).owner;
        if (msg.sender != owner) revert DatasetNotOwner(datasetId, msg.sender);
        if (gateway == address(0)) revert GatewayZero(datasetId);
        _gateways[_grantKey(datasetId, gateway)] = keyRef != bytes32(0);
        emit GatewaySet(datasetId, gateway, keyRef);
    }

    /// @inheritdoc IAccessGateways
    function isGateway(uint256 datasetId, address gateway) external view returns (bool) {
        if (_datasets[datasetId].owner == address(0)) return false;
        return _gateways[_grantKey(datasetId, gateway)];
    }

    /// @inheritdoc IAccessGateways
    function recordGatewayAccess(uint256 datasetId, address researcher)
        external
        returns (bool allowed, uint8 reason)
    {
        // An unknown id has no owner, so no gateway was ever authorised for it (the key is never formed).
        if (_datasets[datasetId].owner == address(0) || !_gateways[_grantKey(datasetId, msg.sender)]) {
            revert GatewayUnauthorized(datasetId, msg.sender);
        }
        reason = _denialReason(datasetId, researcher);
        allowed = reason == REASON_ALLOWED;
        emit GatewayAccessRecorded(datasetId, msg.sender, researcher, allowed, reason);
    }

    /// @dev The same decision as `_hasAccess`, with the cause of a denial (the dataset exists here).
    function _denialReason(uint256 datasetId, address account) private view returns (uint8) {
        (address owner, bool withdrawn) = _ownerAndStatus(datasetId);
        if (withdrawn) return REASON_WITHDRAWN;
        if (account == owner) return REASON_ALLOWED;
        uint256 expiresAt = _grantExpiresAt(datasetId, account);
        if (expiresAt == 0) return REASON_NO_GRANT;
        // Exclusive, as `_hasAccess`: the expiry second itself is the first second without access.
        return block.timestamp < expiresAt ? REASON_ALLOWED : REASON_EXPIRED;
    }
}
