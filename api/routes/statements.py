"""Yearly statements of an account, as JSON or CSV: private, for the account and whom it lets.

Never served from the read cache (`api.responses.cached` answers before dependencies run, so it
would skip the sign-in and the access check).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, Response

from api import statement_csv
from api.auth import tokens
from api.deps import State, require_scope
from api.models.statements import Statement
from api.problems import MEDIA_TYPE, Problem, ProblemDetail
from api.queries.preferences import may_read_statements
from api.queries.statements import StatementYearOutOfRange, account_statement
from api.routes.accounts import AccountAddress
from api.routes.auth import UNAUTHORIZED

router = APIRouter(prefix="/accounts", tags=["statements"], responses=UNAUTHORIZED)

Format = Literal["json", "csv"]
CSV_EXAMPLE = (
    "asset_id,asset,row,figure,value,unit,shares,price_per_share,fee,counterparty,block_number,"
    "log_index,tx_hash,time_utc\r\n"
    "1,Alentejo Solar,total,shares_start,400,shares,,,,,,,,\r\n"
    "1,Alentejo Solar,item,revenue_claim,1250000,payment_token_units,,,,0x9965507D1a55bcC2695C58"
    "ba16FB37d819B0A4dc,812,3,0xab…,2027-04-01T00:02:11Z\r\n"
)
PRIVATE = {"Cache-Control": "private, no-store", "Vary": "Accept, Authorization"}


def _media_quality(accept: str) -> dict[str, float]:
    """Each media range of an Accept header with its q value."""
    found: dict[str, float] = {}
    for part in accept.split(","):
        media, *params = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media:
            found[media.lower()] = quality
    return found


def chosen_format(format: Format | None, accept: str | None) -> Format:
    """`format` when given; else CSV when the Accept header prefers `text/csv` to JSON."""
    if format is not None:
        return format
    quality = _media_quality(accept or "")
    csv_q = quality.get("text/csv", 0.0)
    json_q = max(quality.get("application/json", 0.0), quality.get("*/*", 0.0) - 0.001)
    return "csv" if csv_q > 0 and csv_q >= json_q else "json"


@router.get(
    "/{address}/statements/{year}",
    response_model=Statement,
    summary="An account's yearly statement (JSON or CSV): shares, trades, revenue, energy",
    responses={
        200: {
            "description": "The statement: JSON (the model below), or CSV with `?format=csv`"
            " (or `Accept: text/csv` without `format`), one row per figure or line.",
            "content": {"text/csv": {"schema": {"type": "string"}, "example": CSV_EXAMPLE}},
        },
        403: {
            "model": ProblemDetail,
            "content": {MEDIA_TYPE: {}},
            "description": "The signed-in account is neither this account nor one it granted",
        },
        422: {
            "model": ProblemDetail,
            "content": {MEDIA_TYPE: {}},
            "description": "A year before the chain's first indexed block, or not begun yet",
        },
    },
)
async def statement(
    state: State,
    request: Request,
    address: AccountAddress,
    year: Annotated[int, Path(ge=1970, le=9999, description="Calendar year, in UTC.")],
    claims: Annotated[tokens.Claims, require_scope("read:statements")],
    format: Annotated[
        Format | None,
        Query(
            description="`json` or `csv`; when absent, `Accept: text/csv` selects CSV and"
            " anything else JSON."
        ),
    ] = None,
) -> Response:
    """The statement of `address` for `year`, at the indexed block. Sign-in required: the account
    itself, or an address it lists in its preferences' `statement_viewers`
    (`PUT /me/preferences`). Every figure and line is defined in
    docs/architecture/api/statements.md; every line names its block, log index and transaction.
    """
    if not await may_read_statements(state.primary, owner=address, reader=claims.address):
        raise Problem(403, f"only {address} itself, or an address it lists in the"
                      " statement_viewers of its preferences, may read its statements; the"
                      f" signed-in {claims.address} is neither", "forbidden")  # fmt: skip
    try:
        found = await account_statement(state.db, chain_id=state.chain_id, account=address,
                                        year=year, indexed_block=state.head.block)  # fmt: skip
    except StatementYearOutOfRange as error:
        raise Problem(422, str(error), "year-out-of-range") from error
    if chosen_format(format, request.headers.get("accept")) == "csv":
        disposition = f'attachment; filename="{statement_csv.filename(found)}"'
        return Response(statement_csv.render(found), media_type=statement_csv.MEDIA_TYPE,
                        headers={**PRIVATE, "Content-Disposition": disposition})  # fmt: skip
    return Response(found.model_dump_json(), media_type="application/json", headers=PRIVATE)
