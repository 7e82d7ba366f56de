"""The platform's API: REST, WebSocket feeds and GraphQL over the indexed state.

It reads what the indexer committed to PostgreSQL and never signs a user's write: for every write
it prepares an unsigned transaction for the user's own wallet.
"""
