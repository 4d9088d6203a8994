"""Checking an ID token as OpenID Connect Core 1.0 (section 3.1.3.7) asks: signed by one of the provider's published
keys with an algorithm it announced, issued by the provider, to this client, not expired, not issued in the future,
and carrying the nonce this sign-in sent."""

from typing import Any

from joserfc import jwt
from joserfc.errors import ExpiredTokenError, InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

from services.identities import SignInRefused
from web.sso_provider import OpenIDProvider

# Clocks of this service and the provider may differ by this much.
CLOCK_SKEW_S = 60


class IdTokenRefused(SignInRefused):
    """An ID token that fails a check; the message names the check."""


def _decode(id_token: str, keys: KeySet, algorithms: tuple[str, ...]) -> jwt.Token:
    return jwt.decode(id_token, keys, algorithms=list(algorithms))


def verify_id_token(provider: OpenIDProvider, id_token: str, *, client_id: str, nonce: str) -> dict[str, Any]:
    """The token's claims once every check passed; IdTokenRefused naming the first that failed."""
    metadata = provider.metadata()
    try:
        try:
            token = _decode(id_token, provider.keys(), metadata.id_token_algorithms)
        except InvalidKeyIdError:
            # The provider may have rotated its keys since they were cached.
            token = _decode(id_token, provider.keys(refresh=True), metadata.id_token_algorithms)
    except InvalidKeyIdError as exc:
        raise IdTokenRefused("the ID token is signed with a key the provider does not publish") from exc
    except JoseError as exc:
        raise IdTokenRefused(f"the ID token's signature does not verify ({exc.error})") from exc
    claims = token.claims
    registry = jwt.JWTClaimsRegistry(
        leeway=CLOCK_SKEW_S,
        iss={"essential": True, "value": metadata.issuer},
        sub={"essential": True},
        aud={"essential": True, "value": client_id},
        exp={"essential": True},
        iat={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    try:
        registry.validate(claims)
    except ExpiredTokenError as exc:
        raise IdTokenRefused("the ID token has expired") from exc
    except JoseError as exc:
        raise IdTokenRefused(f"the ID token fails its claims check: {exc.description or exc.error}") from exc
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    # A token for several audiences must name this client as the party it was issued to (Core 1.0, 3.1.3.7 items 4-5).
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise IdTokenRefused("the ID token names several audiences and another authorized party")
    return claims
