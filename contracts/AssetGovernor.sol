// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IVotes} from "@openzeppelin/contracts/governance/utils/IVotes.sol";
import {GovernorUpgradeable} from "@openzeppelin/contracts-upgradeable/governance/GovernorUpgradeable.sol";
import {GovernorCountingSimpleUpgradeable} from
    "@openzeppelin/contracts-upgradeable/governance/extensions/GovernorCountingSimpleUpgradeable.sol";
import {GovernorSettingsUpgradeable} from
    "@openzeppelin/contracts-upgradeable/governance/extensions/GovernorSettingsUpgradeable.sol";
import {GovernorTimelockControlUpgradeable} from
    "@openzeppelin/contracts-upgradeable/governance/extensions/GovernorTimelockControlUpgradeable.sol";
import {GovernorVotesQuorumFractionUpgradeable} from
    "@openzeppelin/contracts-upgradeable/governance/extensions/GovernorVotesQuorumFractionUpgradeable.sol";
import {GovernorVotesUpgradeable} from
    "@openzeppelin/contracts-upgradeable/governance/extensions/GovernorVotesUpgradeable.sol";
import {TimelockControllerUpgradeable} from
    "@openzeppelin/contracts-upgradeable/governance/TimelockControllerUpgradeable.sol";

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {IAssetGovernor} from "./interfaces/IAssetGovernor.sol";
import {IIdentityRegistry} from "./interfaces/IIdentityRegistry.sol";
import {IShareToken} from "./interfaces/IShareToken.sol";
import {AssetTypes} from "./libraries/AssetTypes.sol";
import {GovernanceBounds} from "./libraries/GovernanceBounds.sol";

