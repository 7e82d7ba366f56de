// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IEnergyCertificates
/// @notice Energy attribute certificates for co-owners: every accepted production report becomes
/// certificates (ERC-1155, 1 unit = 1 Wh) that each holder of the asset's shares at that moment can claim
/// pro rata to its shares, hold, transfer (under the asset's rules) and retire for a named beneficiary.
/// @dev Token id = `assetId << 128 | periodStart << 64 | periodEnd`: the asset and the vintage (the
/// production period, unix seconds, end exclusive) are read from the id itself ({vintageOf}).
///
/// Why balance snapshots rather than a per-share accumulator: a vintage must go to the holders of the
/// moment its report was accepted. An accumulator sums every report into one figure per share, so a
/// claim could no longer say which periods its energy comes from, and one accumulator per vintage would
/// make every share transfer pay for every vintage. A snapshot per report (the share token keeps, for
/// each account, its balance before its first change after each snapshot) gives the exact holders of
/// that moment: a claim of report r pays `floor(energy(r) * balanceAt(r) / supplyAt(r))` and costs one
/// binary search over the claimer's own checkpoints, the same with 10 holders as with 1,000.
///
/// Rounding: each entitlement is rounded down, so the energy claimable from a report never exceeds
/// it; the remainder (less than 1 Wh per holder) stays with nobody, and a report accepted while no
/// share exists stays unclaimable. Integrity: each report is certified once, in the transaction that
/// accepts it (so a reorg removes both); the oracle refuses a period a meter already reported and a
/// period before a (replacement) meter's registration, so no energy is reported, nor certified, twice.
interface IEnergyCertificates {
    /// @notice What a report certified.
    /// @param id The token id of the report's vintage (several meters of one asset reporting the same
    /// period share it).
    /// @param energyWh The report's energy, in Wh.
    /// @param supply The asset's share supply when the report was accepted (0: unclaimable).
    /// @param snapshotId The share token's balance snapshot taken at that moment (0: no such report).
    struct Issuance {
        uint256 id;
        uint256 energyWh;
        uint256 supply;
        uint48 snapshotId;
    }

    /// @notice A retirement: the public proof that energy was consumed for a beneficiary.
    /// @param account Who retired (the certificates' holder).
    /// @param retiredAt When (unix seconds).
    /// @param id The certificates' token id (asset and vintage).
    /// @param energyWh How much, in Wh.
    /// @param claimHash keccak256(abi.encode(beneficiary, purpose, location)) as given in the event.
    struct Retirement {
        address account;
        uint64 retiredAt;
        uint256 id;
        uint256 energyWh;
        bytes32 claimHash;
    }

    /// @notice Only the production oracle issues certificates.
    error CertificatesNotOracle(address caller);
    /// @notice The report was already certified.
    error CertificatesAlreadyIssued(uint256 reportId);
    /// @notice The asset id does not fit in a token id (2**128 and above).
    error CertificatesAssetIdTooLarge(uint256 assetId);
    /// @notice No such report was certified.
    error CertificatesUnknownReport(uint256 reportId);
    /// @notice The account has nothing (left) to claim from this report.
    error CertificatesNothingToClaim(address account, uint256 reportId);
    /// @notice A claim of no reports.
    error CertificatesNoReports();
    /// @notice A retirement of zero Wh.
    error CertificatesZeroEnergy();
    /// @notice A retirement without a beneficiary.
    error CertificatesNoBeneficiary();
    /// @notice The asset (or the platform) is paused: certificates cannot move (claim and retire still work).
    error CertificatesAssetPaused(uint256 assetId);
    /// @notice The asset requires verified holders and the recipient is not verified (or expired).
    error CertificatesRecipientNotVerified(address recipient, uint256 assetId);

    /// @notice A production report was certified.
    /// @param id The token id (asset and vintage).
    /// @param reportId The production report.
    /// @param energyWh The report's energy, in Wh.
    /// @param supply The share supply at that moment.
    /// @param snapshotId The share token's snapshot of the holders at that moment.
    /// @param assetCertifiedWh The asset's certified energy after this report (post-state).
    event CertificatesIssued(
        uint256 indexed id,
        uint256 indexed assetId,
        uint256 indexed reportId,
        uint64 periodStart,
        uint64 periodEnd,
        uint256 energyWh,
        uint256 supply,
        uint48 snapshotId,
        uint256 assetCertifiedWh
    );
    /// @notice An account claimed its entitlement of a report (the ERC-1155 mint of `id` follows).
    event CertificatesClaimed(uint256 indexed reportId, address indexed account, uint256 indexed id, uint256 energyWh);
    /// @notice Certificates were retired (burned) for a beneficiary: the public proof of consumption.
    /// @param retirementId The proof's id, from 1.
    /// @param claimHash keccak256(abi.encode(beneficiary, purpose, location)), as kept on chain.
    event CertificatesRetired(
        uint256 indexed retirementId,
        address indexed account,
        uint256 indexed id,
        uint256 energyWh,
        string beneficiary,
        string purpose,
        string location,
        bytes32 claimHash
    );

    /// @notice Certifies an accepted production report and takes the asset's share snapshot. Called by
    /// the production oracle, in the same transaction that accepts the report.
    function issue(uint256 reportId, uint256 assetId, uint64 periodStart, uint64 periodEnd, uint256 energyWh)
        external;

    /// @notice Mints to the caller its entitlement of each report (as certificates of the report's
    /// vintage). Works while the asset is paused.
    /// @return amounts What was claimed of each report, in Wh.
    function claim(uint256[] calldata reportIds) external returns (uint256[] memory amounts);

    /// @notice Burns the caller's certificates for a beneficiary. Works while the asset is paused.
    /// @param beneficiary Who consumed the energy (a person, a company, a site).
    /// @param purpose What for (e.g. "2028 scope 2 reporting").
    /// @param location Where it was consumed (e.g. a country code or an address).
    /// @return retirementId The proof's id.
    function retire(
        uint256 id,
        uint256 energyWh,
        string calldata beneficiary,
        string calldata purpose,
        string calldata location
    ) external returns (uint256 retirementId);

    /// @notice The token id of an asset's vintage.
    function tokenIdOf(uint256 assetId, uint64 periodStart, uint64 periodEnd) external pure returns (uint256);

    /// @notice The asset and vintage of a token id.
    function vintageOf(uint256 id) external pure returns (uint256 assetId, uint64 periodStart, uint64 periodEnd);

    /// @notice What a report certified (a zero snapshot id: nothing).
    function issuance(uint256 reportId) external view returns (Issuance memory);

    /// @notice An account's pro-rata part of a report, claimed or not.
    function entitlementOf(address account, uint256 reportId) external view returns (uint256);

    /// @notice What an account has claimed of a report.
    function claimedOf(address account, uint256 reportId) external view returns (uint256);

    /// @notice What an account can claim of a report now.
    function claimableOf(address account, uint256 reportId) external view returns (uint256);

    /// @notice Energy certified for an asset, in Wh (equal to what its meters reported).
    function certifiedEnergyOf(uint256 assetId) external view returns (uint256);

    /// @notice Energy retired of a vintage, in Wh.
    function retiredEnergyOf(uint256 id) external view returns (uint256);

    /// @notice A retirement by id.
    function retirement(uint256 retirementId) external view returns (Retirement memory);

    /// @notice Number of retirements (the last id).
    function retirementCount() external view returns (uint256);
}
