"""Who may use the JSON API: one shared bearer token for now (users and sessions come later).

With CALLINTEL_API_TOKEN set, /calls and /deliveries need `Authorization: Bearer <token>`. Unset, they are open:
that is only for a deployment whose API listens on loopback, behind nothing that forwards outside traffic to it.
"""

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ingest.providers.base import same_secret

_bearer = HTTPBearer(auto_error=False, description="CALLINTEL_API_TOKEN, when the deployment sets one.")


def require_api_token(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> None:
    token = request.app.state.runtime.settings.api_token
    if token is None or not token.get_secret_value():
        return
    if credentials is None:
        raise HTTPException(401, "missing Authorization: Bearer token", headers={"WWW-Authenticate": "Bearer"})
    if not same_secret(credentials.credentials, token.get_secret_value()):
        raise HTTPException(401, "wrong bearer token", headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
