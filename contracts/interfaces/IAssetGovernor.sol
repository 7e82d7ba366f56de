// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AssetTypes} from "../libraries/AssetTypes.sol";

/// @title IAssetGovernor
/// @notice One asset's governor: proposals and votes weighted by its shares, executed by its timelock.
/// @dev The rest of its interface is OpenZeppelin's IGovernor.
interface IAssetGovernor {
    /// @notice Proposals open only once the asset's primary sale has succeeded, so that early buyers
    /// cannot decide for an asset whose raise is still open.
    error GovernorAssetNotActive();
    /// @notice A governance setting outside the platform's bounds (see {GovernanceBounds}); for the
    /// proposal threshold, above the supply.
    error GovernorSettingOutOfBounds(uint256 value, uint256 min, uint256 max);
    /// @notice On an asset that requires verified holders, the proposer or voter is not verified now.
    error GovernorAccountNotVerified(address account);
    /// @notice The asset's timelock is fixed for its life.
    error GovernorTimelockFixed();

    /// @notice Sets up a fresh clone. Called once, by the registry.
    function initialize(
        string calldata name,
        address shareToken,
        address timelock,
        AssetTypes.GovernanceParams calldata params
    ) external;
}
