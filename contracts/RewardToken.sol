// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Burnable} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Burnable.sol";
import {ERC20Capped} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Capped.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {IRewardToken} from "../interfaces/IRewardToken.sol";

/// @title aitrail reward token
/// @notice ERC-20 with a hard cap and EIP-2612 permit. Only holders of MINTER_ROLE (the rewards
///         logic) can mint, so supply follows the published reward formula and nothing else.
///         Holders may burn (ERC20Burnable); the market burns the reward share of every access fee.
///         Pausing is done where the formula lives (Rewards.setMintingPaused), so the token itself
///         has no pause switch that could also freeze ordinary transfers.
contract RewardToken is IRewardToken, ERC20, ERC20Burnable, ERC20Capped, ERC20Permit, AccessControl {
    /// @inheritdoc IRewardToken
    bytes32 public constant MINTER_ROLE = keccak256("MINTER_ROLE");

    /// @param admin Holder of DEFAULT_ADMIN_ROLE, who grants MINTER_ROLE (to the Rewards contract).
    /// @param cap_ Maximum total supply, in the smallest unit (18 decimals).
    constructor(address admin, uint256 cap_)
        ERC20("aitrail Reward", "TRAIL")
        ERC20Capped(cap_)
        ERC20Permit("aitrail Reward")
    {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @inheritdoc IRewardToken
    function mint(address to, uint256 amount) external onlyRole(MINTER_ROLE) {
        _mint(to, amount);
    }

    /// @inheritdoc IRewardToken
    function burn(uint256 amount) public override(IRewardToken, ERC20Burnable) {
        super.burn(amount);
    }

    /// @inheritdoc IRewardToken
    function burnFrom(address account, uint256 amount) public override(IRewardToken, ERC20Burnable) {
        super.burnFrom(account, amount);
    }

    /// @inheritdoc IRewardToken
    function cap() public view override(IRewardToken, ERC20Capped) returns (uint256) {
        return super.cap();
    }

    // ERC20Capped enforces the cap in _update; both bases define it, so name the order explicitly.
    function _update(address from, address to, uint256 value) internal override(ERC20, ERC20Capped) {
        super._update(from, to, value);
    }
}
