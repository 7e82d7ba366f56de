// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";

import {IAssetRegistry} from "./interfaces/IAssetRegistry.sol";
import {IEnergyCertificates} from "./interfaces/IEnergyCertificates.sol";
import {IProductionOracle} from "./interfaces/IProductionOracle.sol";

/// @title ProductionOracle
/// @notice Meter-signed production readings per asset. See {IProductionOracle}.
/// @dev EIP-712 domain: name "EnergyProductionOracle", version "1".
contract ProductionOracle is IProductionOracle, EIP712 {
    /// @notice EIP-712 type hash of a {Reading}.
    bytes32 public constant READING_TYPEHASH = keccak256(
        "Reading(uint256 assetId,address meter,uint64 periodStart,uint64 periodEnd,uint256 energyWh)"
    );

    /// @notice The platform registry, which holds the meter admin role.
    IAssetRegistry public immutable registry;
    bytes32 private immutable _meterAdminRole;
    IEnergyCertificates private immutable _certificates;

    uint256 private _reportCount;
    mapping(uint256 reportId => Reading) private _reports;
    mapping(address meter => uint256 assetId) private _meterAsset;
    mapping(address meter => uint64) private _lastPeriodEnd;
    mapping(uint256 assetId => uint256 energyWh) private _totalEnergy;

    /// @param registry_ The platform registry.
    /// @param meterAdminRole The registry role allowed to register meters.
    /// @param certificates The energy certificates contract, which certifies every accepted report.
    constructor(IAssetRegistry registry_, bytes32 meterAdminRole, IEnergyCertificates certificates)
        EIP712("EnergyProductionOracle", "1")
    {
        if (address(certificates) == address(0)) revert OracleZeroCertificates();
        registry = registry_;
        _meterAdminRole = meterAdminRole;
        _certificates = certificates;
    }

    /// @inheritdoc IProductionOracle
    function registerMeter(address meter, uint256 assetId) external {
        _onlyMeterAdmin();
        if (meter == address(0)) revert OracleZeroMeter();
        if (assetId == 0 || assetId > registry.assetCount()) revert OracleUnknownAsset(assetId);
        uint256 current = _meterAsset[meter];
        if (current != 0) revert OracleMeterAlreadyRegistered(meter, current);
        _meterAsset[meter] = assetId;
        // A meter reports only what it measured: nothing from before its registration.
        if (_lastPeriodEnd[meter] < block.timestamp) _lastPeriodEnd[meter] = uint64(block.timestamp);
        emit MeterRegistered(meter, assetId);
    }

    /// @inheritdoc IProductionOracle
    function revokeMeter(address meter) external {
        _onlyMeterAdmin();
        uint256 assetId = _meterAsset[meter];
        if (assetId == 0) revert OracleUnknownMeter(meter);
        _meterAsset[meter] = 0;
        emit MeterRevoked(meter, assetId);
    }

    /// @inheritdoc IProductionOracle
    function submitReading(Reading calldata reading, bytes calldata signature) external returns (uint256 reportId) {
        address meter = reading.meter;
        uint256 meterAssetId = _meterAsset[meter];
        if (meterAssetId == 0) revert OracleUnknownMeter(meter);
        if (meterAssetId != reading.assetId) revert OracleMeterAssetMismatch(meter, meterAssetId, reading.assetId);
        if (reading.periodStart >= reading.periodEnd || reading.periodEnd > block.timestamp) {
            revert OracleInvalidPeriod(reading.periodStart, reading.periodEnd);
        }
        if (msg.sender != meter && msg.sender != registry.operatorOf(reading.assetId)) {
            revert OracleNotRelayer(msg.sender);
        }
        uint64 lastEnd = _lastPeriodEnd[meter];
        if (reading.periodStart < lastEnd) revert OraclePeriodOverlaps(meter, reading.periodStart, lastEnd);
        if (!SignatureChecker.isValidSignatureNow(meter, _digest(reading), signature)) {
            revert OracleInvalidSignature(meter);
        }

        reportId = ++_reportCount;
        _reports[reportId] = reading;
        _lastPeriodEnd[meter] = reading.periodEnd;
        uint256 total = _totalEnergy[reading.assetId] + reading.energyWh;
        _totalEnergy[reading.assetId] = total;
        emit ProductionReported(
            reportId, reading.assetId, meter, reading.periodStart, reading.periodEnd, reading.energyWh, total
        );
        // The report's energy becomes certificates for the asset's holders of this moment.
        _certificates.issue(reportId, reading.assetId, reading.periodStart, reading.periodEnd, reading.energyWh);
    }

    /// @inheritdoc IProductionOracle
    function energyCertificates() external view returns (IEnergyCertificates) {
        return _certificates;
    }

    /// @inheritdoc IProductionOracle
    function report(uint256 reportId) external view returns (Reading memory) {
        return _reports[reportId];
    }

    /// @inheritdoc IProductionOracle
    function meterAsset(address meter) external view returns (uint256) {
        return _meterAsset[meter];
    }

    /// @inheritdoc IProductionOracle
    function lastPeriodEnd(address meter) external view returns (uint64) {
        return _lastPeriodEnd[meter];
    }

    /// @inheritdoc IProductionOracle
    function totalEnergyOf(uint256 assetId) external view returns (uint256) {
        return _totalEnergy[assetId];
    }

    /// @inheritdoc IProductionOracle
    function reportCount() external view returns (uint256) {
        return _reportCount;
    }

    /// @inheritdoc IProductionOracle
    function readingDigest(Reading calldata reading) external view returns (bytes32) {
        return _digest(reading);
    }

    function _digest(Reading calldata reading) private view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    READING_TYPEHASH,
                    reading.assetId,
                    reading.meter,
                    reading.periodStart,
                    reading.periodEnd,
                    reading.energyWh
                )
            )
        );
    }

    function _onlyMeterAdmin() private view {
        if (!IAccessControl(address(registry)).hasRole(_meterAdminRole, msg.sender)) {
            revert OracleNotMeterAdmin(msg.sender);
        }
    }
}
