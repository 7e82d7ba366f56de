// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IAssetTimelock
/// @notice One asset's treasury and the executor of its governance decisions (OpenZeppelin's
/// TimelockController, cloned per asset), with the platform's bounds kept for the asset's life.
/// @dev The rest of its interface is OpenZeppelin's TimelockController.
interface IAssetTimelock {
    /// @notice A delay outside the platform's bounds (see {GovernanceBounds}).
    error TimelockDelayOutOfBounds(uint256 delay, uint256 min, uint256 max);
    /// @notice Roles are set once, at initialization: the asset's governor alone proposes and cancels,
    /// anyone executes. Granting or revoking a role later (even by a passed proposal) is refused, so
    /// no account can schedule without a vote and the governor can never be locked out.
    error TimelockRolesFixed(bytes32 role, address account);
}
