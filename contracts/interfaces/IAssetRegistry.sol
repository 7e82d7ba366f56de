// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AssetTypes} from "../libraries/AssetTypes.sol";

/// @title IAssetRegistry
/// @notice The platform's hub: registers assets (deploying each one's share token, governor and
/// timelock as clones), keeps each asset's operator, status and pause state, holds the platform
/// roles and fees, and names the platform's other modules.
interface IAssetRegistry {
    /// @notice Everything the registry keeps about one asset.
    /// @param paused Paused by a platform pauser (an incident); only a pauser lifts it.
    /// @param governancePaused Paused by the asset's governance (its timelock); only governance lifts it.
    struct Asset {
        address operator;
        AssetTypes.Status status;
        bool paused;
        bool governancePaused;
        uint16 reserveBps;
        AssetTypes.AssetContracts contracts;
    }

    /// @notice A fee rise announced and not yet in force.
    /// @param effectiveAt When it may be applied (0: nothing pending).
    struct PendingFees {
        uint16 revenueFeeBps;
        uint16 marketFeeBps;
        uint64 effectiveAt;
    }

    /// @notice The asset id is not registered.
    error RegistryUnknownAsset(uint256 assetId);
    /// @notice The caller is not the asset's timelock, which alone executes its governance decisions.
    error RegistryNotAssetTimelock(address caller, uint256 assetId);
    /// @notice The caller is not the asset's operator.
    error RegistryNotAssetOperator(address caller, uint256 assetId);
    /// @notice The caller is neither a pauser nor the asset's timelock.
    error RegistryNotPauser(address caller, uint256 assetId);
    /// @notice Only the primary sale reports a sale's outcome.
    error RegistryNotPrimarySale(address caller);
    /// @notice The platform modules are connected once, at deployment.
    error RegistryModulesAlreadyConnected();
    /// @notice Assets cannot be registered before the platform modules are connected.
    error RegistryModulesNotConnected();
    /// @notice A required address is zero.
    error RegistryZeroAddress();
    /// @notice Basis points above the allowed maximum.
    error RegistryBpsTooHigh(uint256 bps, uint256 maxBps);
    /// @notice The share supply is zero, or the per-buyer cap is zero or above the supply.
    error RegistryInvalidShares(uint256 totalShares, uint256 maxSharesPerBuyer);
    /// @notice The share price is zero or makes the full raise exceed 2**128 - 1, or the minimum raise is
    /// zero or above the full raise.
    error RegistryInvalidPricing(uint256 sharePrice, uint256 minRaise);
    /// @notice The funding window is empty, has already closed, is longer than a year, or opens more
    /// than a year from now.
    error RegistryInvalidWindow(uint64 start, uint64 end);
    /// @notice Governance settings outside the platform's floors and ceilings (see the MIN_* and MAX_*
    /// constants and {GovernanceBounds}), or a name or symbol missing.
    error RegistryInvalidGovernance();
    /// @notice The proposal threshold is above the fewest shares a successful sale sells (the minimum
    /// raise in whole shares, rounded up), so nobody might ever be able to propose.
    error RegistryThresholdUnreachable(uint256 threshold, uint256 minSharesSold);
    /// @notice No fee rise is pending.
    error RegistryNoPendingFees();
    /// @notice The pending fee rise may be applied only from `effectiveAt`.
    error RegistryFeesNotYetEffective(uint64 effectiveAt);
    /// @notice The payment token is not on the platform's allowlist.
    error RegistryPaymentTokenNotAllowed(address token);
    /// @notice The asset's status does not allow this action.
    error RegistryInvalidStatus(uint256 assetId, AssetTypes.Status status);

    /// @notice An asset was registered, with every contract deployed for it and every parameter.
    event AssetRegistered(
        uint256 indexed assetId,
        address indexed operator,
        AssetTypes.AssetContracts contracts,
        AssetTypes.AssetParams params
    );
    /// @notice The asset's operator changed (by governance).
    event AssetOperatorChanged(uint256 indexed assetId, address indexed previousOperator, address indexed newOperator);
    /// @notice The asset's status changed.
    event AssetStatusChanged(uint256 indexed assetId, AssetTypes.Status status);
    /// @notice A pause authority paused or unpaused the asset.
    /// @param pausedByPauser The platform pauser's flag after the change (post-state).
    /// @param pausedByGovernance The asset governance's flag after the change (post-state).
    /// @param by The pauser or the asset's timelock that changed its own flag.
    event AssetPauseSet(
        uint256 indexed assetId, bool pausedByPauser, bool pausedByGovernance, address indexed by
    );
    /// @notice The whole platform was paused or unpaused.
    event PlatformPauseSet(bool paused, address indexed by);
    /// @notice The asset's maintenance reserve share changed (by governance).
    event AssetReserveChanged(uint256 indexed assetId, uint16 reserveBps);
    /// @notice The asset's metadata URI changed.
    event AssetMetadataChanged(uint256 indexed assetId, string metadataURI);
    /// @notice The platform fees in force or their recipient changed (post-state); any pending rise was
    /// dropped (a `PlatformFeesAnnounced` in the same transaction announces the new one).
    event PlatformFeesChanged(uint16 revenueFeeBps, uint16 marketFeeBps, address indexed recipient);
    /// @notice A fee rise was announced; `applyPlatformFees` puts it in force from `effectiveAt`.
    event PlatformFeesAnnounced(uint16 revenueFeeBps, uint16 marketFeeBps, uint64 effectiveAt);
    /// @notice A payment token was allowed or disallowed for new assets.
    event PaymentTokenAllowed(address indexed token, bool allowed);
    /// @notice The platform modules were connected.
    event ModulesConnected(address primarySale, address productionOracle, address shareMarket);

