// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {AccessGateways} from "./datasets/AccessGateways.sol";
import {DatasetCatalog} from "./datasets/DatasetCatalog.sol";

/// @title aitrail dataset registry with time-limited access grants
/// @notice One deployed contract for datasets and their grants (see `IDatasetRegistry`): granting and
///         `hasAccess` read the dataset slot without an external call. The logic lives in
///         `DatasetCatalog` (datasets), `AccessGrants` (grants) and `AccessGateways` (gateways); this
///         contract only names the EIP-712 domain that binds signatures to this chain and this address.
contract DatasetRegistry is AccessGateways {
    /// @param registrationDelay seconds between `commitRegistration` and `register` (see `IDatasetRegistry`)
    constructor(uint64 registrationDelay)
        EIP712("aitrail DatasetRegistry", "1")
        DatasetCatalog(registrationDelay)
    {}
}
