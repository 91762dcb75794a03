// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IAccessGrants} from "../../interfaces/IAccessGrants.sol";

/// @title TEST ONLY: many self-reported access attempts in one transaction, for the event-index bench
/// @notice Each `logAccess` emits one AccessLogged from the registry (the attempt of this contract, denied);
///         the bench needs 100,000 of them, which one transaction per attempt would take minutes to send.
contract TestAccessLogBurst {
    function burst(IAccessGrants registry, uint256 datasetId, uint256 count) external {
        for (uint256 i = 0; i < count; ++i) {
            registry.logAccess(datasetId);
        }
    }
}
