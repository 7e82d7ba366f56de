"""The GraphQL schema: the REST read model (status, accounts, assets, market, governance, events)
through the same query functions, with depth, cost, alias and token limits."""

from __future__ import annotations

from typing import Any, Literal, Optional

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxTokensLimiter,
    ParserCache,
    ValidationCache,
)
from strawberry.extensions.max_aliases import create_validator as alias_rule
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from api.db import DatabaseBusy
from api.exceptions import ApiError
from api.graphql import types
from api.graphql.context import (
    Info,
    arguments,
    page_size,
    selects,
    state_of,
    user_errors,
    validated,
)
from api.graphql.convert import to_graphql
from api.graphql.limits import MAX_ALIASES, MAX_TOKENS, Limits
from api.graphql.relations import Cursor, Limit, Ordering, choice
from api.graphql.scalars import SCALARS, EthAddress, Long, UInt256
from api.models.accounts import HistoryItem, HistoryKind, Portfolio
from api.models.assets import AssetDetail, AssetSummary, FundingState, Kind, Status
from api.models.events import LogEvent
from api.models.filters import Blocks, Place
from api.models.governance import Proposal, ProposalState
from api.models.market import AssetPrice, Fill, Listing, ListingStatus
from api.models.status import ChainStatus
from api.pagination import Page
from api.queries import accounts, assets, events, governance, market
from api.queries.assets import AssetSort
from api.queries.events import Order
from api.queries.market import ListingSort
from api.queries.status import chain_status

HASH_LENGTH = 66
MAX_EVENT_NAMES = 20


@strawberry.type(description="An account's public on-chain figures.")
class Account:
    """`Query.account`: the address, its portfolio and its history."""

    address: EthAddress

    @strawberry.field(
        graphql_type=types.of(Portfolio),
        description="Holdings, claimable revenue, attributable energy, votes and open listings.",
    )
    async def portfolio(self, info: Info) -> Any:
        state = state_of(info)
        return to_graphql(
            await accounts.account_portfolio(
                state.db,
                chain_id=state.chain_id,
                address=self.address,
                indexed_block=state.head.block,
                listings=selects(info, "listings"),
            )
        )

    @strawberry.field(
        graphql_type=types.of(Page[HistoryItem]),
        description="Purchases, refunds,"
        " claims, transfers, fills, listings and votes, newest first.",
    )
    async def history(
        self,
        info: Info,
        kinds: list[str] | None = None,
        asset_id: UInt256 | None = None,
        cursor: Cursor = None,
        limit: Limit = None,
    ) -> Any:
        state = state_of(info)
        chosen: list[HistoryKind] = [choice("kinds", kind, HistoryKind) for kind in kinds or ()]
        with user_errors():
            page = await accounts.account_history(
                state.db,
                chain_id=state.chain_id,
                address=self.address,
                kinds=chosen,
                asset_id=asset_id,
                cursor=cursor,
                limit=page_size(info, limit),
            )
        return to_graphql(page, Page[HistoryItem])


