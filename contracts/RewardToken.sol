// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Capped} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Capped.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/// @title aitrail reward token
/// @notice ERC-20 with a hard cap and EIP-2612 permit. Only holders of MINTER_ROLE (the rewards
///         logic) can mint, so supply follows the published reward formula and nothing else.
contract RewardToken is ERC20, ERC20Capped, ERC20Permit, AccessControl {
    bytes32 public constant MINTER_ROLE = keccak256("MINTER_ROLE");

    constructor(address admin, uint256 cap_)
        ERC20("aitrail Reward", "TRAIL")
        ERC20Capped(cap_)
        ERC20Permit("aitrail Reward")
    {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @notice Mint `amount` to `to`. Reverts with AccessControlUnauthorizedAccount for non-minters
    ///         and ERC20ExceededCap past the cap.
    function mint(address to, uint256 amount) external onlyRole(MINTER_ROLE) {
        _mint(to, amount);
    }

    // ERC20Capped enforces the cap in _update; both bases define it, so name the order explicitly.
    function _update(address from, address to, uint256 value) internal override(ERC20, ERC20Capped) {
        super._update(from, to, value);
    }
}
