"""The authorization code flow with PKCE (RFC 7636, S256) against an OpenID Connect provider: the address the
browser is sent to, redeeming the code it brings back, and reading who signed in from the ID token and the
provider's user-info endpoint."""

import base64
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from pipeline.settings import Settings
from services.accounts import UserRole
from services.identities import AccessRules, ProviderAccount, SignInRefused
from web.sso_provider import OpenIDProvider, ProviderUnavailable, get_json, json_object, provider_for
from web.sso_tokens import verify_id_token

CALLBACK_PATH = "/login/sso/callback"


@dataclass(frozen=True)
class SingleSignOn:
    """The deployment's single sign-on settings (CALLINTEL_SSO_*)."""

    issuer: str
    client_id: str
    client_secret: str | None
    scopes: tuple[str, ...]
    provider_name: str
    groups_claim: str
    rules: AccessRules

    @classmethod
    def of(cls, settings: Settings) -> "SingleSignOn | None":
        if not settings.sso_issuer or not settings.sso_client_id:
            return None
        secret = settings.sso_client_secret.get_secret_value() if settings.sso_client_secret else None
        scopes = ("openid", *(scope for scope in settings.sso_scopes if scope != "openid"))
        return cls(
            issuer=settings.sso_issuer,
            client_id=settings.sso_client_id,
            client_secret=secret or None,
            scopes=scopes,
            provider_name=settings.sso_provider_name,
            groups_claim=settings.sso_groups_claim,
            rules=AccessRules(
                roles={group: UserRole(role) for group, role in settings.sso_roles.items()},
                teams=dict(settings.sso_teams),
                default_role=UserRole(settings.sso_default_role) if settings.sso_default_role else None,
                email_domains=tuple(settings.sso_email_domains),
                trust_email=settings.sso_trust_email,
            ),
        )

    @property
    def provider(self) -> OpenIDProvider:
        return provider_for(self.issuer)


def sign_in_options(settings: Settings) -> dict[str, object]:
    """What the login page offers: the provider's button, and whether the password form is shown."""
    return {
        "sso_provider": settings.sso_provider_name if settings.sso_issuer else None,
        "password_login": settings.password_login,
    }


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def code_challenge(verifier: str) -> str:
    """PKCE's S256 transform: BASE64URL(SHA256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorization_url(sso: SingleSignOn, *, state: str, nonce: str, code_verifier: str, redirect_uri: str) -> str:
    query = {
        "response_type": "code",
        "client_id": sso.client_id,
        "redirect_uri": redirect_uri,
        "scope": " ".join(sso.scopes),
        "state": state,
        "nonce": nonce,
        "code_challenge": code_challenge(code_verifier),
        "code_challenge_method": "S256",
    }
    endpoint = sso.provider.metadata().authorization_endpoint
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(query)}"


def _client_auth(sso: SingleSignOn, methods: tuple[str, ...]) -> tuple[dict[str, str], dict[str, str]]:
    """Headers and form fields that authenticate this client at the token endpoint."""
    if sso.client_secret is None:
        return {}, {"client_id": sso.client_id}
    if "client_secret_basic" in methods or "client_secret_post" not in methods:
        # RFC 6749, 2.3.1: both parts are form-encoded before they are joined.
        pair = f"{quote(sso.client_id, safe='')}:{quote(sso.client_secret, safe='')}"
        return {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()}, {}
    return {}, {"client_id": sso.client_id, "client_secret": sso.client_secret}


def redeem_code(sso: SingleSignOn, *, code: str, code_verifier: str, redirect_uri: str) -> dict[str, Any]:
    """The token endpoint's answer for this code: an ID token and an access token."""
    metadata = sso.provider.metadata()
    headers, auth_fields = _client_auth(sso, metadata.token_auth_methods)
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": code_verifier,
        **auth_fields,
    }
    try:
        response = sso.provider.http.post(metadata.token_endpoint, data=form, headers=headers)
    except httpx.HTTPError as exc:
        raise ProviderUnavailable(f"token endpoint {metadata.token_endpoint}: {type(exc).__name__}: {exc}") from exc
    if response.status_code in (400, 401):
        # RFC 6749, 5.2: a code that is wrong, used or expired, or a client the provider does not accept.
        try:
            error = str(response.json().get("error", ""))
        except (ValueError, AttributeError):
            error = ""
        raise SignInRefused(f"the provider would not redeem the sign-in code: {error or response.status_code}")
    tokens = json_object(response, "token endpoint")
    if not isinstance(tokens.get("id_token"), str):
        raise SignInRefused("the provider's token answer carries no ID token (is 'openid' among the scopes?)")
    return tokens


def _claim(claims: dict[str, Any], path: str) -> object:
    value: object = claims
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _groups(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(item for item in value if isinstance(item, str))
    return ()


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def account_of(sso: SingleSignOn, id_claims: dict[str, Any], userinfo: dict[str, Any]) -> ProviderAccount:
    """Who signed in: the ID token's claims, completed by the user-info answer (the ID token wins where both say)."""
    claims = {**userinfo, **id_claims}
    verified = claims.get("email_verified")
    return ProviderAccount(
        issuer=sso.provider.metadata().issuer,
        subject=str(id_claims["sub"]),
        email=_text(claims.get("email")),
        # Some providers send the flag as the text "true".
        email_verified=verified is True or verified == "true",
        name=_text(claims.get("name")),
        username=_text(claims.get("preferred_username")),
        locale=_text(claims.get("locale")),
        groups=_groups(_claim(claims, sso.groups_claim)),
    )


def finish_sign_in(
    sso: SingleSignOn, *, code: str, nonce: str, code_verifier: str, redirect_uri: str
) -> ProviderAccount:
    """Redeems the code, checks the ID token and reads the user's claims; SignInRefused or ProviderUnavailable."""
    tokens = redeem_code(sso, code=code, code_verifier=code_verifier, redirect_uri=redirect_uri)
    id_claims = verify_id_token(sso.provider, tokens["id_token"], client_id=sso.client_id, nonce=nonce)
    userinfo: dict[str, Any] = {}
    endpoint = sso.provider.metadata().userinfo_endpoint
    access_token = tokens.get("access_token")
    if endpoint and isinstance(access_token, str):
        userinfo = get_json(
            sso.provider.http, endpoint, "user-info endpoint", headers={"Authorization": f"Bearer {access_token}"}
        )
        if userinfo.get("sub") != id_claims["sub"]:
            # Core 1.0, 5.3.2: an answer about someone else is not used.
            raise SignInRefused("the provider's user-info answer is about another user than the ID token")
    return account_of(sso, id_claims, userinfo)