    /// @notice Connects the platform modules; once, by the admin.
    function connectModules(address primarySale, address productionOracle, address shareMarket) external;

    /// @notice Registers an asset operated by the caller, deploys its contracts and opens its sale.
    /// @dev Caller needs OPERATOR_ROLE.
    /// @return assetId The new asset's id (ids start at 1).
    function registerAsset(AssetTypes.AssetParams calldata params) external returns (uint256 assetId);

    /// @notice Called by the primary sale when an asset's sale ends.
    function recordSaleOutcome(uint256 assetId, bool succeeded) external;

    /// @notice Hands the asset to a new operator. Called by the asset's timelock.
    function setOperator(uint256 assetId, address newOperator) external;

    /// @notice Sets the asset's maintenance reserve share. Called by the asset's timelock.
    function setReserveBps(uint256 assetId, uint16 reserveBps) external;

    /// @notice Retires an active asset. Called by the asset's timelock.
    function decommission(uint256 assetId) external;

    /// @notice Pauses or unpauses one asset. Called by a pauser or the asset's timelock, each of which
    /// sets only its own flag: the asset runs again once neither (nor the platform) pauses it.
    /// @dev A pause stops purchases and share transfers; it never stops refunds or revenue claims. A
    /// caller that is both a pauser and the timelock sets the pauser's flag.
    function setAssetPaused(uint256 assetId, bool paused) external;

    /// @notice Pauses or unpauses every asset at once. Called by a pauser.
    function setPlatformPaused(bool paused) external;

    /// @notice Updates the asset's metadata URI. Called by the asset's operator.
    function setMetadataURI(uint256 assetId, string calldata metadataURI) external;

    /// @notice Sets the platform fees and their recipient. Called by the admin.
    /// @dev The recipient changes at once (a blocklisted recipient must not stop deposits and fills).
    /// Fees apply at once when neither rises, or before any asset exists; a rise is announced instead
    /// and waits FEE_CHANGE_DELAY for {applyPlatformFees}, so no depositor pays a fee it could not see
    /// coming. Each call replaces any rise still pending.
    function setPlatformFees(uint16 revenueFeeBps, uint16 marketFeeBps, address recipient) external;

    /// @notice Puts the announced fee rise in force once its delay has passed. Anyone may call.
    function applyPlatformFees() external;

    /// @notice The announced fee rise, if any (`effectiveAt` 0 when none).
    function pendingPlatformFees() external view returns (PendingFees memory);

    /// @notice Allows or disallows a payment token for new assets (existing assets keep theirs).
    /// Called by the admin.
    /// @dev Only plain stablecoins belong here: escrow and revenue are counted at face value, so a
    /// fee-on-transfer or rebasing token would leave the last refunds or claims short.
    function setPaymentTokenAllowed(address token, bool allowed) external;

    /// @notice Whether new assets may be paid in this token.
    function isPaymentTokenAllowed(address token) external view returns (bool);

    /// @notice The asset's record.
    function asset(uint256 assetId) external view returns (Asset memory);

    /// @notice The asset's current operator.
    function operatorOf(uint256 assetId) external view returns (address);

    /// @notice The asset whose share token this is, or 0 for an unknown token.
    function assetIdOf(address shareToken) external view returns (uint256);

    /// @notice Whether the asset is paused: by a pauser, by its governance or by a platform-wide pause.
    function isPaused(uint256 assetId) external view returns (bool);

    /// @notice Number of registered assets (the last id).
    function assetCount() external view returns (uint256);

    /// @notice Fee on operator revenue deposits, in basis points.
    function revenueFeeBps() external view returns (uint16);

    /// @notice Fee on market fills, in basis points.
    function marketFeeBps() external view returns (uint16);

    /// @notice Receives the platform fees.
    function feeRecipient() external view returns (address);

    /// @notice The identity registry assets may require.
    function identityRegistry() external view returns (address);

    /// @notice The primary sale module.
    function primarySale() external view returns (address);

    /// @notice The production oracle module.
    function productionOracle() external view returns (address);

    /// @notice The secondary market module.
    function shareMarket() external view returns (address);
}
