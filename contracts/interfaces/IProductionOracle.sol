// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IEnergyCertificates} from "./IEnergyCertificates.sol";

/// @title IProductionOracle
/// @notice Records the energy each asset produces. Each registered meter signs its readings as EIP-712
/// typed data with its own key, so every reading can be traced to the device that made it; the asset's
/// operator (or the meter itself) relays the signed reading on chain.
/// @dev Each meter's periods must follow one another: a reading starting before the end of the meter's
/// previous one is a duplicate or an overlap and is refused. Gaps are allowed and cannot be filled later.
/// A meter's first period starts no earlier than its registration (so a replacement meter never reports
/// what the meter it replaces reported). Every accepted reading is certified in the same transaction by
/// {IEnergyCertificates}.
interface IProductionOracle {
    /// @notice A meter's signed statement of the energy produced over a period.
    /// @param assetId The asset the meter measures.
    /// @param meter The meter's address (its signing key).
    /// @param periodStart Start of the period (unix seconds, inclusive).
    /// @param periodEnd End of the period (unix seconds, exclusive).
    /// @param energyWh Energy produced over the period, in watt-hours.
    struct Reading {
        uint256 assetId;
        address meter;
        uint64 periodStart;
        uint64 periodEnd;
        uint256 energyWh;
    }

    /// @notice Only a meter admin registers and revokes meters.
    error OracleNotMeterAdmin(address caller);
    /// @notice The meter is not registered (or was revoked).
    error OracleUnknownMeter(address meter);
    /// @notice The meter is already registered.
    error OracleMeterAlreadyRegistered(address meter, uint256 assetId);
    /// @notice The meter measures another asset.
    error OracleMeterAssetMismatch(address meter, uint256 meterAssetId, uint256 readingAssetId);
    /// @notice The asset is not registered.
    error OracleUnknownAsset(uint256 assetId);
    /// @notice The signature is not the meter's.
    error OracleInvalidSignature(address meter);
    /// @notice The period is empty or ends in the future.
    error OracleInvalidPeriod(uint64 periodStart, uint64 periodEnd);
    /// @notice The period starts before the end of the meter's last reported period.
    error OraclePeriodOverlaps(address meter, uint64 periodStart, uint64 lastPeriodEnd);
    /// @notice Only the asset's operator or the meter relays a reading (so that nobody else can
    /// reorder a meter's readings and make the earlier one unrecordable).
    error OracleNotRelayer(address caller);
    /// @notice A meter address of zero.
    error OracleZeroMeter();
    /// @notice The certificates contract's address is zero.
    error OracleZeroCertificates();

    /// @notice A meter was registered for an asset.
    event MeterRegistered(address indexed meter, uint256 indexed assetId);
    /// @notice A meter was revoked.
    event MeterRevoked(address indexed meter, uint256 indexed assetId);
    /// @notice A reading was recorded.
    /// @param assetTotalWh The asset's total recorded energy after this report (post-state).
    event ProductionReported(
        uint256 indexed reportId,
        uint256 indexed assetId,
        address indexed meter,
        uint64 periodStart,
        uint64 periodEnd,
        uint256 energyWh,
        uint256 assetTotalWh
    );

    /// @notice Registers a meter for an asset; its readings may start from now. Called by a meter admin.
    function registerMeter(address meter, uint256 assetId) external;

    /// @notice Revokes a meter; its past reports stay. Called by a meter admin.
    function revokeMeter(address meter) external;

    /// @notice Records a reading signed by its meter.
    /// @param signature The meter's EIP-712 signature of the reading (65 bytes, or EIP-1271 for contract meters).
    /// @return reportId The new report's id (ids start at 1).
    function submitReading(Reading calldata reading, bytes calldata signature) external returns (uint256 reportId);

    /// @notice A recorded report.
    function report(uint256 reportId) external view returns (Reading memory);

    /// @notice The asset a meter measures, or 0 when it is not registered.
    function meterAsset(address meter) external view returns (uint256);

    /// @notice End of the meter's last reported period.
    function lastPeriodEnd(address meter) external view returns (uint64);

    /// @notice Energy recorded for an asset, in watt-hours.
    function totalEnergyOf(uint256 assetId) external view returns (uint256);

    /// @notice Number of reports (the last id).
    function reportCount() external view returns (uint256);

    /// @notice The energy certificates contract that certifies every accepted report.
    function energyCertificates() external view returns (IEnergyCertificates);

    /// @notice The EIP-712 digest a meter signs for a reading.
    function readingDigest(Reading calldata reading) external view returns (bytes32);
}
