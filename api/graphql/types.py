"""Every GraphQL object type of the read model, made from the REST models (`api.models`).

Types with relations are made first (a type is made once, with all its fields); the rest follow
from them. Each type is also a module attribute under its GraphQL name, where lazy references
(`api.graphql.relations.lazy`) find it.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from api.graphql import relations
from api.graphql.convert import object_type, type_name
from api.models.accounts import HistoryItem, Holding, Portfolio
from api.models.assets import (
    AssetDetail,
    AssetSummary,
    Holder,
    ProductionBucket,
    ProductionReport,
    RevenueClaim,
    RevenueDeposit,
)
from api.models.events import LogEvent
from api.models.governance import Proposal, Vote
from api.models.market import AssetPrice, Fill, Listing
from api.models.status import ChainStatus
from api.pagination import Page

_WITH_RELATIONS: list[tuple[type[BaseModel], dict[str, Any]]] = [
    (Holding, {"asset": relations.asset_of_holding()}),
    (Holder, {"portfolio": relations.portfolio_of_holder()}),
    (Proposal, {"votes": relations.votes_of_proposal()}),
    (AssetSummary, relations.asset_relations()),
    (AssetDetail, relations.asset_relations()),
]
_PLAIN: list[type[BaseModel]] = [
    ChainStatus,
    Portfolio,
    Page[HistoryItem],
    Page[AssetSummary],
    Page[Holder],
    Page[ProductionReport],
    Page[ProductionBucket],
    Page[RevenueDeposit],
    Page[RevenueClaim],
    Page[Proposal],
    Page[Vote],
    Page[Listing],
    Page[Fill],
    Page[AssetPrice],
    Page[LogEvent],
]

for _model, _fields in _WITH_RELATIONS:
    globals()[type_name(_model)] = object_type(_model, _fields)
for _model in _PLAIN:
    globals()[type_name(_model)] = object_type(_model)


def of(model: type[BaseModel]) -> Any:
    """The GraphQL type of a model (made above)."""
    return object_type(model)
