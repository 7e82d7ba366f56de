// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IShareToken
/// @notice One asset's shares (ERC-20 with permit and votes, 0 decimals), and the asset's revenue
/// distribution: the operator deposits revenue, every holder claims its pro-rata part.
/// @dev Revenue uses a per-share accumulator with per-account corrections (ERC-2222 style), so deposit
/// and claim cost the same whatever the number of holders. Holders are self-delegated on first receipt,
/// so voting power needs no separate delegate transaction.
interface IShareToken {
    /// @notice Share transfers open only once the primary sale succeeds.
    error ShareTransfersLocked(uint256 assetId);
    /// @notice The asset, or the whole platform, is paused.
    error SharePaused(uint256 assetId);
    /// @notice The asset requires verified holders and the recipient is not verified (or expired).
    error ShareRecipientNotVerified(address recipient);
    /// @notice The asset requires verified holders and the delegatee is not verified (or expired).
    error ShareDelegateeNotVerified(address delegatee);
    /// @notice Only the primary sale mints and burns shares.
    error ShareNotPrimarySale(address caller);
    /// @notice Only the asset's operator or its timelock deposits revenue.
    error ShareNotRevenueDepositor(address caller);
    /// @notice Revenue is deposited only while the asset is active or being wound down.
    error ShareRevenueNotAccepted(uint256 assetId);
    /// @notice No share exists to receive the revenue.
    error ShareNoShares();
    /// @notice A deposit of zero.
    error ShareZeroRevenue();
    /// @notice The production report belongs to another asset or does not exist.
    error ShareUnknownProductionReport(uint256 reportId);
    /// @notice The production report was already paid for.
    error ShareProductionAlreadyPaid(uint256 reportId);
    /// @notice Nothing to claim.
    error ShareNothingToClaim(address account);
    /// @notice Revenue cannot be paid to the zero address.
    error ShareZeroRecipient();
    /// @notice Only the asset's timelock (a passed governance proposal) sweeps stranded revenue.
    error ShareNotAssetTimelock(address caller);
    /// @notice The holder is not an address that can never claim (this token, the primary sale, the
    /// market, the registry or the burn address 0x…dEaD).
    error ShareNotStranded(address holder);

    /// @notice Only the energy certificates contract (named by the production oracle) takes snapshots.
    error ShareNotCertificates(address caller);
    /// @notice The snapshot id was never taken.
    error ShareUnknownSnapshot(uint48 snapshotId);

    /// @notice A balance snapshot was taken (a production report was accepted for the asset).
    event SnapshotTaken(uint48 indexed snapshotId);
    /// @notice Revenue was deposited and distributed.
    /// @param depositId Sequence number of the deposit for this asset, from 1.
    /// @param depositor Operator or timelock that paid.
    /// @param productionReportId The production report this pays for, or 0.
    /// @param gross Amount paid in.
    /// @param fee Platform fee taken.
    /// @param reserve Maintenance reserve sent to the asset's timelock.
    /// @param distributed Amount distributed to holders (gross - fee - reserve).
    /// @param magnifiedRevenuePerShare The accumulator after the deposit (post-state).
    event RevenueDeposited(
        uint256 indexed depositId,
        address indexed depositor,
        uint256 indexed productionReportId,
        uint256 gross,
        uint256 fee,
        uint256 reserve,
        uint256 distributed,
        uint256 magnifiedRevenuePerShare
    );
    /// @notice Revenue owed to an account was paid out: claimed by its holder (to itself or to an address
    /// of its choice), or swept by governance from an address that can never claim.
    /// @param recipient Who received the payment.
    /// @param totalClaimed Everything paid out for the account so far (post-state).
    event RevenueClaimed(address indexed account, address indexed recipient, uint256 amount, uint256 totalClaimed);
    /// @notice The primary sale succeeded and shares became transferable.
    event TransfersActivated(uint256 indexed assetId);

    /// @notice Sets up a fresh clone. Called once, by the registry (which the token then trusts).
    function initialize(
        string calldata name,
        string calldata symbol,
        uint256 assetId,
        address identityRegistry,
        address paymentToken
    ) external;

    /// @notice Mints sold shares. Called by the primary sale.
    function mint(address to, uint256 shares) external;

    /// @notice Burns refunded shares. Called by the primary sale.
    function burn(address from, uint256 shares) external;

    /// @notice Opens transfers after a successful sale. Called by the primary sale.
    function activate() external;

    /// @notice Deposits revenue (pulled from the caller), optionally for a production report.
    /// @dev Operator deposits pay the platform fee and the maintenance reserve first; timelock deposits
    /// (reserve releases, residual value) are distributed whole. Reverts when no share exists.
    function depositRevenue(uint256 amount, uint256 productionReportId) external;

    /// @notice Sends the caller everything it is owed. Works while paused.
    /// @return amount What was paid.
    function claimRevenue() external returns (uint256 amount);

    /// @notice Sends everything the caller is owed to `recipient` (e.g. when the stablecoin blocklists
    /// the caller's own address). Works while paused.
    /// @return amount What was paid.
    function claimRevenueTo(address recipient) external returns (uint256 amount);

    /// @notice Pays `recipient` the revenue owed to an address that can never claim it: this token, the
    /// primary sale, the market, the registry or the burn address 0x…dEaD. Called by the asset's
    /// timelock (a passed governance proposal).
    /// @return amount What was paid.
    function sweepStrandedRevenue(address holder, address recipient) external returns (uint256 amount);

    /// @notice Takes a snapshot of every balance (lazily: each account's first change afterwards keeps its
    /// balance at the snapshot), numbered `currentSnapshotId()` (ids start at 1). Called by the energy
    /// certificates contract when a report is accepted.
    function snapshot() external;

    /// @notice An account's balance at a snapshot. Reverts for an id not yet taken.
    function balanceOfAt(address account, uint48 snapshotId) external view returns (uint256);

    /// @notice The last snapshot id (0: none yet).
    function currentSnapshotId() external view returns (uint48);

    /// @notice What the account can claim now.
    function claimableRevenueOf(address account) external view returns (uint256);

    /// @notice Everything the account has claimed.
    function claimedRevenueOf(address account) external view returns (uint256);

    /// @notice Everything distributed to holders so far (after fees and reserve).
    function totalRevenueDistributed() external view returns (uint256);

    /// @notice The revenue accumulator, magnified by 2**128.
    function magnifiedRevenuePerShare() external view returns (uint256);

    /// @notice The asset this token belongs to.
    function assetId() external view returns (uint256);

    /// @notice The stablecoin revenue is paid in.
    function paymentToken() external view returns (address);

    /// @notice The identity registry holders must be verified in, or 0 when unrestricted.
    function identityRegistry() external view returns (address);

    /// @notice Whether transfers are open (the primary sale succeeded).
    function transfersActive() external view returns (bool);
}
