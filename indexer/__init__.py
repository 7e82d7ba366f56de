"""The platform's indexer: follows the contracts' logs into PostgreSQL, exactly once.

Split by job (see docs/architecture/indexer.md):
    rpc       JSON-RPC client with batching, retries and error classification.
    abi       event signatures and decoders built from ape's build output.
    fetch     backfill ranges that adapt to the node, prefetched in a thread.
    handlers  pure projections: one decoded event in, row changes out.
    store     every database write: raw logs, entities, checkpoint, rollback, the leader lock.
    engine    the loop: backfill, head following, reorg detection, retries.
    publish   what each commit changed, on Redis pub/sub.
"""
