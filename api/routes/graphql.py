"""GraphQL at `/graphql` (GraphiQL in a browser): the read model of the REST API."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse
from strawberry.fastapi import GraphQLRouter

from api.graphql.context import get_context
from api.graphql.schema import schema
from api.routes import docs

PATH = "/graphql"


class LocalGraphiQLRouter(GraphQLRouter[object, None]):
    """Strawberry's router with GraphiQL's page served from this API's pinned assets (Strawberry's
    own page loads them from a CDN, with inline scripts)."""

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        return docs.graphiql(request.app.title, PATH)


router = LocalGraphiQLRouter(
    schema,
    prefix=PATH,
    context_getter=get_context,
    subscription_protocols=(),
    include_in_schema=False,  # GraphQL has a schema of its own (introspection, GraphiQL)
)
"""The schema at `/graphql` (queries by POST, or GET; no subscriptions)."""
