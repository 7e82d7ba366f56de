// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {TimelockControllerUpgradeable} from
    "@openzeppelin/contracts-upgradeable/governance/TimelockControllerUpgradeable.sol";

/// @title AssetTimelock
/// @notice One asset's treasury and the executor of its governance decisions: what the asset's governor
/// passes waits here for the asset's delay before anyone may execute it. Holds the maintenance reserve.
/// @dev Deployed once as an implementation and cloned per asset by the registry, which calls the
/// inherited `initialize(minDelay, proposers, executors, admin)` with the governor as sole proposer and
/// canceller, open execution, and no admin.
contract AssetTimelock is TimelockControllerUpgradeable {
    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }
}
