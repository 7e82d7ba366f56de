"""What GraphQL resolvers share: the app's state in the context, page sizes, and user errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import strawberry
from fastapi import Request
from graphql import GraphQLError
from strawberry.dataloader import DataLoader
from strawberry.fastapi import BaseContext

from api.models.assets import AssetDetail
from api.pagination import InvalidCursor
from api.problems import Problem
from api.queries.assets import get_assets, token_book
from api.state import AppState


class Context(BaseContext):
    """The GraphQL context: the request's app state (`request.app.state.platform`), and the
    request's dataloaders: the assets every resolver of one request asks for, fetched together.
    """

    def __init__(self, state: AppState) -> None:
        super().__init__()
        self.state = state
        self.assets: DataLoader[int, AssetDetail | None] = DataLoader(load_fn=self._load_assets)

    async def _load_assets(self, asset_ids: list[int]) -> list[AssetDetail | None]:
        state = self.state
        found = await get_assets(
            state.db, chain_id=state.chain_id, asset_ids=asset_ids,
            tokens=token_book(state.settings.deployments_dir, state.chain_id),
        )  # fmt: skip
        return [found.get(asset_id) for asset_id in asset_ids]


async def get_context(request: Request) -> Context:
    """The context of one GraphQL request."""
    state: AppState = request.app.state.platform
    return Context(state)


Info = strawberry.Info[Context, None]


def state_of(info: Info) -> AppState:
    """The app state of a resolver's request."""
    return info.context.state


def page_size(info: Info, limit: int | None) -> int:
    """The page size asked for, or the default; refuses sizes the REST API refuses too."""
    settings = state_of(info).settings
    if limit is None:
        return settings.page_size
    if not 1 <= limit <= settings.max_page_size:
        raise GraphQLError(
            f"limit is between 1 and {settings.max_page_size}",
            extensions={"code": "invalid-request"},
        )
    return limit


@contextmanager
def user_errors() -> Iterator[None]:
    """Turns the read model's refusals (bad cursor, problem details) into GraphQL errors."""
    try:
        yield
    except InvalidCursor as error:
        raise GraphQLError(
            f"invalid cursor: {error}", extensions={"code": "invalid-cursor"}
        ) from error
    except Problem as error:
        raise GraphQLError(
            str(error.detail), extensions={"code": error.kind, "status": error.status_code}
        ) from error


def arguments(**values: Any) -> dict[str, Any]:
    """Keyword arguments without the ones left out (None), for query functions' defaults."""
    return {name: value for name, value in values.items() if value is not None}
