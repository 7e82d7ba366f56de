// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {TimelockControllerUpgradeable} from
    "@openzeppelin/contracts-upgradeable/governance/TimelockControllerUpgradeable.sol";

import {IAssetTimelock} from "./interfaces/IAssetTimelock.sol";
import {GovernanceBounds} from "./libraries/GovernanceBounds.sol";

/// @title AssetTimelock
/// @notice One asset's treasury and the executor of its governance decisions: what the asset's governor
/// passes waits here for the asset's delay before anyone may execute it. Holds the maintenance reserve.
/// See {IAssetTimelock}.
/// @dev Deployed once as an implementation and cloned per asset by the registry, which calls the
/// inherited `initialize(minDelay, proposers, executors, admin)` with the governor as sole proposer and
/// canceller, open execution, and no admin. The delay stays within the platform's bounds and the roles
/// stay as initialized for the life of the asset.
contract AssetTimelock is IAssetTimelock, TimelockControllerUpgradeable {
    /// @dev The delay once governance changed it (0 until then: the delay set at initialization holds).
    uint256 private _updatedDelay;

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /// @notice Changes the delay, within the platform's bounds. Called by the timelock itself (a passed
    /// proposal).
    function updateDelay(uint256 newDelay) external override {
        if (msg.sender != address(this)) revert TimelockUnauthorizedCaller(msg.sender);
        if (newDelay < GovernanceBounds.MIN_TIMELOCK_DELAY || newDelay > GovernanceBounds.MAX_TIMELOCK_DELAY) {
            revert TimelockDelayOutOfBounds(
                newDelay, GovernanceBounds.MIN_TIMELOCK_DELAY, GovernanceBounds.MAX_TIMELOCK_DELAY
            );
        }
        emit MinDelayChange(getMinDelay(), newDelay);
        _updatedDelay = newDelay;
    }

    /// @notice The delay a proposal waits here before it may run.
    function getMinDelay() public view override returns (uint256) {
        uint256 updated = _updatedDelay;
        return updated == 0 ? super.getMinDelay() : updated;
    }

    /// @dev Roles are granted at initialization only.
    function _grantRole(bytes32 role, address account) internal override returns (bool) {
        if (!_isInitializing()) revert TimelockRolesFixed(role, account);
        return super._grantRole(role, account);
    }

    /// @dev Roles are never revoked (nor renounced).
    function _revokeRole(bytes32 role, address account) internal pure override returns (bool) {
        revert TimelockRolesFixed(role, account);
    }
}
