"""Fields that lead from one object of the read model to others (an asset's holders, a holder's
portfolio, a proposal's votes...), each resolved by the REST API's own query functions.

Each function makes a fresh field (a strawberry field belongs to one type). Their types are named
lazily, from `api.graphql.types`, since the graph has cycles (asset -> holder -> portfolio ->
holding -> asset).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Optional, get_args

import strawberry
from graphql import GraphQLError
from strawberry.types.field import StrawberryField

from api.graphql.context import (
    Info,
    arguments,
    page_size,
    selects,
    state_of,
    subfields,
    user_errors,
    validated,
)
from api.graphql.convert import partial, to_graphql
from api.graphql.scalars import EthAddress, Long
from api.models.assets import (
    AssetDetail,
    Holder,
    ProductionBucket,
    ProductionReport,
    RevenueClaim,
    RevenueDeposit,
)
from api.models.filters import Period
from api.models.governance import Proposal, ProposalState, Support, Vote
from api.models.market import Listing
from api.pagination import Page
from api.queries import accounts, assets, events, governance, market
from api.queries.events import Bucket, Order

Cursor = Annotated[str | None, strawberry.argument(description="`nextCursor` of the last page.")]
Limit = Annotated[int | None, strawberry.argument(description="Items per page.")]
Ordering = Annotated[str | None, strawberry.argument(description="`asc` or `desc`.")]


def lazy(name: str) -> Any:
    """The GraphQL type named `name`, looked up when the schema is built."""
    return Annotated[name, strawberry.lazy("api.graphql.types")]


def choice(argument: str, value: str | None, allowed: Any) -> Any:
    """`value` when it is one of the `Literal` type's values; a clear error otherwise."""
    options = get_args(allowed)
    if value is not None and value not in options:
        raise GraphQLError(
            f"{argument} is one of {', '.join(options)}", extensions={"code": "invalid-request"}
        )
    return value


# The asset's fields that a holding row carries with the same values (GraphQL name: field name).
HOLDING_ASSET_FIELDS = {"assetId": "asset_id", "name": "name", "symbol": "symbol",
                        "status": "status", "shareToken": "share_token"}  # fmt: skip


def asset_of_holding() -> StrawberryField:
    """`Holding.asset`: the held asset's full record, or, when the query asks only for fields the
    holding already carries (a portfolio showing each asset's name and status), those fields
    without loading the record."""

    async def resolve(root: Any, info: Info) -> Any:
        if subfields(info) - {"__typename"} <= HOLDING_ASSET_FIELDS.keys():
            return partial(AssetDetail, {name: getattr(root, name)
                                         for name in HOLDING_ASSET_FIELDS.values()})  # fmt: skip
        found = await info.context.assets.load(root.asset_id)
        return None if found is None else to_graphql(found)

    return strawberry.field(
        resolver=resolve,
        graphql_type=Optional[lazy("AssetDetail")],  # noqa: UP045
        description="The asset's full record.",
    )


def portfolio_of_holder() -> StrawberryField:
    """`Holder.portfolio`: everything the holder holds."""

    async def resolve(root: Any, info: Info) -> Any:
        state = state_of(info)
        return to_graphql(
            await accounts.account_portfolio(
                state.db,
                chain_id=state.chain_id,
                address=root.account.lower(),
                indexed_block=state.head.block,
                listings=selects(info, "listings"),
            )
        )

    return strawberry.field(
        resolver=resolve,
        graphql_type=lazy("Portfolio"),
        description="The holder's whole portfolio.",
    )


def votes_of_proposal() -> StrawberryField:
    """`Proposal.votes`: the votes cast on it, by position."""

    async def resolve(
        root: Any,
        info: Info,
        support: str | None = None,
        order: Ordering = None,
        cursor: Cursor = None,
        limit: Limit = None,
    ) -> Any:
        state = state_of(info)
        with user_errors():
            page = await governance.votes(
                state.db,
                chain_id=state.chain_id,
                asset_id=root.asset_id,
                proposal_id=root.proposal_id,
                support=choice("support", support, Support),
                cursor=cursor,
                limit=page_size(info, limit),
                **arguments(order=choice("order", order, Order)),
            )
        return to_graphql(page, Page[Vote])

    return strawberry.field(
        resolver=resolve,
        graphql_type=lazy("VotePage"),
        description='Votes cast, oldest first unless `order: "desc"`.',
    )


