// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title MockBlocklistStablecoin
/// @notice A 6-decimal stablecoin with a blocklist, like USDC's: transfers to a blocked address
/// revert. For the tests of a treasury that cannot receive its raise.
contract MockBlocklistStablecoin is ERC20 {
    error Blocked(address account);

    mapping(address account => bool) public blocked;

    constructor() ERC20("Blocklist USD", "bUSD") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function setBlocked(address account, bool isBlocked) external {
        blocked[account] = isBlocked;
    }

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    function _update(address from, address to, uint256 value) internal override {
        if (blocked[to]) revert Blocked(to);
        super._update(from, to, value);
    }
}
