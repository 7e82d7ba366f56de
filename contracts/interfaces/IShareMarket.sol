// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IShareMarket
/// @notice A non-custodial secondary market for shares. A listing is an offer to sell: the shares stay in
/// the seller's wallet (earning revenue and voting) until a buyer fills it, in whole or in part.
/// @dev Sellers approve this contract on the share token. A fill re-checks the seller's balance and
/// allowance, and the buyer names the highest price it accepts. A seller kills all its open listings
/// at once with {invalidateListings} (a per-seller nonce, as large order books do): a listing made
/// before the nonce moved can never be filled again, even once the seller holds shares again.
interface IShareMarket {
    /// @notice An offer to sell shares.
    struct Listing {
        address seller;
        address shareToken;
        uint256 assetId;
        uint256 remaining;
        uint256 pricePerShare;
        address paymentToken;
        uint64 expiresAt;
        uint16 feeBps;
    }

    /// @notice The token is not a platform share token.
    error MarketUnknownShareToken(address token);
    /// @notice The asset is not active (its sale has not succeeded, or it was decommissioned).
    error MarketAssetNotActive(uint256 assetId);
    /// @notice An amount of zero.
    error MarketZeroAmount();
    /// @notice A price of zero.
    error MarketZeroPrice();
    /// @notice The expiry is not in the future.
    error MarketExpiryInPast(uint64 expiresAt);
    /// @notice No open listing with this id (never listed, cancelled, filled or invalidated).
    error MarketListingNotOpen(uint256 listingId);
    /// @notice The seller invalidated its listings after this one was made.
    error MarketListingInvalidated(uint256 listingId);
    /// @notice The listing expired.
    error MarketListingExpired(uint256 listingId, uint64 expiresAt);
    /// @notice The listing's price is above what the buyer accepts.
    error MarketPriceAboveMax(uint256 pricePerShare, uint256 maxPricePerShare);
    /// @notice More shares requested than the listing has left.
    error MarketAmountExceedsListing(uint256 requested, uint256 remaining);
    /// @notice The seller no longer holds the shares.
    error MarketSellerBalanceTooLow(address seller, uint256 balance, uint256 needed);
    /// @notice The seller no longer allows the market to move the shares.
    error MarketSellerAllowanceTooLow(address seller, uint256 allowance, uint256 needed);
    /// @notice Only the seller cancels its listing.
    error MarketNotSeller(address caller, address seller);
    /// @notice A seller cannot fill its own listing.
    error MarketSelfFill(uint256 listingId);

    /// @notice Shares were listed for sale.
    /// @param feeBps The platform fee on this listing's fills, fixed when it was listed.
    event Listed(
        uint256 indexed listingId,
        address indexed seller,
        uint256 indexed assetId,
        address shareToken,
        uint256 amount,
        uint256 pricePerShare,
        address paymentToken,
        uint64 expiresAt,
        uint16 feeBps
    );
    /// @notice A listing was filled, wholly or partly.
    /// @param paid What the buyer paid in all (amount × price).
    /// @param fee The platform's part of `paid`; the seller got the rest.
    /// @param remaining Shares left on the listing (post-state).
    event ListingFilled(
        uint256 indexed listingId,
        address indexed buyer,
        address indexed seller,
        uint256 assetId,
        uint256 amount,
        uint256 pricePerShare,
        uint256 paid,
        uint256 fee,
        uint256 remaining
    );
    /// @notice The seller cancelled a listing.
    event ListingCancelled(uint256 indexed listingId, address indexed seller);
    /// @notice The seller invalidated every listing it had made so far.
    /// @param nonce The seller's listing nonce after the change (post-state): listings made under a
    /// lower nonce are dead.
    event ListingsInvalidated(address indexed seller, uint256 nonce);

    /// @notice Lists shares for sale.
    /// @return listingId The new listing's id (ids start at 1).
    function list(address shareToken, uint256 amount, uint256 pricePerShare, uint64 expiresAt)
        external
        returns (uint256 listingId);

    /// @notice Buys `amount` shares from a listing, paying at most `maxPricePerShare` each.
    function fill(uint256 listingId, uint256 amount, uint256 maxPricePerShare) external;

    /// @notice Withdraws a listing.
    function cancel(uint256 listingId) external;

    /// @notice Invalidates every listing the caller has made so far, at once; later listings are not
    /// affected. Use it before parting with listed shares off-market.
    /// @return nonce The caller's new listing nonce.
    function invalidateListings() external returns (uint256 nonce);

    /// @notice A seller's listing nonce: how many times it invalidated its listings.
    function listingNonceOf(address seller) external view returns (uint256);

    /// @notice A listing (remaining 0 once filled, cancelled or invalidated).
    function listing(uint256 listingId) external view returns (Listing memory);

    /// @notice Number of listings (the last id).
    function listingCount() external view returns (uint256);
}