def asset_relations() -> dict[str, StrawberryField]:
    """The lists hanging off an asset: holders, production, revenue, proposals, listings."""

    async def holders(root: Any, info: Info, cursor: Cursor = None, limit: Limit = None) -> Any:
        state = state_of(info)
        with user_errors():
            page = await assets.holders(
                state.db,
                chain_id=state.chain_id,
                asset_id=root.asset_id,
                cursor=cursor,
                limit=page_size(info, limit),
            )
        return to_graphql(page, Page[Holder])

    async def production(
        root: Any,
        info: Info,
        start: Long | None = None,
        end: Long | None = None,
        order: Ordering = None,
        cursor: Cursor = None,
        limit: Limit = None,
    ) -> Any:
        state = state_of(info)
        with user_errors():
            period = validated(Period, start=start, end=end)
            page = await events.production_reports(
                state.db,
                chain_id=state.chain_id,
                asset_id=root.asset_id,
                start=period.start,
                end=period.end,
                cursor=cursor,
                limit=page_size(info, limit),
                **arguments(order=choice("order", order, Order)),
            )
        return to_graphql(page, Page[ProductionReport])

    async def production_buckets(
        root: Any,
        info: Info,
        bucket: str,
        start: Long | None = None,
        end: Long | None = None,
        order: Ordering = None,
        cursor: Cursor = None,
        limit: Limit = None,
    ) -> Any:
        state = state_of(info)
        with user_errors():
            period = validated(Period, start=start, end=end)
            page = await events.production_buckets(
                state.db,
                chain_id=state.chain_id,
                asset_id=root.asset_id,
                bucket=choice("bucket", bucket, Bucket),
                start=period.start,
                end=period.end,
                cursor=cursor,
                limit=page_size(info, limit),
                **arguments(order=choice("order", order, Order)),
            )
        return to_graphql(page, Page[ProductionBucket])

    async def revenue_deposits(
        root: Any, info: Info, order: Ordering = None, cursor: Cursor = None, limit: Limit = None
    ) -> Any:
        state = state_of(info)
        with user_errors():
            page = await events.revenue_deposits(
                state.db,
                chain_id=state.chain_id,
                asset_id=root.asset_id,
                cursor=cursor,
                limit=page_size(info, limit),
                **arguments(order=choice("order", order, Order)),
            )
        return to_graphql(page, Page[RevenueDeposit])

    async def revenue_claims(
        root: Any,
        info: Info,
        account: EthAddress | None = None,
        order: Ordering = None,
        cursor: Cursor = None,
        limit: Limit = None,
    ) -> Any:
        state = state_of(info)
        with user_errors():
            page = await events.revenue_claims(
                state.db,
                chain_id=state.chain_id,
                asset_id=root.asset_id,
                account=account,
                cursor=cursor,
                limit=page_size(info, limit),
                **arguments(order=choice("order", order, Order)),
            )
        return to_graphql(page, Page[RevenueClaim])

    async def proposals(
        root: Any,
        info: Info,
        state: str | None = None,
        cursor: Cursor = None,
        limit: Limit = None,
    ) -> Any:
        app = state_of(info)
        with user_errors():
            page = await governance.proposals(
                app.db,
                chain_id=app.chain_id,
                asset_id=root.asset_id,
                state=choice("state", state, ProposalState),
                cursor=cursor,
                limit=page_size(info, limit),
            )
        return to_graphql(page, Page[Proposal])

    async def listings(
        root: Any, info: Info, status: str = "open", cursor: Cursor = None, limit: Limit = None
    ) -> Any:
        state = state_of(info)
        chosen = choice(
            "status",
            status,
            Literal["open", "expired", "filled", "cancelled", "invalidated", "all"],
        )
        with user_errors():
            page = await market.listings(
                state.db,
                chain_id=state.chain_id,
                asset_id=root.asset_id,
                status=None if chosen == "all" else chosen,
                cursor=cursor,
                limit=page_size(info, limit),
            )
        return to_graphql(page, Page[Listing])

    def field(resolver: Any, page: str, description: str) -> StrawberryField:
        return strawberry.field(resolver=resolver, graphql_type=lazy(page), description=description)

    return {
        "holders": field(holders, "HolderPage", "Accounts holding shares, largest first."),
        "production_reports": field(
            production,
            "ProductionReportPage",
            "Production reports whose period starts in [start, end).",
        ),
        "production_buckets": field(
            production_buckets, "ProductionBucketPage", "Energy per UTC `day` or `month`."
        ),
        "revenue_deposits": field(
            revenue_deposits,
            "RevenueDepositPage",
            'Revenue deposits, newest first unless `order: "asc"`.',
        ),
        "revenue_claims": field(
            revenue_claims,
            "RevenueClaimPage",
            'Revenue claims, newest first unless `order: "asc"`.',
        ),
        "proposals": field(proposals, "ProposalPage", "The asset's proposals, newest first."),
        "listings": field(
            listings,
            "ListingPage",
            'Market listings of the asset (open ones by default; `status: "all"` for every one).',
        ),
    }