@strawberry.type(description="The read model of the platform, as indexed from its contracts.")
class Query:
    """The root of every query."""

    @strawberry.field(graphql_type=types.of(ChainStatus), description="How far the index has come.")
    async def status(self, info: Info) -> Any:
        state = state_of(info)
        return to_graphql(
            await chain_status(state.db, chain_id=state.chain_id, head=state.head.current)
        )

    @strawberry.field(description="An account (public data: no sign-in needed).")
    def account(self, address: EthAddress) -> Account:
        return Account(address=address)

    @strawberry.field(
        graphql_type=types.of(Page[AssetSummary]),
        description="Registered assets,"
        " filtered and sorted (`sort` as in REST: registered, name, capacity, funding,"
        " energy, revenue; `-` first for descending).",
    )
    async def assets(
        self,
        info: Info,
        kind: str | None = None,
        status: str | None = None,
        country: str | None = None,
        location: str | None = None,
        operator: EthAddress | None = None,
        funding: str | None = None,
        sort: str = "registered",
        cursor: Cursor = None,
        limit: Limit = None,
    ) -> Any:
        place = validated(Place, country=country, location=location)
        state = state_of(info)
        with user_errors():
            page = await assets.list_assets(
                state.db,
                chain_id=state.chain_id,
                tokens=assets.token_book(state.settings.deployments_dir, state.chain_id),
                kind=choice("kind", kind, Kind),
                status=choice("status", status, Status),
                country=place.country,
                location=place.location,
                operator=operator,
                funding=choice("funding", funding, FundingState),
                sort=choice("sort", sort, AssetSort),
                cursor=cursor,
                limit=page_size(info, limit),
            )
        return to_graphql(page, Page[AssetSummary])

    @strawberry.field(
        graphql_type=Optional[types.of(AssetDetail)],  # noqa: UP045
        description="One asset with its figures; null when not registered.",
    )
    async def asset(self, info: Info, asset_id: UInt256) -> Any:
        found = await info.context.assets.load(asset_id)
        return None if found is None else to_graphql(found)

    @strawberry.field(
        graphql_type=types.of(Page[Listing]),
        description="Market listings: open"
        " ones unless `status` says otherwise (`all` for every status).",
    )
    async def listings(
        self,
        info: Info,
        asset_id: UInt256 | None = None,
        seller: EthAddress | None = None,
        status: str = "open",
        sort: str = "newest",
        cursor: Cursor = None,
        limit: Limit = None,
    ) -> Any:
        state = state_of(info)
        chosen: ListingStatus | Literal["all"] = choice(
            "status",
            status,
            Literal["open", "expired", "filled", "cancelled", "invalidated", "all"],
        )
        with user_errors():
            page = await market.listings(
                state.db,
                chain_id=state.chain_id,
                asset_id=asset_id,
                seller=seller,
                status=None if chosen == "all" else chosen,
                sort=choice("sort", sort, ListingSort),
                cursor=cursor,
                limit=page_size(info, limit),
            )
        return to_graphql(page, Page[Listing])

    @strawberry.field(
        graphql_type=types.of(Page[Fill]),
        description='Market fills, newest first unless `order: "asc"`.',
    )
    async def fills(
        self,
        info: Info,
        asset_id: UInt256 | None = None,
        buyer: EthAddress | None = None,
        seller: EthAddress | None = None,
        listing_id: UInt256 | None = None,
        order: Ordering = None,
        cursor: Cursor = None,
        limit: Limit = None,
    ) -> Any:
        state = state_of(info)
        with user_errors():
            page = await market.fills(
                state.db,
                chain_id=state.chain_id,
                asset_id=asset_id,
                buyer=buyer,
                seller=seller,
                listing_id=listing_id,
                cursor=cursor,
                limit=page_size(info, limit),
                **arguments(order=choice("order", order, Order)),
            )
        return to_graphql(page, Page[Fill])

    @strawberry.field(
        graphql_type=types.of(Page[AssetPrice]), description="Last trade and best ask per asset."
    )
    async def prices(
        self,
        info: Info,
        asset_id: UInt256 | None = None,
        cursor: Cursor = None,
        limit: Limit = None,
    ) -> Any:
        state = state_of(info)
        with user_errors():
            page = await market.prices(
                state.db,
                chain_id=state.chain_id,
                asset_id=asset_id,
                cursor=cursor,
                limit=page_size(info, limit),
            )
        return to_graphql(page, Page[AssetPrice])

    @strawberry.field(
        graphql_type=types.of(Page[Proposal]),
        description="Proposals of every asset's governor, newest first.",
    )
    async def proposals(
        self,
        info: Info,
        asset_id: UInt256 | None = None,
        state: str | None = None,
        proposer: EthAddress | None = None,
        cursor: Cursor = None,
        limit: Limit = None,
    ) -> Any:
        app = state_of(info)
        with user_errors():
            page = await governance.proposals(
                app.db,
                chain_id=app.chain_id,
                asset_id=asset_id,
                state=choice("state", state, ProposalState),
                proposer=proposer,
                cursor=cursor,
                limit=page_size(info, limit),
            )
        return to_graphql(page, Page[Proposal])

    @strawberry.field(
        graphql_type=Optional[types.of(Proposal)],  # noqa: UP045
        description="One proposal; null when the asset has no such proposal.",
    )
    async def proposal(self, info: Info, asset_id: UInt256, proposal_id: UInt256) -> Any:
        state = state_of(info)
        found = await governance.proposal(
            state.db, chain_id=state.chain_id, asset_id=asset_id, proposal_id=proposal_id
        )
        return None if found is None else to_graphql(found)

    @strawberry.field(
        graphql_type=types.of(Page[LogEvent]),
        description='The raw event feed by position, oldest first unless `order: "desc"`.',
    )
    async def events(
        self,
        info: Info,
        names: list[str] | None = None,
        address: EthAddress | None = None,
        asset_id: UInt256 | None = None,
        tx_hash: str | None = None,
        from_block: Long | None = None,
        to_block: Long | None = None,
        order: Ordering = None,
        cursor: Cursor = None,
        limit: Limit = None,
    ) -> Any:
        if tx_hash is not None and (len(tx_hash) != HASH_LENGTH or not tx_hash.startswith("0x")):
            raise GraphQLError(
                "txHash is 0x and 64 hexadecimal digits", extensions={"code": "invalid-request"}
            )
        if names is not None and len(names) > MAX_EVENT_NAMES:
            raise GraphQLError(
                f"at most {MAX_EVENT_NAMES} event names", extensions={"code": "invalid-request"}
            )
        state = state_of(info)
        with user_errors():
            blocks = validated(Blocks, from_block=from_block, to_block=to_block)
            page = await events.events(
                state.db,
                chain_id=state.chain_id,
                names=names or (),
                address=address,
                asset_id=asset_id,
                tx_hash=tx_hash and tx_hash.lower(),
                from_block=blocks.from_block,
                to_block=blocks.to_block,
                cursor=cursor,
                limit=page_size(info, limit),
                **arguments(order=choice("order", order, Order)),
            )
        return to_graphql(page, Page[LogEvent])


