// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IIdentityRegistry
/// @notice Accounts verified (KYC) by a verifier, until an expiry. Assets may require their holders to
/// be verified here.
interface IIdentityRegistry {
    /// @notice What the registry keeps about a verified account.
    struct Identity {
        uint64 expiresAt;
        uint16 country;
        address verifier;
    }

    /// @notice An account of zero.
    error IdentityZeroAccount();
    /// @notice The expiry is not in the future.
    error IdentityExpiryInPast(uint64 expiresAt);
    /// @notice The account has no identity to revoke.
    error IdentityNotFound(address account);

    /// @notice An account was verified (or its verification renewed).
    /// @param country ISO 3166-1 numeric country code.
    event IdentityVerified(address indexed account, uint64 expiresAt, uint16 country, address indexed verifier);
    /// @notice An account's verification was revoked.
    event IdentityRevoked(address indexed account, address indexed verifier);

    /// @notice Verifies an account until `expiresAt`. Called by a verifier.
    function verify(address account, uint64 expiresAt, uint16 country) external;

    /// @notice Revokes an account's verification. Called by a verifier.
    function revoke(address account) external;

    /// @notice Whether the account is verified now.
    function isVerified(address account) external view returns (bool);

    /// @notice The account's identity record (zero when never verified or revoked).
    function identity(address account) external view returns (Identity memory);
}
