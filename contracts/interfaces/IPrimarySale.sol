// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AssetTypes} from "../libraries/AssetTypes.sol";

/// @title IPrimarySale
/// @notice Sells each asset's shares for its stablecoin during the funding window. Payments stay in
/// escrow here until the minimum raise is met, then go to the asset's treasury; if the window closes
/// under the minimum, each buyer pulls a full refund.
interface IPrimarySale {
    /// @notice Where a sale stands.
    enum SaleState {
        None,
        Open,
        Succeeded,
        Failed
    }

    /// @notice A sale's terms and running totals.
    struct Sale {
        address shareToken;
        SaleState state;
        uint256 sold;
        uint256 raised;
        AssetTypes.SaleTerms terms;
    }

    /// @notice No sale for this asset.
    error SaleUnknown(uint256 assetId);
    /// @notice Only the registry configures sales.
    error SaleNotRegistry(address caller);
    /// @notice Outside the funding window, or the sale has ended.
    error SaleNotOpen(uint256 assetId, uint64 start, uint64 end);
    /// @notice The asset or the platform is paused.
    error SalePaused(uint256 assetId);
    /// @notice A purchase of zero shares.
    error SaleZeroShares();
    /// @notice Fewer shares are left than requested.
    error SaleNotEnoughShares(uint256 requested, uint256 available);
    /// @notice The purchase would take the buyer past the per-buyer cap.
    error SaleBuyerCapExceeded(address buyer, uint256 wouldHold, uint256 cap);
    /// @notice The sale cannot end yet: the window is open and shares remain.
    error SaleStillRunning(uint256 assetId, uint64 end);
    /// @notice The sale has already ended with this outcome.
    error SaleAlreadyFinalized(uint256 assetId, SaleState state);
    /// @notice Refunds are only for sales that missed their minimum raise.
    error SaleNotRefundable(uint256 assetId);
    /// @notice The account paid nothing into this sale, or was already refunded.
    error SaleNothingToRefund(uint256 assetId, address buyer);
    /// @notice No raise is waiting to be paid to this asset's treasury.
    error SaleNothingToRelease(uint256 assetId);
    /// @notice Only the asset's timelock (a passed governance proposal) redirects its raise.
    error SaleNotAssetTimelock(address caller, uint256 assetId);
    /// @notice A required address is zero.
    error SaleZeroAddress();
    /// @notice Only the asset's operator or the platform admin cancels a sale.
    error SaleNotCanceller(address caller, uint256 assetId);

    /// @notice A sale was opened for an asset.
    event SaleConfigured(uint256 indexed assetId, address indexed shareToken, AssetTypes.SaleTerms terms);
    /// @notice Shares were bought. Carries the sale's totals after the purchase.
    event SharesPurchased(
        uint256 indexed assetId,
        address indexed buyer,
        uint256 shares,
        uint256 cost,
        uint256 totalSold,
        uint256 totalRaised
    );
    /// @notice The sale ended. On success the raise went to the treasury.
    event SaleFinalized(uint256 indexed assetId, bool succeeded, uint256 totalSold, uint256 totalRaised);
    /// @notice The sale was cancelled before its end; `SaleFinalized` (failed) follows, and refunds
    /// are open at once.
    event SaleCancelled(uint256 indexed assetId, address indexed by);
    /// @notice The treasury refused the raise at finalization (e.g. a blocklisted address); the raise
    /// waits here until `releaseRaise` pays it. The sale has succeeded all the same.
    event RaisePaymentDeferred(uint256 indexed assetId, address indexed treasury, uint256 amount);
    /// @notice The asset's governance redirected a deferred raise to a new treasury (post-state: the
    /// treasury `releaseRaise` now pays).
    event RaiseRedirected(
        uint256 indexed assetId, address indexed previousTreasury, address indexed newTreasury, uint256 amount
    );
    /// @notice A deferred raise was paid to the treasury.
    event RaiseReleased(uint256 indexed assetId, address indexed treasury, uint256 amount);
    /// @notice A buyer of a failed sale took its refund; its shares were burned.
    event Refunded(uint256 indexed assetId, address indexed buyer, uint256 shares, uint256 amount);

    /// @notice Opens the sale of a newly registered asset. Called by the registry.
    function configure(uint256 assetId, address shareToken, AssetTypes.SaleTerms calldata terms) external;

    /// @notice Buys shares; the cost (shares × price) is pulled from the caller.
    function buy(uint256 assetId, uint256 shares) external;

    /// @notice Buys shares after an ERC-2612 permit of the payment token, in one transaction.
    /// @dev A permit already used (e.g. front-run) is ignored when the allowance suffices.
    function buyWithPermit(uint256 assetId, uint256 shares, uint256 deadline, uint8 v, bytes32 r, bytes32 s)
        external;

    /// @notice Ends a sale whose window closed or whose shares sold out. Anyone may call.
    function finalize(uint256 assetId) external;

    /// @notice Ends an open sale as failed, before its end, so that every buyer can take a refund at
    /// once. Called by the asset's operator or the platform admin (holders cannot vote before their
    /// sale succeeds, so the admin stands in for them).
    function cancelSale(uint256 assetId) external;

    /// @notice Refunds everything the caller paid into a failed sale and burns its shares.
    /// @dev Ends the sale first when its window closed under the minimum. Works while paused.
    /// @return amount What was refunded.
    function refund(uint256 assetId) external returns (uint256 amount);

    /// @notice Pays the treasury a raise whose payment was deferred at finalization. Anyone may call.
    function releaseRaise(uint256 assetId) external;

    /// @notice Sends a deferred raise to a new treasury from now on (e.g. when the original one is
    /// blocklisted for good); `releaseRaise` then pays it there. Called by the asset's timelock.
    function redirectRaise(uint256 assetId, address newTreasury) external;

    /// @notice A raise waiting to be paid to the asset's treasury (0 once paid).
    function unpaidRaiseOf(uint256 assetId) external view returns (uint256);

    /// @notice The sale of an asset.
    function sale(uint256 assetId) external view returns (Sale memory);

    /// @notice What a buyer paid into an asset's sale and has not been refunded.
    function contributionOf(uint256 assetId, address buyer) external view returns (uint256);

    /// @notice Shares a buyer bought in an asset's sale.
    function purchasedOf(uint256 assetId, address buyer) external view returns (uint256);
}
