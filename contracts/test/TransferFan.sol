// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IVotes} from "@openzeppelin/contracts/governance/utils/IVotes.sol";

/// @title TransferFan
/// @notice Test-only load generator for the indexer benchmark: it holds shares of one token and, in a
/// single transaction, sends one share to each of a list of recipients, round after round, so that
/// hundreds of thousands of `Transfer` events take only a few hundred transactions.
/// @dev On deployment the fan delegates its votes to the zero address. A ShareToken remembers that as
/// an explicit choice not to vote, so the fan's transfers move no votes and the token emits only
/// `Transfer` for them (as long as the recipients abstain too).
contract TransferFan {
    /// @notice The caller is not the account that deployed the fan.
    error TransferFanNotOwner(address caller);

    /// @notice A fan call with no recipient or no round would send nothing.
    error TransferFanNothingToSend(uint256 recipients, uint256 rounds);

    /// @notice The token returned false for a transfer instead of reverting.
    error TransferFanTransferFailed(address recipient);

    IERC20 private immutable _token;
    address private immutable _owner;

    /// @param shareToken The share token to fan out; the fan abstains from voting with it.
    constructor(address shareToken) {
        _token = IERC20(shareToken);
        _owner = msg.sender;
        IVotes(shareToken).delegate(address(0));
    }

    /// @notice Sends one share to every recipient, `rounds` times over (recipient order within a round).
    /// @param recipients Who receives a share each round.
    /// @param rounds How many times the whole list is served.
    /// @return sent The number of transfers made: `recipients.length * rounds`.
    function fan(address[] calldata recipients, uint256 rounds) external returns (uint256 sent) {
        if (msg.sender != _owner) revert TransferFanNotOwner(msg.sender);
        uint256 count = recipients.length;
        if (count == 0 || rounds == 0) revert TransferFanNothingToSend(count, rounds);
        IERC20 token = _token;
        for (uint256 round; round < rounds; ++round) {
            for (uint256 i; i < count; ++i) {
                if (!token.transfer(recipients[i], 1)) revert TransferFanTransferFailed(recipients[i]);
            }
        }
        sent = count * rounds;
    }

    /// @notice The token this fan sends.
    function token() external view returns (address) {
        return address(_token);
    }
}
