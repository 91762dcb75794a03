// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title The part of the dataset registry that model lineage, rewards and the access market use
/// @notice A subset of DatasetRegistry's ABI, kept here so that ModelRegistry, Rewards and AccessMarket
///         depend on these five functions only, not on the whole registry.
interface IDatasetRegistryView {
    /// @notice Owner of `datasetId`; reverts `DatasetUnknown(datasetId)` for an id never registered.
    function datasetOwner(uint256 datasetId) external view returns (address);

    /// @notice Whether the owner withdrew `datasetId`; reverts for an unknown id.
    function isWithdrawn(uint256 datasetId) external view returns (bool);

    /// @notice True if `account` owns `datasetId` or holds an unrevoked, unexpired grant to it and the
    ///         dataset is not withdrawn; false for an unknown id.
    function hasAccess(uint256 datasetId, address account) external view returns (bool);

    /// @notice Number of datasets ever registered; ids run from 1 to this number.
    function datasetCount() external view returns (uint256);

    /// @notice Grant `grantee` access to `datasetId` for `duration` seconds, recording `keyRef`.
    /// @dev Callable by the dataset owner or an operator the owner approved with `setOperator`.
    /// @return expiresAt When the grant stops answering `hasAccess`.
    function grantAccess(uint256 datasetId, address grantee, uint64 duration, bytes32 keyRef)
        external
        returns (uint64 expiresAt);
}
