"""Live feeds over WebSocket: the hub that fans the indexer's commits out, topics and resuming.

    topics   what a client can subscribe to, and which topics an event belongs to
    hub      one per API process: Redis pub/sub in, per-connection bounded queues out
    resume   the backlog after a client's last position, read from PostgreSQL

The protocol is described in `api.routes.ws`; message shapes are in `api.models.feeds`.
"""
