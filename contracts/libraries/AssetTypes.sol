// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title AssetTypes
/// @notice Types shared by the platform's contracts and carried whole in their events.
library AssetTypes {
    /// @notice The kind of energy asset.
    enum Kind {
        Solar,
        Wind,
        Hydro,
        Storage
    }

    /// @notice Where an asset stands in its life.
    /// @dev Funding: primary sale open or not yet finalized. Active: raise met, shares tradable.
    /// Failed: raise missed, buyers refunded. Decommissioned: retired by a governance decision.
    enum Status {
        Funding,
        Active,
        Failed,
        Decommissioned
    }

    /// @notice What an operator gives to register an asset.
    /// @param kind Solar, wind, hydro or storage.
    /// @param capacityWatts Nameplate capacity in watts.
    /// @param name Share token name, e.g. "Sunfield Solar Share".
    /// @param symbol Share token symbol, e.g. "SUNF".
    /// @param location Free-form location, "<ISO country code>:<place>" by convention.
    /// @param metadataURI Off-chain description (IPFS or HTTPS).
    /// @param sale The primary sale's terms.
    /// @param governance The asset's governance settings.
    /// @param reserveBps Share of each revenue deposit kept as maintenance reserve, in basis points.
    /// @param requiresVerification Whether share holders must be verified in the identity registry.
    struct AssetParams {
        Kind kind;
        uint64 capacityWatts;
        string name;
        string symbol;
        string location;
        string metadataURI;
        SaleTerms sale;
        GovernanceParams governance;
        uint16 reserveBps;
        bool requiresVerification;
    }

    /// @notice The terms of an asset's primary sale.
    /// @param paymentToken The stablecoin shares are paid in.
    /// @param totalShares Shares on offer; the token's whole supply once sold (shares have 0 decimals).
    /// @param sharePrice Price of one share in payment token units.
    /// @param start Opening time of the funding window (unix seconds).
    /// @param end Closing time of the funding window (unix seconds).
    /// @param minRaise Payment token amount that must be raised for the sale to succeed.
    /// @param maxSharesPerBuyer Most shares one account may buy in the sale.
    /// @param treasury Receives the raised funds once the minimum raise is met.
    struct SaleTerms {
        address paymentToken;
        uint256 totalShares;
        uint256 sharePrice;
        uint64 start;
        uint64 end;
        uint256 minRaise;
        uint256 maxSharesPerBuyer;
        address treasury;
    }

    /// @notice Per-asset governance settings.
    /// @param votingDelay Seconds between a proposal and the snapshot of voting power.
    /// @param votingPeriod Seconds a vote stays open.
    /// @param proposalThreshold Shares needed to make a proposal.
    /// @param quorumPercent Percent of the supply that must vote for or abstain.
    /// @param timelockDelay Seconds a passed proposal waits in the asset's timelock.
    struct GovernanceParams {
        uint48 votingDelay;
        uint32 votingPeriod;
        uint256 proposalThreshold;
        uint8 quorumPercent;
        uint32 timelockDelay;
    }

    /// @notice The contracts deployed for one asset.
    struct AssetContracts {
        address shareToken;
        address governor;
        address timelock;
    }
}
