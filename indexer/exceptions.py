"""Errors of the indexer, split into those worth retrying and those that are not."""

from __future__ import annotations

from infra import exceptions as infra


class IndexerError(Exception):
    """Root of every error the indexer raises on purpose."""


class RetryableError(IndexerError):
    """A passing fault (node or database unreachable, timeout, busy): retry with backoff."""


class NodeUnavailable(RetryableError):
    """The node did not answer, or answered with a server error."""


class NodeBehind(RetryableError):
    """The node does not yet have a block the indexer already holds (it is still syncing)."""


class RangeTooLarge(IndexerError):
    """The node refused a log query as too large; the caller splits the range."""


class ChainChanged(IndexerError):
    """The chain moved under a fetch (a log's block hash no longer matches its header)."""


class RpcError(IndexerError):
    """The node answered a JSON-RPC error that retrying will not fix."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"JSON-RPC error {code}: {message}")
        self.code = code
        self.message = message


class ReorgTooDeep(IndexerError):
    """A reorg reached blocks indexed as final; the index must be rebuilt from that point."""


class ConfigurationError(IndexerError, infra.ConfigurationError):
    """Settings, deployments or build output are missing or inconsistent (an `infra` error too, so
    one `except` catches the ABIs' and the indexer's)."""
