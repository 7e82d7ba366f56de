"""The read model: one module per resource, keyword-only async functions returning API models.

REST routes and GraphQL resolvers both call these; no SQL lives anywhere else in the API.
"""
