"""A thin adapter between Starlette and Authlib's framework-agnostic server: requests in, answers
out.

Authlib's protocol code is synchronous and reads its request's query and form as dictionaries;
the body is read here (asynchronously) before Authlib sees it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from authlib.oauth2.rfc6749 import InsecureTransportError, OAuth2Payload, OAuth2Request
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

FORM = "application/x-www-form-urlencoded"


class _Payload(OAuth2Payload):
    def __init__(self, items: Sequence[tuple[str, str]]) -> None:
        self._data: dict[str, str] = {}
        self._datalist: defaultdict[str, list[str]] = defaultdict(list)
        for key, value in items:
            self._data.setdefault(key, value)
            self._datalist[key].append(value)

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        return self._datalist


class InsecureTransport(Exception):
    """OAuth 2.0 needs TLS: the API's public URL is plain http on a host that is not loopback."""


class StarletteOAuth2Request(OAuth2Request):
    """An Authlib request made of a Starlette request's method, URL, headers, query and form."""

    def __init__(self, method: str, uri: str, headers: Mapping[str, str],
                 query: Sequence[tuple[str, str]], form: Sequence[tuple[str, str]], *,
                 secure_only: bool = True) -> None:  # fmt: skip
        # Authlib refuses plain http but on loopback; in development any http is allowed (as
        # AUTHLIB_INSECURE_TRANSPORT would, without changing the process's environment).
        checked = uri if secure_only else "https://" + uri.split("://", 1)[-1]
        try:
            super().__init__(method, checked, headers=headers)
            self.uri = uri
        except InsecureTransportError as error:
            raise InsecureTransport(
                f"OAuth 2.0 is served over https only (or http on a loopback address, for"
                f" development): this API's public URL is {uri.split('/oauth')[0]}"
                " (API_PUBLIC_URL)"
            ) from error
        self._args = dict(reversed(list(query)))  # the first of a repeated parameter
        self._form = dict(reversed(list(form)))
        self.payload = _Payload([*query, *form])

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


async def oauth_request(request: Request, base_url: str, *,
                        secure_only: bool = True) -> StarletteOAuth2Request:  # fmt: skip
    """Authlib's view of a Starlette request; `base_url` is where clients reach the API."""
    form: list[tuple[str, str]] = []
    if request.headers.get("content-type", "").split(";")[0].strip() == FORM:
        form = parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)
    return StarletteOAuth2Request(request.method, f"{base_url}{request.url.path}",
                                  request.headers, request.query_params.multi_items(), form,
                                  secure_only=secure_only)  # fmt: skip


def consent_request(base_url: str, headers: Headers, query: Sequence[tuple[str, str]], *,
                    secure_only: bool = True) -> StarletteOAuth2Request:  # fmt: skip
    """The authorization request the consent page carries back (its original query)."""
    return StarletteOAuth2Request("GET", f"{base_url}/oauth/authorize", headers, query, [],
                                  secure_only=secure_only)  # fmt: skip


@dataclass(frozen=True)
class Answer:
    """What Authlib answered: a status, a body (a dict, or "" for a redirect) and headers."""

    status: int
    body: Any
    headers: list[tuple[str, str]] = field(default_factory=list)

    @property
    def location(self) -> str | None:
        return next((v for k, v in self.headers if k.lower() == "location"), None)

    def response(self) -> Response:
        """The Starlette response."""
        location = self.location
        if location is not None:
            return RedirectResponse(location, status_code=self.status)
        headers = {k: v for k, v in self.headers if k.lower() != "content-type"}
        return JSONResponse(self.body, status_code=self.status, headers=headers)
