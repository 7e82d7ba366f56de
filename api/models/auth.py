"""Sign-in, tokens, the signed-in account and its private preferences."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, WithJsonSchema

from api.types import ZERO_ADDRESS, Address, Uint256, Uint256In, checksum

_EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class NonceOut(BaseModel):
    """What a dApp needs to build the sign-in message (EIP-4361)."""

    nonce: str = Field(description="Single use; valid until `expiration_time`.")
    domain: str = Field(description="The message's domain (host[:port] of the API).")
    uri: str = Field(description="The message's URI (the API's origin).")
    chain_id: int
    version: Literal["1"] = "1"
    statement: str
    issued_at: str = Field(description="The server's time now, RFC 3339.")
    expiration_time: str = Field(description="When the nonce expires, RFC 3339.")
    message_template: str = Field(
        description="The message ready to sign once `{address}` is replaced by the EIP-55"
        " address (EIP-191 personal_sign)."
    )


class VerifyIn(BaseModel):
    """A signed sign-in message."""

    model_config = ConfigDict(extra="forbid")

    message: str = Field(min_length=1, max_length=4096, description="The EIP-4361 text signed.")
    signature: str = Field(
        pattern=r"^0x([0-9a-fA-F]{2})+$",
        max_length=8194,
        description="The EIP-191 signature as 0x-prefixed hex (65 bytes for an account; any"
        " length a contract wallet accepts through EIP-1271).",
    )


class RefreshIn(BaseModel):
    """A refresh token to exchange for a new pair."""

    model_config = ConfigDict(extra="forbid")

    refresh_token: str = Field(min_length=1, max_length=256)


class TokensOut(BaseModel):
    """An access token to send as `Authorization: Bearer ...`, and a refresh token."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds the access token lives.")
    refresh_token: str = Field(description="Single use: `POST /auth/refresh` rotates it.")
    refresh_expires_in: int
    address: Address
    chain_id: int


class Me(BaseModel):
    """The signed-in account."""

    address: Address
    chain_id: int
    expires_at: datetime = Field(description="When the access token expires.")


def _email(value: str) -> str:
    if len(value) > 254 or not _EMAIL.match(value):
        raise ValueError("not an email address (name@example.org)")
    name, domain = value.rsplit("@", 1)
    return f"{name}@{domain.lower()}"


def _display_name(value: str | None) -> str | None:
    if value is None:
        return None
    if _CONTROL.search(value):
        raise ValueError("a display name cannot hold control characters")
    return value.strip() or None


def _unique(ids: list[int]) -> list[int]:
    return list(dict.fromkeys(ids))


MAX_STATEMENT_VIEWERS = 10
_HEX_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")


def _viewer(value: str) -> str:
    """An address written with its EIP-55 checksum, lowercase after validation: a grant of access
    to one's statements is not the place for an unchecked typo."""
    if not isinstance(value, str) or not _HEX_ADDRESS.match(value):
        raise ValueError("an address is 0x followed by 40 hexadecimal digits")
    lower = value.lower()
    if lower == ZERO_ADDRESS:
        raise ValueError("the zero address cannot sign in, so it cannot be a viewer")
    if checksum(lower) != value:
        raise ValueError(f"write the address with its EIP-55 checksum: {checksum(lower)}")
    return lower


def _unique_addresses(addresses: list[str]) -> list[str]:
    return list(dict.fromkeys(addresses))


StatementViewer = Annotated[
    str,
    AfterValidator(_viewer),
    WithJsonSchema({"type": "string", "pattern": "^0x[0-9a-fA-F]{40}$",
                    "description": "An address with its EIP-55 checksum (mixed case).",
                    "example": "0x90F79bf6EB2c4f870365E785982E1f101E93b906"}),
]  # fmt: skip


class Notifications(BaseModel):
    """What the account wants to hear about, and where."""

    model_config = ConfigDict(extra="forbid")

    email: Annotated[str, AfterValidator(_email)] | None = Field(
        default=None, max_length=254, examples=["investor@example.org"]
    )
    on_revenue: StrictBool = Field(default=False, description="Revenue deposited to a holding.")
    on_proposal: StrictBool = Field(default=False, description="A proposal on a held asset.")
    on_fill: StrictBool = Field(default=False, description="One of the account's listings filled.")


class PreferencesIn(BaseModel):
    """The account's preferences, replaced whole by `PUT /me/preferences`."""

    model_config = ConfigDict(extra="forbid")

    display_name: Annotated[str | None, AfterValidator(_display_name)] = Field(
        default=None, max_length=64
    )
    watchlist: Annotated[list[Uint256In], AfterValidator(_unique)] = Field(
        default_factory=list,
        max_length=100,
        description="Asset ids (decimal strings), at most 100.",
    )
    notifications: Notifications = Field(default_factory=Notifications)
    statement_viewers: Annotated[list[StatementViewer], AfterValidator(_unique_addresses)] = Field(
        default_factory=list,
        max_length=MAX_STATEMENT_VIEWERS,
        description="Addresses that may read this account's yearly statements"
        " (`GET /accounts/{address}/statements/{year}`) once signed in, an accountant's for"
        f" example: at most {MAX_STATEMENT_VIEWERS}, each with its EIP-55 checksum, not the"
        " account itself. Replacing the list revokes whoever is left out at once.",
    )


class Preferences(BaseModel):
    """The account's stored preferences (defaults until first saved)."""

    address: Address
    display_name: str | None
    watchlist: list[Uint256]
    notifications: Notifications
    statement_viewers: list[Address] = Field(
        description="Who may read this account's yearly statements besides itself."
    )
    updated_at: datetime | None = Field(description="None until first saved.")


class StatementGrant(BaseModel):
    """An account whose yearly statements the signed-in account may read."""

    owner: Address
    granted_at: datetime = Field(description="When the owner last saved its preferences.")
