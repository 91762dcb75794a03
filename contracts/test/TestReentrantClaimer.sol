// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IRewards} from "../../interfaces/IRewards.sol";
import {IMintReceiverForTest} from "./TestReentrantMintToken.sol";

/// @title TEST ONLY: a dataset owner that tries to claim its rewards twice by reentering claim()
/// @notice Acts as itself through `execute` (to register a dataset), then claims; when the hostile
///         token calls `onMint`, it calls claim() again and records what happened.
contract TestReentrantClaimer is IMintReceiverForTest {
    IRewards public immutable rewards;
    bool public reentered;
    bool public reentrySucceeded;
    bytes public reentryRevertData;

    constructor(IRewards rewards_) {
        rewards = rewards_;
    }

    /// @notice Make any call as this contract (test only: no access control).
    function execute(address target, bytes calldata data) external returns (bytes memory) {
        // Test helper: forwards arbitrary calls and bubbles their revert data unchanged.
        // solhint-disable-next-line avoid-low-level-calls
        (bool ok, bytes memory result) = target.call(data);
        if (!ok) {
            // solhint-disable-next-line no-inline-assembly
            assembly ("memory-safe") {
                revert(add(result, 32), mload(result))
            }
        }
        return result;
    }

    /// @notice Claim this contract's rewards.
    function claim() external returns (uint256) {
        return rewards.claim();
    }

    /// @inheritdoc IMintReceiverForTest
    function onMint(uint256) external {
        if (reentered) return;
        reentered = true;
        try rewards.claim() returns (uint256) {
            reentrySucceeded = true;
        } catch (bytes memory reason) {
            reentryRevertData = reason;
        }
    }
}
