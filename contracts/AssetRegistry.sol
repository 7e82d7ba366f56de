// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControlDefaultAdminRules} from
    "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";

import {IAssetGovernor} from "./interfaces/IAssetGovernor.sol";
import {IAssetRegistry} from "./interfaces/IAssetRegistry.sol";
import {IPrimarySale} from "./interfaces/IPrimarySale.sol";
import {IShareToken} from "./interfaces/IShareToken.sol";
import {AssetTypes} from "./libraries/AssetTypes.sol";
import {GovernanceBounds} from "./libraries/GovernanceBounds.sol";
import {AssetTimelock} from "./AssetTimelock.sol";

/// @title AssetRegistry
/// @notice The platform's hub and asset factory. See {IAssetRegistry}.
/// @dev Roles: the default admin (two-step transfer behind a delay), OPERATOR_ROLE (registers assets),
/// METER_ADMIN_ROLE (registers meters in the production oracle), PAUSER_ROLE (pauses assets or the
/// platform). Each asset's own decisions (new operator, reserve, decommissioning) come from its timelock.
contract AssetRegistry is IAssetRegistry, AccessControlDefaultAdminRules {
    /// @notice May register assets.
    bytes32 public constant OPERATOR_ROLE = keccak256("OPERATOR_ROLE");
    /// @notice May register and revoke production meters.
    bytes32 public constant METER_ADMIN_ROLE = keccak256("METER_ADMIN_ROLE");
    /// @notice May pause and unpause assets and the platform.
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");

    /// @notice Highest platform fee, in basis points (10%).
    uint16 public constant MAX_FEE_BPS = 1_000;
    /// @notice Highest maintenance reserve, in basis points (50%).
    uint16 public constant MAX_RESERVE_BPS = 5_000;

    /// @notice How long a fee rise waits between its announcement and its effect.
    uint64 public constant FEE_CHANGE_DELAY = 7 days;

    /// @notice Shortest voting delay an asset may set: time to see a proposal before its snapshot.
    uint48 public constant MIN_VOTING_DELAY = GovernanceBounds.MIN_VOTING_DELAY;
    /// @notice Longest voting delay an asset may set.
    uint48 public constant MAX_VOTING_DELAY = GovernanceBounds.MAX_VOTING_DELAY;
    /// @notice Shortest voting period an asset may set.
    uint32 public constant MIN_VOTING_PERIOD = GovernanceBounds.MIN_VOTING_PERIOD;
    /// @notice Longest voting period an asset may set.
    uint32 public constant MAX_VOTING_PERIOD = GovernanceBounds.MAX_VOTING_PERIOD;
    /// @notice Shortest timelock delay an asset may set: time to exit before a decision runs.
    uint32 public constant MIN_TIMELOCK_DELAY = GovernanceBounds.MIN_TIMELOCK_DELAY;
    /// @notice Longest timelock delay an asset may set.
    uint32 public constant MAX_TIMELOCK_DELAY = GovernanceBounds.MAX_TIMELOCK_DELAY;
    /// @notice Longest funding window of a primary sale.
    uint64 public constant MAX_SALE_DURATION = GovernanceBounds.MAX_SALE_DURATION;
    /// @notice Furthest a funding window may open after its registration.
    uint64 public constant MAX_SALE_START_DELAY = GovernanceBounds.MAX_SALE_START_DELAY;
    /// @notice Highest quorum an asset may set, in percent.
    uint8 public constant MAX_QUORUM_PERCENT = GovernanceBounds.MAX_QUORUM_PERCENT;

    /// @notice Implementation cloned for each asset's share token.
    address public immutable shareTokenImplementation;
    /// @notice Implementation cloned for each asset's governor.
    address public immutable governorImplementation;
    /// @notice Implementation cloned for each asset's timelock.
    address public immutable timelockImplementation;

    address private immutable _identityRegistry;
    address private _primarySale;
    address private _productionOracle;
    address private _shareMarket;

    uint16 private _revenueFeeBps;
    uint16 private _marketFeeBps;
    address private _feeRecipient;
    bool private _platformPaused;
    PendingFees private _pendingFees;

    mapping(address token => bool) private _paymentTokenAllowed;
    uint256 private _assetCount;
    mapping(uint256 assetId => Asset) private _assets;
    mapping(address shareToken => uint256 assetId) private _assetIdOf;

    /// @param admin The platform admin.
    /// @param adminTransferDelay Seconds a new admin waits before accepting the role.
    /// @param identityRegistry_ The identity registry assets may require.
    /// @param implementations Share token, governor and timelock implementations to clone.
    constructor(
        address admin,
        uint48 adminTransferDelay,
        address identityRegistry_,
        AssetTypes.AssetContracts memory implementations
    ) AccessControlDefaultAdminRules(adminTransferDelay, admin) {
        if (
            identityRegistry_ == address(0) || implementations.shareToken == address(0)
                || implementations.governor == address(0) || implementations.timelock == address(0)
        ) revert RegistryZeroAddress();
        _identityRegistry = identityRegistry_;
        shareTokenImplementation = implementations.shareToken;
        governorImplementation = implementations.governor;
        timelockImplementation = implementations.timelock;
        _feeRecipient = admin;
    }

    /// @inheritdoc IAssetRegistry
    function connectModules(address primarySale_, address productionOracle_, address shareMarket_)
        external
        onlyRole(DEFAULT_ADMIN_ROLE)
    {
        if (_primarySale != address(0)) revert RegistryModulesAlreadyConnected();
        if (primarySale_ == address(0) || productionOracle_ == address(0) || shareMarket_ == address(0)) {
            revert RegistryZeroAddress();
        }
        _primarySale = primarySale_;
        _productionOracle = productionOracle_;
        _shareMarket = shareMarket_;
        emit ModulesConnected(primarySale_, productionOracle_, shareMarket_);
    }

    /// @inheritdoc IAssetRegistry
    function registerAsset(AssetTypes.AssetParams calldata params)
        external
        onlyRole(OPERATOR_ROLE)
        returns (uint256 assetId)
    {
        if (_primarySale == address(0)) revert RegistryModulesNotConnected();
        _checkParams(params);

        assetId = ++_assetCount;
        AssetTypes.AssetContracts memory deployed = AssetTypes.AssetContracts({
            shareToken: Clones.clone(shareTokenImplementation),
            governor: Clones.clone(governorImplementation),
            timelock: Clones.clone(timelockImplementation)
        });

        Asset storage record = _assets[assetId];
        record.operator = msg.sender;
        record.status = AssetTypes.Status.Funding;
        record.reserveBps = params.reserveBps;
        record.contracts = deployed;
        _assetIdOf[deployed.shareToken] = assetId;

        _initializeClones(assetId, deployed, params);
        emit AssetRegistered(assetId, msg.sender, deployed, params);
        IPrimarySale(_primarySale).configure(assetId, deployed.shareToken, params.sale);
    }

    /// @inheritdoc IAssetRegistry
    function recordSaleOutcome(uint256 assetId, bool succeeded) external {
        if (msg.sender != _primarySale) revert RegistryNotPrimarySale(msg.sender);
        AssetTypes.Status status = succeeded ? AssetTypes.Status.Active : AssetTypes.Status.Failed;
        _assets[assetId].status = status;
        emit AssetStatusChanged(assetId, status);
    }

    /// @inheritdoc IAssetRegistry
    function setOperator(uint256 assetId, address newOperator) external {
        Asset storage record = _timelockOnly(assetId);
        if (newOperator == address(0)) revert RegistryZeroAddress();
        address previous = record.operator;
        record.operator = newOperator;
        emit AssetOperatorChanged(assetId, previous, newOperator);
    }

    /// @inheritdoc IAssetRegistry
    function setReserveBps(uint256 assetId, uint16 reserveBps) external {
        Asset storage record = _timelockOnly(assetId);
        if (reserveBps > MAX_RESERVE_BPS) revert RegistryBpsTooHigh(reserveBps, MAX_RESERVE_BPS);
        record.reserveBps = reserveBps;
        emit AssetReserveChanged(assetId, reserveBps);
    }

    /// @inheritdoc IAssetRegistry
    function decommission(uint256 assetId) external {
        Asset storage record = _timelockOnly(assetId);
        if (record.status != AssetTypes.Status.Active) revert RegistryInvalidStatus(assetId, record.status);
        record.status = AssetTypes.Status.Decommissioned;
        emit AssetStatusChanged(assetId, AssetTypes.Status.Decommissioned);
    }

    /// @inheritdoc IAssetRegistry
    function setAssetPaused(uint256 assetId, bool paused) external {
        Asset storage record = _existing(assetId);
        if (hasRole(PAUSER_ROLE, msg.sender)) {
            record.paused = paused;
        } else if (msg.sender == record.contracts.timelock) {
            record.governancePaused = paused;
        } else {
            revert RegistryNotPauser(msg.sender, assetId);
        }
        emit AssetPauseSet(assetId, record.paused, record.governancePaused, msg.sender);
    }

    /// @inheritdoc IAssetRegistry
    function setPlatformPaused(bool paused) external onlyRole(PAUSER_ROLE) {
        _platformPaused = paused;
        emit PlatformPauseSet(paused, msg.sender);
    }

    /// @inheritdoc IAssetRegistry
    function setMetadataURI(uint256 assetId, string calldata metadataURI) external {
        Asset storage record = _existing(assetId);
        if (msg.sender != record.operator) revert RegistryNotAssetOperator(msg.sender, assetId);
        emit AssetMetadataChanged(assetId, metadataURI);
    }

    /// @inheritdoc IAssetRegistry
    function setPlatformFees(uint16 revenueFeeBps_, uint16 marketFeeBps_, address recipient)
        external
        onlyRole(DEFAULT_ADMIN_ROLE)
    {
        if (revenueFeeBps_ > MAX_FEE_BPS) revert RegistryBpsTooHigh(revenueFeeBps_, MAX_FEE_BPS);
        if (marketFeeBps_ > MAX_FEE_BPS) revert RegistryBpsTooHigh(marketFeeBps_, MAX_FEE_BPS);
        if (recipient == address(0)) revert RegistryZeroAddress();
        delete _pendingFees;
        _feeRecipient = recipient;
        bool rises = revenueFeeBps_ > _revenueFeeBps || marketFeeBps_ > _marketFeeBps;
        if (!rises || _assetCount == 0) {
            _revenueFeeBps = revenueFeeBps_;
            _marketFeeBps = marketFeeBps_;
            emit PlatformFeesChanged(revenueFeeBps_, marketFeeBps_, recipient);
            return;
        }
        emit PlatformFeesChanged(_revenueFeeBps, _marketFeeBps, recipient);
        uint64 effectiveAt = uint64(block.timestamp) + FEE_CHANGE_DELAY;
        _pendingFees = PendingFees({revenueFeeBps: revenueFeeBps_, marketFeeBps: marketFeeBps_, effectiveAt: effectiveAt});
        emit PlatformFeesAnnounced(revenueFeeBps_, marketFeeBps_, effectiveAt);
    }

    /// @inheritdoc IAssetRegistry
    function applyPlatformFees() external {
        PendingFees memory pending = _pendingFees;
        // 0 is the "nothing pending" marker, never a time: the strict equality is exact.
        // slither-disable-next-line incorrect-equality
        if (pending.effectiveAt == 0) revert RegistryNoPendingFees();
        if (block.timestamp < pending.effectiveAt) revert RegistryFeesNotYetEffective(pending.effectiveAt);
        delete _pendingFees;
        _revenueFeeBps = pending.revenueFeeBps;
        _marketFeeBps = pending.marketFeeBps;
        emit PlatformFeesChanged(pending.revenueFeeBps, pending.marketFeeBps, _feeRecipient);
    }

    /// @inheritdoc IAssetRegistry
    function pendingPlatformFees() external view returns (PendingFees memory) {
        return _pendingFees;
    }

    /// @inheritdoc IAssetRegistry
    function setPaymentTokenAllowed(address token, bool allowed) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (token == address(0)) revert RegistryZeroAddress();
        _paymentTokenAllowed[token] = allowed;
        emit PaymentTokenAllowed(token, allowed);
    }

    /// @inheritdoc IAssetRegistry
    function isPaymentTokenAllowed(address token) external view returns (bool) {
        return _paymentTokenAllowed[token];
    }

    /// @inheritdoc IAssetRegistry
    function asset(uint256 assetId) external view returns (Asset memory) {
        return _existing(assetId);
    }

    /// @inheritdoc IAssetRegistry
    function operatorOf(uint256 assetId) external view returns (address) {
        return _existing(assetId).operator;
    }

    /// @inheritdoc IAssetRegistry
    function assetIdOf(address shareToken) external view returns (uint256) {
        return _assetIdOf[shareToken];
    }

    /// @inheritdoc IAssetRegistry
    function isPaused(uint256 assetId) external view returns (bool) {
        Asset storage record = _assets[assetId];
        return _platformPaused || record.paused || record.governancePaused;
    }

    /// @inheritdoc IAssetRegistry
    function assetCount() external view returns (uint256) {
        return _assetCount;
    }

    /// @inheritdoc IAssetRegistry
    function revenueFeeBps() external view returns (uint16) {
        return _revenueFeeBps;
    }

    /// @inheritdoc IAssetRegistry
    function marketFeeBps() external view returns (uint16) {
        return _marketFeeBps;
    }

    /// @inheritdoc IAssetRegistry
    function feeRecipient() external view returns (address) {
        return _feeRecipient;
    }

    /// @inheritdoc IAssetRegistry
    function identityRegistry() external view returns (address) {
        return _identityRegistry;
    }

    /// @inheritdoc IAssetRegistry
    function primarySale() external view returns (address) {
        return _primarySale;
    }

    /// @inheritdoc IAssetRegistry
    function productionOracle() external view returns (address) {
        return _productionOracle;
    }

    /// @inheritdoc IAssetRegistry
    function shareMarket() external view returns (address) {
        return _shareMarket;
    }

    function _initializeClones(
        uint256 assetId,
        AssetTypes.AssetContracts memory deployed,
        AssetTypes.AssetParams calldata params
    ) private {
        address[] memory proposers = new address[](1);
        proposers[0] = deployed.governor;
        address[] memory executors = new address[](1); // address(0): anyone executes a passed proposal
        AssetTimelock(payable(deployed.timelock)).initialize(
            params.governance.timelockDelay, proposers, executors, address(0)
        );
        IShareToken(deployed.shareToken).initialize(
            params.name,
            params.symbol,
            assetId,
            params.requiresVerification ? _identityRegistry : address(0),
            params.sale.paymentToken
        );
        IAssetGovernor(deployed.governor).initialize(
            params.name, deployed.shareToken, deployed.timelock, params.governance
        );
    }

    function _checkParams(AssetTypes.AssetParams calldata params) private view {
        AssetTypes.SaleTerms calldata sale = params.sale;
        if (sale.paymentToken == address(0) || sale.treasury == address(0)) revert RegistryZeroAddress();
        if (!_paymentTokenAllowed[sale.paymentToken]) revert RegistryPaymentTokenNotAllowed(sale.paymentToken);
        if (sale.totalShares == 0 || sale.maxSharesPerBuyer == 0 || sale.maxSharesPerBuyer > sale.totalShares) {
            revert RegistryInvalidShares(sale.totalShares, sale.maxSharesPerBuyer);
        }
        // Checked by division first, so that an overflowing full raise is a clear error, not a panic.
        if (
            sale.sharePrice == 0 || sale.sharePrice > GovernanceBounds.MAX_FULL_RAISE / sale.totalShares
                || sale.minRaise == 0 || sale.minRaise > sale.totalShares * sale.sharePrice
        ) revert RegistryInvalidPricing(sale.sharePrice, sale.minRaise);
        _checkWindow(sale.start, sale.end);
        if (params.reserveBps > MAX_RESERVE_BPS) revert RegistryBpsTooHigh(params.reserveBps, MAX_RESERVE_BPS);
        AssetTypes.GovernanceParams calldata gov = params.governance;
        if (
            gov.votingDelay < GovernanceBounds.MIN_VOTING_DELAY || gov.votingDelay > GovernanceBounds.MAX_VOTING_DELAY
                || gov.votingPeriod < GovernanceBounds.MIN_VOTING_PERIOD
                || gov.votingPeriod > GovernanceBounds.MAX_VOTING_PERIOD
                || gov.timelockDelay < GovernanceBounds.MIN_TIMELOCK_DELAY
                || gov.timelockDelay > GovernanceBounds.MAX_TIMELOCK_DELAY
                || gov.quorumPercent < GovernanceBounds.MIN_QUORUM_PERCENT
                || gov.quorumPercent > GovernanceBounds.MAX_QUORUM_PERCENT || bytes(params.name).length == 0
                || bytes(params.symbol).length == 0
        ) revert RegistryInvalidGovernance();
        // A successful sale sells at least this many shares (the minimum raise, rounded up to whole
        // shares), and the supply never shrinks after success: a threshold up to it can always be met,
        // by one holder or by delegation.
        uint256 minSharesSold = (sale.minRaise + sale.sharePrice - 1) / sale.sharePrice;
        if (gov.proposalThreshold > minSharesSold) {
            revert RegistryThresholdUnreachable(gov.proposalThreshold, minSharesSold);
        }
    }

    function _checkWindow(uint64 start, uint64 end) private view {
        if (
            start >= end || end <= block.timestamp || end - start > GovernanceBounds.MAX_SALE_DURATION
                || start > block.timestamp + GovernanceBounds.MAX_SALE_START_DELAY
        ) revert RegistryInvalidWindow(start, end);
    }

    function _existing(uint256 assetId) private view returns (Asset storage record) {
        record = _assets[assetId];
        if (record.operator == address(0)) revert RegistryUnknownAsset(assetId);
    }

    function _timelockOnly(uint256 assetId) private view returns (Asset storage record) {
        record = _existing(assetId);
        if (msg.sender != record.contracts.timelock) revert RegistryNotAssetTimelock(msg.sender, assetId);
    }
}
