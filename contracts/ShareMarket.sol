// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IAssetRegistry} from "./interfaces/IAssetRegistry.sol";
import {IShareMarket} from "./interfaces/IShareMarket.sol";
import {IShareToken} from "./interfaces/IShareToken.sol";
import {AssetTypes} from "./libraries/AssetTypes.sol";

/// @title ShareMarket
/// @notice Non-custodial fixed-price listings of shares, filled wholly or partly. See {IShareMarket}.
/// @dev Pauses and identity rules are enforced by the share token on the fill's transfer.
contract ShareMarket is IShareMarket, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    uint256 private constant BPS = 10_000;

    /// @notice The platform registry.
    IAssetRegistry public immutable registry;

    /// @dev A listing as stored: four slots. The payment token is the share token's own, read at fill.
    /// The fee is fixed at listing, so a later fee change never takes more from a seller than it saw.
    /// `sellerNonce` is the seller's listing nonce at listing: the listing is dead once it moves.
    struct StoredListing {
        address seller;
        uint64 expiresAt;
        uint16 feeBps;
        address shareToken;
        uint64 assetId;
        uint32 sellerNonce;
        uint256 remaining;
        uint256 pricePerShare;
    }

    uint256 private _listingCount;
    mapping(uint256 listingId => StoredListing) private _listings;
    mapping(address seller => uint32) private _listingNonces;

    /// @param registry_ The platform registry.
    constructor(IAssetRegistry registry_) {
        registry = registry_;
    }

    /// @inheritdoc IShareMarket
    function list(address shareToken, uint256 amount, uint256 pricePerShare, uint64 expiresAt)
        external
        returns (uint256 listingId)
    {
        uint256 assetId = registry.assetIdOf(shareToken);
        if (assetId == 0) revert MarketUnknownShareToken(shareToken);
        _requireActive(assetId);
        if (amount == 0) revert MarketZeroAmount();
        if (pricePerShare == 0) revert MarketZeroPrice();
        if (expiresAt <= block.timestamp) revert MarketExpiryInPast(expiresAt);
        _requireSellerCanDeliver(IERC20(shareToken), msg.sender, amount);

        listingId = ++_listingCount;
        uint16 feeBps = registry.marketFeeBps();
        _listings[listingId] = StoredListing({
            seller: msg.sender,
            expiresAt: expiresAt,
            feeBps: feeBps,
            shareToken: shareToken,
            // Asset ids count registrations from 1; 2**64 of them cannot happen.
            assetId: uint64(assetId),
            sellerNonce: _listingNonces[msg.sender],
            remaining: amount,
            pricePerShare: pricePerShare
        });
        address paymentToken = IShareToken(shareToken).paymentToken();
        emit Listed(
            listingId, msg.sender, assetId, shareToken, amount, pricePerShare, paymentToken, expiresAt, feeBps
        );
    }

    /// @inheritdoc IShareMarket
    function fill(uint256 listingId, uint256 amount, uint256 maxPricePerShare) external nonReentrant {
        StoredListing storage l = _listings[listingId];
        uint256 remaining = l.remaining;
        if (remaining == 0) revert MarketListingNotOpen(listingId);
        address seller = l.seller;
        if (l.sellerNonce != _listingNonces[seller]) revert MarketListingInvalidated(listingId);
        if (block.timestamp >= l.expiresAt) revert MarketListingExpired(listingId, l.expiresAt);
        if (l.pricePerShare > maxPricePerShare) revert MarketPriceAboveMax(l.pricePerShare, maxPricePerShare);
        if (amount == 0) revert MarketZeroAmount();
        if (amount > remaining) revert MarketAmountExceedsListing(amount, remaining);
        if (seller == msg.sender) revert MarketSelfFill(listingId);
        _requireActive(l.assetId);
        _requireSellerCanDeliver(IERC20(l.shareToken), seller, amount);

        uint256 paid = amount * l.pricePerShare;
        // Rounded up, so that splitting a purchase into small fills never escapes the fee; at most
        // 10% of `paid`, so never more than it.
        uint256 fee = Math.mulDiv(paid, l.feeBps, BPS, Math.Rounding.Ceil);
        remaining -= amount;
        l.remaining = remaining;

        IERC20 payment = IERC20(IShareToken(l.shareToken).paymentToken());
        payment.safeTransferFrom(msg.sender, seller, paid - fee);
        if (fee != 0) payment.safeTransferFrom(msg.sender, registry.feeRecipient(), fee);
        // `seller` is the account that created this listing and approved the market for these shares;
        // a fill only ever moves them at the seller's own price, to a buyer who paid it above.
        // slither-disable-next-line arbitrary-send-erc20
        IERC20(l.shareToken).safeTransferFrom(seller, msg.sender, amount);
        emit ListingFilled(listingId, msg.sender, seller, l.assetId, amount, l.pricePerShare, paid, fee, remaining);
    }

    /// @inheritdoc IShareMarket
    function cancel(uint256 listingId) external {
        StoredListing storage l = _listings[listingId];
        if (!_isOpen(l)) revert MarketListingNotOpen(listingId);
        if (msg.sender != l.seller) revert MarketNotSeller(msg.sender, l.seller);
        l.remaining = 0;
        emit ListingCancelled(listingId, msg.sender);
    }

    /// @inheritdoc IShareMarket
    function invalidateListings() external returns (uint256 nonce) {
        nonce = ++_listingNonces[msg.sender];
        emit ListingsInvalidated(msg.sender, nonce);
    }

    /// @inheritdoc IShareMarket
    function listingNonceOf(address seller) external view returns (uint256) {
        return _listingNonces[seller];
    }

    /// @inheritdoc IShareMarket
    function listing(uint256 listingId) external view returns (Listing memory) {
        StoredListing storage l = _listings[listingId];
        address shareToken = l.shareToken;
        return Listing({
            seller: l.seller,
            shareToken: shareToken,
            assetId: l.assetId,
            remaining: _isOpen(l) ? l.remaining : 0,
            pricePerShare: l.pricePerShare,
            paymentToken: shareToken == address(0) ? address(0) : IShareToken(shareToken).paymentToken(),
            expiresAt: l.expiresAt,
            feeBps: l.feeBps
        });
    }

    /// @inheritdoc IShareMarket
    function listingCount() external view returns (uint256) {
        return _listingCount;
    }

    function _isOpen(StoredListing storage l) private view returns (bool) {
        return l.remaining != 0 && l.sellerNonce == _listingNonces[l.seller];
    }

    function _requireActive(uint256 assetId) private view {
        if (registry.asset(assetId).status != AssetTypes.Status.Active) revert MarketAssetNotActive(assetId);
    }

    function _requireSellerCanDeliver(IERC20 shareToken, address seller, uint256 amount) private view {
        uint256 balance = shareToken.balanceOf(seller);
        if (balance < amount) revert MarketSellerBalanceTooLow(seller, balance, amount);
        uint256 allowance = shareToken.allowance(seller, address(this));
        if (allowance < amount) revert MarketSellerAllowanceTooLow(seller, allowance, amount);
    }
}
