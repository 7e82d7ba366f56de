"""GraphQL at `/graphql` (GraphiQL in a browser): the read model of the REST API."""

from __future__ import annotations

from fastapi import FastAPI
from strawberry.fastapi import GraphQLRouter

from api.graphql.context import get_context
from api.graphql.schema import schema

PATH = "/graphql"


def mount(app: FastAPI) -> None:
    """Serves the schema at `/graphql` (queries by POST, or GET; no subscriptions)."""
    router: GraphQLRouter[object, None] = GraphQLRouter(
        schema,
        context_getter=get_context,
        subscription_protocols=(),
        include_in_schema=False,  # GraphQL has a schema of its own (introspection, GraphiQL)
    )
    app.include_router(router, prefix=PATH)
