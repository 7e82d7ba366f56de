// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC1155} from "@openzeppelin/contracts/token/ERC1155/ERC1155.sol";
import {ERC1155Supply} from "@openzeppelin/contracts/token/ERC1155/extensions/ERC1155Supply.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {IAssetRegistry} from "./interfaces/IAssetRegistry.sol";
import {IEnergyCertificates} from "./interfaces/IEnergyCertificates.sol";
import {IIdentityRegistry} from "./interfaces/IIdentityRegistry.sol";
import {IShareToken} from "./interfaces/IShareToken.sol";

/// @title EnergyCertificates
/// @notice ERC-1155 energy certificates, 1 unit = 1 Wh, keyed by asset and vintage. See {IEnergyCertificates}.
/// @dev Issued by the production oracle in the transaction that accepts a report; claimed pro rata to the
/// share token's balance snapshot of that moment; moved under the asset's pause and identity rules;
/// retired by burning, with the retirement kept on chain and its details in the event.
contract EnergyCertificates is IEnergyCertificates, ERC1155Supply {
    /// @notice The platform registry, which names the production oracle and each asset's share token.
    IAssetRegistry public immutable registry;

    mapping(uint256 reportId => Issuance) private _issuances;
    mapping(uint256 reportId => mapping(address account => uint256 energyWh)) private _claimed;
    mapping(uint256 id => uint256 energyWh) private _retiredEnergy;
    mapping(uint256 assetId => uint256 energyWh) private _certifiedEnergy;
    mapping(uint256 assetId => IShareToken) private _shareTokens;
    mapping(uint256 retirementId => Retirement) private _retirements;
    uint256 private _retirementCount;

    /// @param registry_ The platform registry.
    /// @param uri_ The ERC-1155 metadata URI template (`{id}` replaced by the hex token id), may be empty.
    constructor(IAssetRegistry registry_, string memory uri_) ERC1155(uri_) {
        registry = registry_;
    }

    /// @inheritdoc IEnergyCertificates
    function issue(uint256 reportId, uint256 assetId, uint64 periodStart, uint64 periodEnd, uint256 energyWh)
        external
    {
        if (msg.sender != registry.productionOracle()) revert CertificatesNotOracle(msg.sender);
        if (_issuances[reportId].snapshotId != 0) revert CertificatesAlreadyIssued(reportId);
        uint256 id = tokenIdOf(assetId, periodStart, periodEnd);

        IShareToken token = _shareTokens[assetId];
        if (address(token) == address(0)) {
            token = IShareToken(registry.asset(assetId).contracts.shareToken);
            _shareTokens[assetId] = token;
        }
        // Only this contract takes the token's snapshots, so the one taken below gets the next id.
        uint48 snapshotId = token.currentSnapshotId() + 1;
        uint256 supply = IERC20(address(token)).totalSupply();
        _issuances[reportId] = Issuance({id: id, energyWh: energyWh, supply: supply, snapshotId: snapshotId});
        uint256 certified = _certifiedEnergy[assetId] + energyWh;
        _certifiedEnergy[assetId] = certified;
        emit CertificatesIssued(
            id, assetId, reportId, periodStart, periodEnd, energyWh, supply, snapshotId, certified
        );
        token.snapshot();
    }

    /// @inheritdoc IEnergyCertificates
    function claim(uint256[] calldata reportIds) external returns (uint256[] memory amounts) {
        uint256 count = reportIds.length;
        if (count == 0) revert CertificatesNoReports();
        amounts = new uint256[](count);
        uint256[] memory ids = new uint256[](count);
        for (uint256 i; i < count; ++i) {
            uint256 reportId = reportIds[i];
            uint256 entitlement = entitlementOf(msg.sender, reportId);
            // A claim always takes the whole entitlement: what was claimed is either 0 or all of it.
            if (entitlement == 0 || _claimed[reportId][msg.sender] != 0) {
                revert CertificatesNothingToClaim(msg.sender, reportId);
            }
            _claimed[reportId][msg.sender] = entitlement;
            uint256 id = _issuances[reportId].id;
            ids[i] = id;
            amounts[i] = entitlement;
            emit CertificatesClaimed(reportId, msg.sender, id, entitlement);
        }
        _mintBatch(msg.sender, ids, amounts, "");
    }

    /// @inheritdoc IEnergyCertificates
    function retire(
        uint256 id,
        uint256 energyWh,
        string calldata beneficiary,
        string calldata purpose,
        string calldata location
    ) external returns (uint256 retirementId) {
        if (energyWh == 0) revert CertificatesZeroEnergy();
        if (bytes(beneficiary).length == 0) revert CertificatesNoBeneficiary();
        _burn(msg.sender, id, energyWh);
        _retiredEnergy[id] += energyWh;
        retirementId = ++_retirementCount;
        bytes32 claimHash = keccak256(abi.encode(beneficiary, purpose, location));
        _retirements[retirementId] = Retirement({
            account: msg.sender,
            retiredAt: uint64(block.timestamp),
            id: id,
            energyWh: energyWh,
            claimHash: claimHash
        });
        emit CertificatesRetired(retirementId, msg.sender, id, energyWh, beneficiary, purpose, location, claimHash);
    }

    /// @inheritdoc IEnergyCertificates
    function tokenIdOf(uint256 assetId, uint64 periodStart, uint64 periodEnd) public pure returns (uint256) {
        if (assetId >= 2 ** 128) revert CertificatesAssetIdTooLarge(assetId);
        return (assetId << 128) | (uint256(periodStart) << 64) | uint256(periodEnd);
    }

    /// @inheritdoc IEnergyCertificates
    function vintageOf(uint256 id) public pure returns (uint256 assetId, uint64 periodStart, uint64 periodEnd) {
        return (id >> 128, uint64(id >> 64), uint64(id));
    }

    /// @inheritdoc IEnergyCertificates
    function issuance(uint256 reportId) external view returns (Issuance memory) {
        return _issuances[reportId];
    }

    /// @inheritdoc IEnergyCertificates
    function entitlementOf(address account, uint256 reportId) public view returns (uint256) {
        Issuance storage issued = _issuances[reportId];
        uint48 snapshotId = issued.snapshotId;
        if (snapshotId == 0) revert CertificatesUnknownReport(reportId);
        uint256 supply = issued.supply;
        if (supply == 0) return 0;
        (uint256 assetId,,) = vintageOf(issued.id);
        uint256 shares = _shareTokens[assetId].balanceOfAt(account, snapshotId);
        // Rounded down: the entitlements of a report never add up to more than its energy.
        return Math.mulDiv(issued.energyWh, shares, supply);
    }

    /// @inheritdoc IEnergyCertificates
    function claimedOf(address account, uint256 reportId) external view returns (uint256) {
        return _claimed[reportId][account];
    }

    /// @inheritdoc IEnergyCertificates
    function claimableOf(address account, uint256 reportId) external view returns (uint256) {
        return entitlementOf(account, reportId) - _claimed[reportId][account];
    }

    /// @inheritdoc IEnergyCertificates
    function certifiedEnergyOf(uint256 assetId) external view returns (uint256) {
        return _certifiedEnergy[assetId];
    }

    /// @inheritdoc IEnergyCertificates
    function retiredEnergyOf(uint256 id) external view returns (uint256) {
        return _retiredEnergy[id];
    }

    /// @inheritdoc IEnergyCertificates
    function retirement(uint256 retirementId) external view returns (Retirement memory) {
        return _retirements[retirementId];
    }

    /// @inheritdoc IEnergyCertificates
    function retirementCount() external view returns (uint256) {
        return _retirementCount;
    }

    /// @dev Transfers (not claims, which mint, nor retirements, which burn) follow the asset's rules:
    /// nothing moves while it is paused, and an asset that requires verified holders requires them here.
    function _update(address from, address to, uint256[] memory ids, uint256[] memory values)
        internal
        override
    {
        if (from != address(0) && to != address(0)) {
            IAssetRegistry registry_ = registry;
            for (uint256 i; i < ids.length; ++i) {
                (uint256 assetId,,) = vintageOf(ids[i]);
                if (registry_.isPaused(assetId)) revert CertificatesAssetPaused(assetId);
                IShareToken token = _shareTokens[assetId];
                address identities = address(token) == address(0) ? address(0) : token.identityRegistry();
                if (identities != address(0) && !IIdentityRegistry(identities).isVerified(to)) {
                    revert CertificatesRecipientNotVerified(to, assetId);
                }
            }
        }
        super._update(from, to, ids, values);
    }
}
