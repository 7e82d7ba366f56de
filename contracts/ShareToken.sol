// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {ERC20Upgradeable} from "@openzeppelin/contracts-upgradeable/token/ERC20/ERC20Upgradeable.sol";
import {ERC20PermitUpgradeable} from
    "@openzeppelin/contracts-upgradeable/token/ERC20/extensions/ERC20PermitUpgradeable.sol";
import {ERC20VotesUpgradeable} from
    "@openzeppelin/contracts-upgradeable/token/ERC20/extensions/ERC20VotesUpgradeable.sol";
import {NoncesUpgradeable} from "@openzeppelin/contracts-upgradeable/utils/NoncesUpgradeable.sol";

import {IAssetRegistry} from "./interfaces/IAssetRegistry.sol";
import {IIdentityRegistry} from "./interfaces/IIdentityRegistry.sol";
import {IProductionOracle} from "./interfaces/IProductionOracle.sol";
import {IShareToken} from "./interfaces/IShareToken.sol";
import {AssetTypes} from "./libraries/AssetTypes.sol";

/// @title ShareToken
/// @notice One asset's shares and its revenue distribution. See {IShareToken}.
/// @dev Revenue accounting: `_magnifiedRevenuePerShare` grows by `distributed * 2**128 / supply` on each
/// deposit (the remainder is carried to the next deposit). An account is owed
/// `(perShare * balance + correction) / 2**128 - claimed`; every balance change adjusts the correction
/// by `perShare * value` *before* the balance moves, so shares carry no revenue deposited before their
/// holder got them. The accumulator sees every balance, delegated or not.
///
/// Balance snapshots (for energy certificates): the certificates contract takes a snapshot when a
/// production report is accepted. The first balance change of an account after a snapshot records the
/// balance it had before the change, keyed by that snapshot's id (ERC20Snapshot style), so each account
/// pays one checkpoint per report that its balance outlives, and reading a past balance is a binary
/// search over that account's own checkpoints, whatever the number of holders.
contract ShareToken is
    IShareToken,
    ERC20Upgradeable,
    ERC20PermitUpgradeable,
    ERC20VotesUpgradeable,
    ReentrancyGuardTransient
{
    using SafeERC20 for IERC20;
    using SafeCast for uint256;
    using SafeCast for int256;
    using Checkpoints for Checkpoints.Trace208;

    uint256 private constant MAGNITUDE = 2 ** 128;
    uint256 private constant BPS = 10_000;
    /// @dev The conventional burn address: shares sent there can never claim.
    address private constant DEAD = 0x000000000000000000000000000000000000dEaD;

    IAssetRegistry private _registry;
    address private _primarySale;
    IIdentityRegistry private _identityRegistry;
    IERC20 private _paymentToken;
    uint256 private _assetId;
    bool private _transfersActive;

    uint256 private _magnifiedRevenuePerShare;
    uint256 private _magnifiedRemainder;
    uint256 private _totalDistributed;
    uint256 private _depositCount;
    mapping(address account => int256) private _corrections;
    mapping(address account => uint256) private _claimed;
    mapping(uint256 reportId => bool) private _reportPaid;
    mapping(address account => bool) private _abstains;
    uint48 private _snapshotId;
    // Written through storage pointers (Checkpoints.push), which Slither does not follow.
    // slither-disable-next-line uninitialized-state
    mapping(address account => Checkpoints.Trace208) private _balanceSnapshots;

    modifier onlyPrimarySale() {
        if (msg.sender != _primarySale) revert ShareNotPrimarySale(msg.sender);
        _;
    }

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /// @inheritdoc IShareToken
    function initialize(
        string calldata name_,
        string calldata symbol_,
        uint256 assetId_,
        address identityRegistry_,
        address paymentToken_
    ) external initializer {
        __ERC20_init(name_, symbol_);
        __ERC20Permit_init(name_);
        __ERC20Votes_init();
        _registry = IAssetRegistry(msg.sender);
        _primarySale = IAssetRegistry(msg.sender).primarySale();
        _identityRegistry = IIdentityRegistry(identityRegistry_);
        _paymentToken = IERC20(paymentToken_);
        _assetId = assetId_;
    }

    /// @inheritdoc IShareToken
    function mint(address to, uint256 shares) external onlyPrimarySale {
        _mint(to, shares);
    }

    /// @inheritdoc IShareToken
    function burn(address from, uint256 shares) external onlyPrimarySale {
        _burn(from, shares);
    }

    /// @inheritdoc IShareToken
    function activate() external onlyPrimarySale {
        _transfersActive = true;
        emit TransfersActivated(_assetId);
    }

    /// @inheritdoc IShareToken
    function depositRevenue(uint256 amount, uint256 productionReportId) external nonReentrant {
        IAssetRegistry registry = _registry;
        IAssetRegistry.Asset memory record = registry.asset(_assetId);
        bool fromTimelock = msg.sender == record.contracts.timelock;
        if (msg.sender != record.operator && !fromTimelock) revert ShareNotRevenueDepositor(msg.sender);
        if (record.status != AssetTypes.Status.Active && record.status != AssetTypes.Status.Decommissioned) {
            revert ShareRevenueNotAccepted(_assetId);
        }
        if (amount == 0) revert ShareZeroRevenue();
        if (productionReportId != 0) _markReportPaid(registry, productionReportId);

        // Operator deposits pay the platform and the reserve first; the timelock's own deposits
        // (reserve releases, residual value) go to holders whole.
        // Both rounded up, in the platform's favour, so that small deposits never escape them; the
        // reserve takes at most what the fee leaves.
        uint256 fee = fromTimelock ? 0 : Math.mulDiv(amount, registry.revenueFeeBps(), BPS, Math.Rounding.Ceil);
        uint256 reserve =
            fromTimelock ? 0 : Math.min(Math.mulDiv(amount, record.reserveBps, BPS, Math.Rounding.Ceil), amount - fee);
        uint256 distributed = amount - fee - reserve;
        (uint256 depositId, uint256 perShare) = _distribute(distributed);

        IERC20 token = _paymentToken;
        token.safeTransferFrom(msg.sender, address(this), distributed);
        if (fee != 0) token.safeTransferFrom(msg.sender, registry.feeRecipient(), fee);
        if (reserve != 0) token.safeTransferFrom(msg.sender, record.contracts.timelock, reserve);
        emit RevenueDeposited(depositId, msg.sender, productionReportId, amount, fee, reserve, distributed, perShare);
    }

    /// @inheritdoc IShareToken
    function snapshot() external {
        IProductionOracle oracle = IProductionOracle(_registry.productionOracle());
        if (msg.sender != address(oracle.energyCertificates())) revert ShareNotCertificates(msg.sender);
        uint48 snapshotId = _snapshotId + 1;
        _snapshotId = snapshotId;
        emit SnapshotTaken(snapshotId);
    }

    /// @inheritdoc IShareToken
    function balanceOfAt(address account, uint48 snapshotId) external view returns (uint256) {
        if (snapshotId == 0 || snapshotId > _snapshotId) revert ShareUnknownSnapshot(snapshotId);
        Checkpoints.Trace208 storage history = _balanceSnapshots[account];
        // No checkpoint at or after the snapshot: the balance has not changed since.
        if (_lastSnapshotKept(history) < snapshotId) return balanceOf(account);
        return history.lowerLookup(snapshotId);
    }

    /// @inheritdoc IShareToken
    function currentSnapshotId() external view returns (uint48) {
        return _snapshotId;
    }

    /// @inheritdoc IShareToken
    function claimRevenue() external nonReentrant returns (uint256 amount) {
        return _claim(msg.sender, msg.sender);
    }

    /// @inheritdoc IShareToken
    function claimRevenueTo(address recipient) external nonReentrant returns (uint256 amount) {
        if (recipient == address(0)) revert ShareZeroRecipient();
        return _claim(msg.sender, recipient);
    }

    /// @inheritdoc IShareToken
    function sweepStrandedRevenue(address holder, address recipient) external nonReentrant returns (uint256 amount) {
        IAssetRegistry registry = _registry;
        if (msg.sender != registry.asset(_assetId).contracts.timelock) revert ShareNotAssetTimelock(msg.sender);
        if (recipient == address(0)) revert ShareZeroRecipient();
        if (
            holder != address(this) && holder != _primarySale && holder != registry.shareMarket()
                && holder != address(registry) && holder != DEAD
        ) revert ShareNotStranded(holder);
        return _claim(holder, recipient);
    }

    /// @inheritdoc IShareToken
    function claimableRevenueOf(address account) public view returns (uint256) {
        int256 magnified = (_magnifiedRevenuePerShare * balanceOf(account)).toInt256() + _corrections[account];
        // The sum is never negative: a correction only removes what the same shares accrued elsewhere.
        return magnified.toUint256() / MAGNITUDE - _claimed[account];
    }

    /// @inheritdoc IShareToken
    function claimedRevenueOf(address account) external view returns (uint256) {
        return _claimed[account];
    }

    /// @inheritdoc IShareToken
    function totalRevenueDistributed() external view returns (uint256) {
        return _totalDistributed;
    }

    /// @inheritdoc IShareToken
    function magnifiedRevenuePerShare() external view returns (uint256) {
        return _magnifiedRevenuePerShare;
    }

    /// @inheritdoc IShareToken
    function assetId() external view returns (uint256) {
        return _assetId;
    }

    /// @inheritdoc IShareToken
    function paymentToken() external view returns (address) {
        return address(_paymentToken);
    }

    /// @inheritdoc IShareToken
    function identityRegistry() external view returns (address) {
        return address(_identityRegistry);
    }

    /// @inheritdoc IShareToken
    function transfersActive() external view returns (bool) {
        return _transfersActive;
    }

    /// @notice Shares are whole units.
    function decimals() public pure override returns (uint8) {
        return 0;
    }

    /// @notice Voting uses timestamps, so governance periods are in seconds.
    function clock() public view override returns (uint48) {
        return uint48(block.timestamp);
    }

    /// @notice See EIP-6372.
    // solhint-disable-next-line func-name-mixedcase
    function CLOCK_MODE() public pure override returns (string memory) {
        return "mode=timestamp";
    }

    /// @inheritdoc ERC20PermitUpgradeable
    function nonces(address owner) public view override(ERC20PermitUpgradeable, NoncesUpgradeable) returns (uint256) {
        return super.nonces(owner);
    }

    /// @dev Every balance change: transfer lock, pause and identity checks (burns, which only refunds
    /// make, are never blocked), default self-delegation of the recipient, then the revenue corrections,
    /// all before the balances move.
    function _update(address from, address to, uint256 value)
        internal
        override(ERC20Upgradeable, ERC20VotesUpgradeable)
    {
        if (to != address(0)) {
            if (from != address(0) && !_transfersActive) revert ShareTransfersLocked(_assetId);
            if (_registry.isPaused(_assetId)) revert SharePaused(_assetId);
            IIdentityRegistry identities = _identityRegistry;
            if (address(identities) != address(0) && !identities.isVerified(to)) {
                revert ShareRecipientNotVerified(to);
            }
            if (delegates(to) == address(0) && !_abstains[to]) _delegate(to, to);
        }
        uint48 snapshotId = _snapshotId;
        if (snapshotId != 0) {
            _recordSnapshotBalance(from, snapshotId);
            _recordSnapshotBalance(to, snapshotId);
        }
        uint256 perShare = _magnifiedRevenuePerShare;
        if (perShare != 0) {
            int256 correction = (perShare * value).toInt256();
            if (from != address(0)) _corrections[from] += correction;
            if (to != address(0)) _corrections[to] -= correction;
        }
        super._update(from, to, value);
    }

    /// @dev Remembers a holder's explicit choice not to vote (delegating to zero), so that receiving
    /// shares later does not self-delegate it again. On an asset that requires verified holders, votes
    /// go only to a verified delegatee.
    function _delegate(address account, address delegatee) internal override {
        IIdentityRegistry identities = _identityRegistry;
        if (delegatee != address(0) && address(identities) != address(0) && !identities.isVerified(delegatee)) {
            revert ShareDelegateeNotVerified(delegatee);
        }
        _abstains[account] = delegatee == address(0);
        super._delegate(account, delegatee);
    }

    /// @dev Before an account's first balance change after snapshot `snapshotId`, keeps the balance it
    /// had at that snapshot (the mint and burn address 0 has none).
    function _recordSnapshotBalance(address account, uint48 snapshotId) private {
        if (account == address(0)) return;
        Checkpoints.Trace208 storage history = _balanceSnapshots[account];
        if (_lastSnapshotKept(history) == snapshotId) return;
        // The balance fits: ERC20Votes caps the total supply at 2**208 - 1. push's return values
        // (the previous and new latest values) are not needed.
        // slither-disable-next-line unused-return
        history.push(snapshotId, uint208(balanceOf(account)));
    }

    /// @dev The snapshot id of an account's last kept balance, or 0 when none was kept.
    function _lastSnapshotKept(Checkpoints.Trace208 storage history) private view returns (uint48) {
        uint256 count = history.length();
        return count == 0 ? 0 : history.at(uint32(count - 1))._key;
    }

    /// @dev Pays `recipient` everything `account` is owed.
    function _claim(address account, address recipient) private returns (uint256 amount) {
        amount = claimableRevenueOf(account);
        if (amount == 0) revert ShareNothingToClaim(account);
        uint256 total = _claimed[account] + amount;
        _claimed[account] = total;
        emit RevenueClaimed(account, recipient, amount, total);
        _paymentToken.safeTransfer(recipient, amount);
    }

    /// @dev Raises the accumulator by `distributed` over the current supply, carrying the division's
    /// remainder to the next deposit so that rounding never loses or invents revenue.
    function _distribute(uint256 distributed) private returns (uint256 depositId, uint256 perShare) {
        uint256 supply = totalSupply();
        if (supply == 0) revert ShareNoShares();
        uint256 magnified = distributed * MAGNITUDE + _magnifiedRemainder;
        perShare = _magnifiedRevenuePerShare + magnified / supply;
        _magnifiedRevenuePerShare = perShare;
        _magnifiedRemainder = magnified % supply;
        _totalDistributed += distributed;
        depositId = ++_depositCount;
    }

    function _markReportPaid(IAssetRegistry registry, uint256 reportId) private {
        IProductionOracle oracle = IProductionOracle(registry.productionOracle());
        if (oracle.report(reportId).assetId != _assetId) revert ShareUnknownProductionReport(reportId);
        if (_reportPaid[reportId]) revert ShareProductionAlreadyPaid(reportId);
        _reportPaid[reportId] = true;
    }
}
