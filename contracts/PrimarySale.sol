// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IAssetRegistry} from "./interfaces/IAssetRegistry.sol";
import {IPrimarySale} from "./interfaces/IPrimarySale.sol";
import {IShareToken} from "./interfaces/IShareToken.sol";
import {AssetTypes} from "./libraries/AssetTypes.sol";

/// @title PrimarySale
/// @notice The primary sale of every asset's shares, with escrow and pull refunds. See {IPrimarySale}.
/// @dev Shares are minted at purchase (so buyers vote and show as holders at once) but cannot be
/// transferred until the sale succeeds; a refund burns them. Escrow is kept per asset: one asset's
/// buyers can only ever be paid from that asset's `raised`.
contract PrimarySale is IPrimarySale, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice The platform registry.
    IAssetRegistry public immutable registry;

    mapping(uint256 assetId => Sale) private _sales;
    mapping(uint256 assetId => mapping(address buyer => uint256)) private _contributions;
    mapping(uint256 assetId => mapping(address buyer => uint256)) private _purchased;
    mapping(uint256 assetId => uint256) private _unpaidRaise;

    /// @param registry_ The platform registry.
    constructor(IAssetRegistry registry_) {
        registry = registry_;
    }

    /// @inheritdoc IPrimarySale
    function configure(uint256 assetId, address shareToken, AssetTypes.SaleTerms calldata terms) external {
        if (msg.sender != address(registry)) revert SaleNotRegistry(msg.sender);
        Sale storage s = _sales[assetId];
        s.shareToken = shareToken;
        s.state = SaleState.Open;
        s.terms = terms;
        emit SaleConfigured(assetId, shareToken, terms);
    }

    /// @inheritdoc IPrimarySale
    function buy(uint256 assetId, uint256 shares) external nonReentrant {
        _buy(assetId, shares);
    }

    /// @inheritdoc IPrimarySale
    /// @dev The permit is an external call before `_buy` writes state; `nonReentrant` shuts the door.
    // slither-disable-next-line reentrancy-no-eth
    function buyWithPermit(uint256 assetId, uint256 shares, uint256 deadline, uint8 v, bytes32 r, bytes32 s)
        external
        nonReentrant
    {
        AssetTypes.SaleTerms storage terms = _open(assetId).terms;
        address paymentToken = terms.paymentToken;
        uint256 cost = shares * terms.sharePrice;
        // A permit can be front-run by anyone who saw it; then the allowance is already there.
        try IERC20Permit(paymentToken).permit(msg.sender, address(this), cost, deadline, v, r, s) {}
        catch {}
        _buy(assetId, shares);
    }

    /// @inheritdoc IPrimarySale
    function finalize(uint256 assetId) external nonReentrant {
        Sale storage s = _existing(assetId);
        if (s.state != SaleState.Open) revert SaleAlreadyFinalized(assetId, s.state);
        if (block.timestamp <= s.terms.end && s.sold < s.terms.totalShares) {
            revert SaleStillRunning(assetId, s.terms.end);
        }
        _finalize(assetId, s);
    }

    /// @inheritdoc IPrimarySale
    function cancelSale(uint256 assetId) external nonReentrant {
        Sale storage s = _existing(assetId);
        if (s.state != SaleState.Open) revert SaleAlreadyFinalized(assetId, s.state);
        IAssetRegistry registry_ = registry;
        if (msg.sender != registry_.operatorOf(assetId) && !IAccessControl(address(registry_)).hasRole(0x00, msg.sender)) {
            revert SaleNotCanceller(msg.sender, assetId);
        }
        s.state = SaleState.Failed;
        emit SaleCancelled(assetId, msg.sender);
        registry_.recordSaleOutcome(assetId, false);
        emit SaleFinalized(assetId, false, s.sold, s.raised);
    }

    /// @inheritdoc IPrimarySale
    function refund(uint256 assetId) external nonReentrant returns (uint256 amount) {
        Sale storage s = _existing(assetId);
        if (s.state == SaleState.Open && block.timestamp > s.terms.end && s.raised < s.terms.minRaise) {
            _finalize(assetId, s);
        }
        if (s.state != SaleState.Failed) revert SaleNotRefundable(assetId);
        amount = _contributions[assetId][msg.sender];
        if (amount == 0) revert SaleNothingToRefund(assetId, msg.sender);
        uint256 shares = _purchased[assetId][msg.sender];
        _contributions[assetId][msg.sender] = 0;
        _purchased[assetId][msg.sender] = 0;
        IShareToken(s.shareToken).burn(msg.sender, shares);
        IERC20(s.terms.paymentToken).safeTransfer(msg.sender, amount);
        emit Refunded(assetId, msg.sender, shares, amount);
    }

    /// @inheritdoc IPrimarySale
    function releaseRaise(uint256 assetId) external nonReentrant {
        Sale storage s = _existing(assetId);
        uint256 amount = _unpaidRaise[assetId];
        if (amount == 0) revert SaleNothingToRelease(assetId);
        _unpaidRaise[assetId] = 0;
        IERC20(s.terms.paymentToken).safeTransfer(s.terms.treasury, amount);
        emit RaiseReleased(assetId, s.terms.treasury, amount);
    }

    /// @inheritdoc IPrimarySale
    function redirectRaise(uint256 assetId, address newTreasury) external {
        Sale storage s = _existing(assetId);
        if (msg.sender != registry.asset(assetId).contracts.timelock) revert SaleNotAssetTimelock(msg.sender, assetId);
        uint256 amount = _unpaidRaise[assetId];
        if (amount == 0) revert SaleNothingToRelease(assetId);
        if (newTreasury == address(0)) revert SaleZeroAddress();
        address previous = s.terms.treasury;
        s.terms.treasury = newTreasury;
        emit RaiseRedirected(assetId, previous, newTreasury, amount);
    }

    /// @inheritdoc IPrimarySale
    function unpaidRaiseOf(uint256 assetId) external view returns (uint256) {
        return _unpaidRaise[assetId];
    }

    /// @inheritdoc IPrimarySale
    function sale(uint256 assetId) external view returns (Sale memory) {
        return _existing(assetId);
    }

    /// @inheritdoc IPrimarySale
    function contributionOf(uint256 assetId, address buyer) external view returns (uint256) {
        return _contributions[assetId][buyer];
    }

    /// @inheritdoc IPrimarySale
    function purchasedOf(uint256 assetId, address buyer) external view returns (uint256) {
        return _purchased[assetId][buyer];
    }

    function _buy(uint256 assetId, uint256 shares) private {
        Sale storage s = _open(assetId);
        if (registry.isPaused(assetId)) revert SalePaused(assetId);
        if (shares == 0) revert SaleZeroShares();
        uint256 available = s.terms.totalShares - s.sold;
        if (shares > available) revert SaleNotEnoughShares(shares, available);
        uint256 wouldHold = _purchased[assetId][msg.sender] + shares;
        if (wouldHold > s.terms.maxSharesPerBuyer) {
            revert SaleBuyerCapExceeded(msg.sender, wouldHold, s.terms.maxSharesPerBuyer);
        }

        uint256 cost = shares * s.terms.sharePrice;
        s.sold += shares;
        s.raised += cost;
        _purchased[assetId][msg.sender] = wouldHold;
        _contributions[assetId][msg.sender] += cost;

        IERC20(s.terms.paymentToken).safeTransferFrom(msg.sender, address(this), cost);
        IShareToken(s.shareToken).mint(msg.sender, shares);
        emit SharesPurchased(assetId, msg.sender, shares, cost, s.sold, s.raised);
    }

    function _finalize(uint256 assetId, Sale storage s) private {
        bool succeeded = s.raised >= s.terms.minRaise;
        s.state = succeeded ? SaleState.Succeeded : SaleState.Failed;
        registry.recordSaleOutcome(assetId, succeeded);
        if (succeeded) {
            IShareToken(s.shareToken).activate();
            // A treasury that refuses the payment must not freeze the sale (and every buyer's shares
            // with it): the raise then waits here for `releaseRaise`.
            if (!IERC20(s.terms.paymentToken).trySafeTransfer(s.terms.treasury, s.raised)) {
                _unpaidRaise[assetId] = s.raised;
                emit RaisePaymentDeferred(assetId, s.terms.treasury, s.raised);
            }
        }
        emit SaleFinalized(assetId, succeeded, s.sold, s.raised);
    }

    function _open(uint256 assetId) private view returns (Sale storage s) {
        s = _existing(assetId);
        if (s.state != SaleState.Open || block.timestamp < s.terms.start || block.timestamp > s.terms.end) {
            revert SaleNotOpen(assetId, s.terms.start, s.terms.end);
        }
    }

    function _existing(uint256 assetId) private view returns (Sale storage s) {
        s = _sales[assetId];
        if (s.state == SaleState.None) revert SaleUnknown(assetId);
    }
}
