// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title GovernanceBounds
/// @notice The floors and ceilings of every asset's governance settings. The registry checks them at
/// registration; the asset's governor and timelock check them again in their own setters, so they hold
/// for the life of the asset, whatever its holders vote.
/// @dev Floors give holders time to see a proposal, to vote and to exit before a decision runs.
/// Ceilings keep governance alive: a delay or period beyond them would freeze the asset's reserve
/// (and its operator and status) for years, and a quorum above half lets a few lost keys block every
/// decision.
library GovernanceBounds {
    /// @notice Shortest voting delay: time to see a proposal before its snapshot.
    uint48 internal constant MIN_VOTING_DELAY = 1 hours;
    /// @notice Longest voting delay.
    uint48 internal constant MAX_VOTING_DELAY = 30 days;
    /// @notice Shortest voting period.
    uint32 internal constant MIN_VOTING_PERIOD = 1 days;
    /// @notice Longest voting period.
    uint32 internal constant MAX_VOTING_PERIOD = 30 days;
    /// @notice Shortest timelock delay: time to exit before a decision runs.
    uint32 internal constant MIN_TIMELOCK_DELAY = 1 days;
    /// @notice Longest timelock delay.
    uint32 internal constant MAX_TIMELOCK_DELAY = 30 days;
    /// @notice Lowest quorum, in percent of the supply at the proposal's snapshot.
    uint8 internal constant MIN_QUORUM_PERCENT = 1;
    /// @notice Highest quorum, in percent of the supply at the proposal's snapshot.
    uint8 internal constant MAX_QUORUM_PERCENT = 50;
    /// @notice Longest funding window of a primary sale.
    uint64 internal constant MAX_SALE_DURATION = 365 days;
    /// @notice Furthest a funding window may open after its registration.
    uint64 internal constant MAX_SALE_START_DELAY = 365 days;
    /// @notice Largest full raise (shares × price), so that escrow and revenue sums never overflow.
    uint256 internal constant MAX_FULL_RAISE = type(uint128).max;
}