/// @title AssetGovernor
/// @notice One asset's governor. Votes are the share token's (timestamp clock), snapshotted at the
/// end of the voting delay after a proposal, so shares bought or borrowed later do not count.
/// Passed proposals run through the asset's timelock, which can act on the asset through the registry
/// (new operator, reserve, pause, decommissioning) and pay from the reserve it holds.
/// @dev Cloned per asset by the registry. Its settings stay within the platform's bounds for the life of
/// the asset (see {GovernanceBounds}), and its timelock is fixed.
contract AssetGovernor is
    IAssetGovernor,
    GovernorUpgradeable,
    GovernorSettingsUpgradeable,
    GovernorCountingSimpleUpgradeable,
    GovernorVotesUpgradeable,
    GovernorVotesQuorumFractionUpgradeable,
    GovernorTimelockControlUpgradeable
{
    /// @dev The identity registry voters must be verified in (the share token's), or 0.
    IIdentityRegistry private _identityRegistry;

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /// @inheritdoc IAssetGovernor
    function initialize(
        string calldata name_,
        address shareToken,
        address timelock,
        AssetTypes.GovernanceParams calldata params
    ) external initializer {
        __Governor_init(name_);
        __GovernorSettings_init(params.votingDelay, params.votingPeriod, params.proposalThreshold);
        __GovernorCountingSimple_init();
        __GovernorVotes_init(IVotes(shareToken));
        __GovernorVotesQuorumFraction_init(params.quorumPercent);
        __GovernorTimelockControl_init(TimelockControllerUpgradeable(payable(timelock)));
        _identityRegistry = IIdentityRegistry(IShareToken(shareToken).identityRegistry());
    }

    /// @notice Makes a proposal; refused while the asset's primary sale is open or failed, and on an
    /// asset that requires verified holders, from an account that is not verified now.
    function propose(
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        string memory description
    ) public override returns (uint256) {
        if (!IShareToken(address(token())).transfersActive()) revert GovernorAssetNotActive();
        _requireVerified(msg.sender);
        return super.propose(targets, values, calldatas, description);
    }

    /// @notice Refused: the asset's timelock is fixed for its life (a new one could have no delay).
    function updateTimelock(TimelockControllerUpgradeable) external pure override {
        revert GovernorTimelockFixed();
    }

    /// @notice Votes (for or abstain) a proposal needs: the quorum fraction of the supply at the
    /// timepoint, rounded up (20% of 9 shares is 2 shares, not 1).
    function quorum(uint256 timepoint)
        public
        view
        override(GovernorUpgradeable, GovernorVotesQuorumFractionUpgradeable)
        returns (uint256)
    {
        return Math.mulDiv(
            token().getPastTotalSupply(timepoint), quorumNumerator(timepoint), quorumDenominator(), Math.Rounding.Ceil
        );
    }

    /// @dev On an asset that requires verified holders, only an account verified now votes: an account
    /// whose verification lapsed votes again once verified again.
    function _castVote(uint256 proposalId, address account, uint8 support, string memory reason, bytes memory params)
        internal
        override
        returns (uint256)
    {
        _requireVerified(account);
        return super._castVote(proposalId, account, support, reason, params);
    }

    /// @dev The voting delay stays within the platform's bounds.
    function _setVotingDelay(uint48 newVotingDelay) internal override {
        _checkBounds(newVotingDelay, GovernanceBounds.MIN_VOTING_DELAY, GovernanceBounds.MAX_VOTING_DELAY);
        super._setVotingDelay(newVotingDelay);
    }

    /// @dev The voting period stays within the platform's bounds.
    function _setVotingPeriod(uint32 newVotingPeriod) internal override {
        _checkBounds(newVotingPeriod, GovernanceBounds.MIN_VOTING_PERIOD, GovernanceBounds.MAX_VOTING_PERIOD);
        super._setVotingPeriod(newVotingPeriod);
    }

    /// @dev Once set up, the threshold never exceeds the supply (fixed once the sale has succeeded, and
    /// proposals open only then). At initialization the registry has checked it against the sale.
    function _setProposalThreshold(uint256 newProposalThreshold) internal override {
        if (!_isInitializing()) _checkBounds(newProposalThreshold, 0, IERC20(address(token())).totalSupply());
        super._setProposalThreshold(newProposalThreshold);
    }

    /// @dev The quorum stays within the platform's bounds.
    function _updateQuorumNumerator(uint256 newQuorumNumerator) internal override {
        _checkBounds(newQuorumNumerator, GovernanceBounds.MIN_QUORUM_PERCENT, GovernanceBounds.MAX_QUORUM_PERCENT);
        super._updateQuorumNumerator(newQuorumNumerator);
    }

    function _requireVerified(address account) private view {
        IIdentityRegistry identities = _identityRegistry;
        if (address(identities) != address(0) && !identities.isVerified(account)) {
            revert GovernorAccountNotVerified(account);
        }
    }

    function _checkBounds(uint256 value, uint256 min, uint256 max) private pure {
        if (value < min || value > max) revert GovernorSettingOutOfBounds(value, min, max);
    }

    // The overrides below only settle which parent answers; none adds behaviour.

    /// @inheritdoc GovernorUpgradeable
    function state(uint256 proposalId)
        public
        view
        override(GovernorUpgradeable, GovernorTimelockControlUpgradeable)
        returns (ProposalState)
    {
        return super.state(proposalId);
    }

    /// @inheritdoc GovernorUpgradeable
    function proposalNeedsQueuing(uint256 proposalId)
        public
        view
        override(GovernorUpgradeable, GovernorTimelockControlUpgradeable)
        returns (bool)
    {
        return super.proposalNeedsQueuing(proposalId);
    }

    /// @inheritdoc GovernorUpgradeable
    function proposalThreshold()
        public
        view
        override(GovernorUpgradeable, GovernorSettingsUpgradeable)
        returns (uint256)
    {
        return super.proposalThreshold();
    }

    function _queueOperations(
        uint256 proposalId,
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        bytes32 descriptionHash
    ) internal override(GovernorUpgradeable, GovernorTimelockControlUpgradeable) returns (uint48) {
        return super._queueOperations(proposalId, targets, values, calldatas, descriptionHash);
    }

    function _executeOperations(
        uint256 proposalId,
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        bytes32 descriptionHash
    ) internal override(GovernorUpgradeable, GovernorTimelockControlUpgradeable) {
        super._executeOperations(proposalId, targets, values, calldatas, descriptionHash);
    }

    function _cancel(
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        bytes32 descriptionHash
    ) internal override(GovernorUpgradeable, GovernorTimelockControlUpgradeable) returns (uint256) {
        return super._cancel(targets, values, calldatas, descriptionHash);
    }

    function _executor()
        internal
        view
        override(GovernorUpgradeable, GovernorTimelockControlUpgradeable)
        returns (address)
    {
        return super._executor();
    }
}
