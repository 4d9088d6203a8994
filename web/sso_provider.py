"""An OpenID Connect provider as this service sees it: its discovery document and its signing keys (JWKS), each
fetched once and cached, for every sign-in to use.

The keys are fetched again when they are an hour old, and sooner when an ID token names a key the cached set lacks
(the provider rotated its keys), but at most once a minute, so tokens naming made-up keys cannot make this service
hammer the provider.
"""

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from models.errors import BadInput, Unavailable

log = logging.getLogger(__name__)

METADATA_TTL_S = 3600.0
KEYS_TTL_S = 3600.0
KEYS_REFRESH_MIN_S = 60.0
HTTP_TIMEOUT_S = 10.0
# Asymmetric algorithms only: an ID token is checked against the provider's published public keys.
SIGNING_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")


class ProviderUnavailable(Unavailable):
    """The provider did not answer, or answered with an error; signing in may work again later."""


class ProviderMisconfigured(BadInput):
    """The provider's discovery document does not fit the configured issuer or lacks what sign-in needs."""


@dataclass(frozen=True)
class ProviderMetadata:
    """What sign-in reads from the discovery document (OpenID Connect Discovery 1.0, section 3)."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None
    token_auth_methods: tuple[str, ...]
    id_token_algorithms: tuple[str, ...]
    # RFC 9207: the provider names itself in its answer, which defeats mix-up attacks.
    returns_issuer: bool


def get_json(client: httpx.Client, url: str, what: str, **kwargs: Any) -> dict[str, Any]:
    """A JSON object from the provider; ProviderUnavailable when it cannot be had."""
    try:
        response = client.get(url, **kwargs)
    except httpx.HTTPError as exc:
        raise ProviderUnavailable(f"{what} at {url}: {type(exc).__name__}: {exc}") from exc
    return json_object(response, what)


def json_object(response: httpx.Response, what: str) -> dict[str, Any]:
    if response.status_code >= 400:
        raise ProviderUnavailable(f"{what} at {response.request.url}: HTTP {response.status_code}")
    try:
        body = response.json()
    except ValueError as exc:
        raise ProviderUnavailable(f"{what} at {response.request.url}: not JSON") from exc
    if not isinstance(body, dict):
        raise ProviderUnavailable(f"{what} at {response.request.url}: not a JSON object")
    return body


def _metadata(document: dict[str, Any], issuer: str) -> ProviderMetadata:
    # The document must name the issuer it was fetched for (Discovery 1.0, 4.3); a trailing slash is forgiven.
    named = document.get("issuer")
    if not isinstance(named, str) or named.rstrip("/") != issuer.rstrip("/"):
        raise ProviderMisconfigured(f"the discovery document names issuer {named!r}, not the configured {issuer!r}")
    missing = [key for key in ("authorization_endpoint", "token_endpoint", "jwks_uri") if not document.get(key)]
    if missing:
        raise ProviderMisconfigured(f"the discovery document of {issuer} lacks {', '.join(missing)}")
    algorithms = tuple(
        alg for alg in document.get("id_token_signing_alg_values_supported") or ["RS256"] if alg in SIGNING_ALGORITHMS
    )
    if not algorithms:
        raise ProviderMisconfigured(f"{issuer} signs ID tokens with none of {', '.join(SIGNING_ALGORITHMS)}")
    return ProviderMetadata(
        issuer=named,
        authorization_endpoint=document["authorization_endpoint"],
        token_endpoint=document["token_endpoint"],
        jwks_uri=document["jwks_uri"],
        userinfo_endpoint=document.get("userinfo_endpoint"),
        token_auth_methods=tuple(document.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]),
        id_token_algorithms=algorithms,
        returns_issuer=document.get("authorization_response_iss_parameter_supported") is True,
    )


class OpenIDProvider:
    """One provider's metadata and keys, cached; safe to share between requests."""

    def __init__(self, issuer: str) -> None:
        self.issuer = issuer
        self.http = httpx.Client(timeout=HTTP_TIMEOUT_S, headers={"Accept": "application/json"})
        self._lock = threading.Lock()
        self._metadata: tuple[float, ProviderMetadata] | None = None
        self._keys: tuple[float, KeySet] | None = None

    def metadata(self) -> ProviderMetadata:
        with self._lock:
            if self._metadata is None or time.monotonic() - self._metadata[0] > METADATA_TTL_S:
                url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
                found = _metadata(get_json(self.http, url, "discovery document"), self.issuer)
                self._metadata = (time.monotonic(), found)
                log.info("sso: read the discovery document of %s", found.issuer)
            return self._metadata[1]

    def keys(self, *, refresh: bool = False) -> KeySet:
        """The provider's public signing keys; `refresh` fetches them again unless that was done under a minute ago."""
        jwks_uri = self.metadata().jwks_uri
        with self._lock:
            cached = self._keys
            if (
                cached is None
                or (age := time.monotonic() - cached[0]) > KEYS_TTL_S
                or (refresh and age > KEYS_REFRESH_MIN_S)
            ):
                document = get_json(self.http, jwks_uri, "signing keys (JWKS)")
                try:
                    keys = KeySet.import_key_set(document)  # type: ignore[arg-type]  # checked by the import itself
                except (JoseError, ValueError, TypeError, KeyError) as exc:
                    raise ProviderUnavailable(f"signing keys (JWKS) at {jwks_uri}: unusable: {exc}") from exc
                cached = self._keys = (time.monotonic(), keys)
                log.info("sso: fetched %d signing keys from %s", len(keys.keys), jwks_uri)
            return cached[1]


_providers: dict[str, OpenIDProvider] = {}
_providers_lock = threading.Lock()


def provider_for(issuer: str) -> OpenIDProvider:
    """The process's one cache of this issuer's metadata and keys."""
    with _providers_lock:
        if issuer not in _providers:
            _providers[issuer] = OpenIDProvider(issuer)
        return _providers[issuer]
