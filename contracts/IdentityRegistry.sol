// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControlDefaultAdminRules} from
    "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";

import {IIdentityRegistry} from "./interfaces/IIdentityRegistry.sol";

/// @title IdentityRegistry
/// @notice Verified accounts with an expiry. See {IIdentityRegistry}.
/// @dev VERIFIER_ROLE verifies and revokes; the admin role transfers in two steps behind a delay.
contract IdentityRegistry is IIdentityRegistry, AccessControlDefaultAdminRules {
    /// @notice May verify and revoke accounts.
    bytes32 public constant VERIFIER_ROLE = keccak256("VERIFIER_ROLE");

    mapping(address account => Identity) private _identities;

    /// @param admin The registry's admin.
    /// @param adminTransferDelay Seconds a new admin waits before accepting the role.
    constructor(address admin, uint48 adminTransferDelay) AccessControlDefaultAdminRules(adminTransferDelay, admin) {}

    /// @inheritdoc IIdentityRegistry
    function verify(address account, uint64 expiresAt, uint16 country) external onlyRole(VERIFIER_ROLE) {
        if (account == address(0)) revert IdentityZeroAccount();
        if (expiresAt <= block.timestamp) revert IdentityExpiryInPast(expiresAt);
        _identities[account] = Identity({expiresAt: expiresAt, country: country, verifier: msg.sender});
        emit IdentityVerified(account, expiresAt, country, msg.sender);
    }

    /// @inheritdoc IIdentityRegistry
    function revoke(address account) external onlyRole(VERIFIER_ROLE) {
        if (_identities[account].expiresAt == 0) revert IdentityNotFound(account);
        delete _identities[account];
        emit IdentityRevoked(account, msg.sender);
    }

    /// @inheritdoc IIdentityRegistry
    function isVerified(address account) external view returns (bool) {
        return _identities[account].expiresAt > block.timestamp;
    }

    /// @inheritdoc IIdentityRegistry
    function identity(address account) external view returns (Identity memory) {
        return _identities[account];
    }
}