def _mask(error: GraphQLError) -> bool:
    """Hides the message of unexpected errors (a database fault), not of refused input."""
    original = error.original_error
    return original is not None and not isinstance(
        original, GraphQLError | ValueError | DatabaseBusy | ApiError
    )


class ReadModelSchema(strawberry.Schema):
    """Logs only unexpected errors: refused input is the client's to read, not the server's."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Logs the errors `_mask` hides (with their tracebacks)."""
        unexpected = [error for error in errors if _mask(error)]
        if unexpected:
            super().process_errors(unexpected, execution_context)


# The alias rule is made once: strawberry's MaxAliasesLimiter makes a new rule class for every
# request, and a new class is a new validation-cache key, so no validation was ever cached.
ALIAS_RULE = alias_rule(MAX_ALIASES)
VALIDATIONS_CACHED = 256  # distinct (document, rules) validations kept, least recently used out
# Distinct (text, token limit) parses kept: a client's document with variables is one text, and
# its parse (about a millisecond for a portfolio query) and validation then happen once.
DOCUMENTS_CACHED = 256

schema = ReadModelSchema(
    query=Query,
    config=StrawberryConfig(scalar_map=SCALARS),
    extensions=[
        Limits,
        lambda: AddValidationRules([ALIAS_RULE]),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: ParserCache(maxsize=DOCUMENTS_CACHED),
        lambda: ValidationCache(maxsize=VALIDATIONS_CACHED),
        lambda: MaskErrors(should_mask_error=_mask),
    ],
)
"""The API's GraphQL schema."""
