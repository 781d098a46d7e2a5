"""`POST /oauth/token`: the OAuth 2.0 client-credentials grant (RFC 6749 §4.4).

The client authenticates with HTTP Basic or with `client_id`/`client_secret` in the form (not
both, §2.3). Errors use RFC 6749 §5.2 bodies, and every answer says `Cache-Control: no-store`.
"""

from __future__ import annotations

import base64
import binascii
import json
from urllib.parse import parse_qs, unquote_plus

from fastapi import APIRouter, Request
from starlette.responses import Response

from frontdesk_app.sandbox.deps import context
from frontdesk_app.sandbox.schemas import TokenError, TokenResponse
from frontdesk_app.sandbox.state import dump_scopes

router = APIRouter(tags=["oauth"])
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_FORM = "application/x-www-form-urlencoded"
_FORM_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            _FORM: {
                "schema": {
                    "type": "object",
                    "required": ["grant_type"],
                    "properties": {
                        "grant_type": {"type": "string", "enum": ["client_credentials"]},
                        "scope": {"type": "string"},
                        "client_id": {"type": "string"},
                        "client_secret": {"type": "string"},
                    },
                }
            }
        },
    },
    "security": [{"clientBasic": []}, {}],
}
_ERROR_DOC = {"model": TokenError, "description": "RFC 6749 §5.2 error"}


def token_error(status: int, error: str, description: str, *, basic: bool = False) -> Response:
    headers = dict(_NO_STORE)
    if basic:
        headers["WWW-Authenticate"] = 'Basic realm="frontdesk", charset="UTF-8"'
    body = json.dumps({"error": error, "error_description": description})
    return Response(body, status_code=status, media_type="application/json", headers=headers)


def _basic_credentials(header: str) -> tuple[str, str] | None:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    if not sep:
        return None
    # RFC 6749 §2.3.1: id and secret are form-urlencoded before Basic encoding.
    return unquote_plus(user), unquote_plus(password)


@router.post(
    "/oauth/token",
    response_model=TokenResponse,
    summary="Get an access token (OAuth 2.0 client credentials)",
    responses={400: _ERROR_DOC, 401: _ERROR_DOC, 413: _ERROR_DOC, 429: _ERROR_DOC},
    openapi_extra=_FORM_DOC,
)
async def token(request: Request) -> Response:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != _FORM:
        return token_error(400, "invalid_request", "Send the request as a form (" + _FORM + ").")
    try:
        form = parse_qs((await request.body()).decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError:
        return token_error(400, "invalid_request", "The form is not valid UTF-8.")
    if any(len(values) > 1 for values in form.values()):
        return token_error(400, "invalid_request", "A parameter was sent more than once.")
    fields = {name: values[0] for name, values in form.items()}
    header = request.headers.get("authorization")
    basic = header is not None
    if header is not None:
        pair = _basic_credentials(header)
        if pair is None:
            return token_error(401, "invalid_client", "Malformed Basic credentials.", basic=True)
        if "client_secret" in fields:
            return token_error(400, "invalid_request", "Use one way of client authentication.")
        client_id, secret = pair
    else:
        client_id = fields.get("client_id", "")
        secret = fields.get("client_secret", "")
        if not client_id or not secret:
            return token_error(401, "invalid_client", "Client authentication is missing.")
    grant = fields.get("grant_type")
    if grant is None:
        return token_error(400, "invalid_request", "grant_type is missing.")
    if grant != "client_credentials":
        return token_error(400, "unsupported_grant_type", "Only client_credentials is supported.")
    ctx = context(request)
    allowed = await ctx.credentials.check_client(client_id, secret)
    if allowed is None:
        return token_error(401, "invalid_client", "Unknown client or wrong secret.", basic=basic)
    asked = fields.get("scope")
    scopes = allowed
    if asked is not None and asked.strip():
        wanted = frozenset(asked.split())
        if not wanted <= allowed:
            return token_error(400, "invalid_scope", "The client may not have that scope.")
        scopes = wanted
    issued = await ctx.credentials.issue_token(client_id, scopes)
    body = TokenResponse(
        access_token=issued.access_token,
        token_type="Bearer",  # noqa: S106
        expires_in=issued.expires_in,
        scope=dump_scopes(issued.scopes),
    )
    return Response(
        body.model_dump_json(), status_code=200, media_type="application/json", headers=_NO_STORE
    )
