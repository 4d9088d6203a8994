"""What every provider module shares: the request it reads, its two non-call answers and signature helpers."""

import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

from pydantic import SecretStr, ValidationError

from models.errors import BadInput


class RejectedRequest(BadInput):
    """A request that is not taken: unsigned, wrongly signed, malformed, or for a provider not configured.
    The web app answers it with `status_code` and {"detail": reason}."""

    def __init__(self, status_code: int, reason: str) -> None:
        super().__init__(reason)
        self.status_code = status_code
        self.reason = reason


@dataclass(frozen=True)
class Ignored:
    """A genuine request that announces nothing to take in (a recording still in progress, a call not recorded)."""

    reason: str


@dataclass(frozen=True)
class ProviderRequest:
    """An HTTP request as a provider sent it, already read: headers keyed in lower case, the raw body."""

    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def form(self) -> list[tuple[str, str]]:
        """The body's form fields in the order sent; a repeated field appears once per value."""
        try:
            return parse_qsl(self.body.decode("utf-8"), keep_blank_values=True)
        except UnicodeDecodeError as exc:
            raise RejectedRequest(400, f"form body is not UTF-8: {exc}") from exc

    def query(self) -> dict[str, str]:
        return dict(parse_qsl(urlsplit(self.url).query, keep_blank_values=True))


def same_secret(given: str | None, expected: str) -> bool:
    """Constant-time comparison, so the time taken tells an attacker nothing about how much of a guess was right."""
    if given is None:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def configured(secret: SecretStr | str | None, what: str) -> str:
    """The secret's value, or a 403 naming the setting when it is unset: a provider nobody configured takes nothing."""
    value = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
    if not value:
        raise RejectedRequest(403, f"{what} is not configured")
    return value


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header value."""
    scheme, _, token = (authorization or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def validation_reason(exc: ValidationError) -> str:
    """One line naming each field that failed and why, for a 422 a sender can act on."""
    parts = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"]) or "body"
        parts.append(f"{where}: {error['msg']}")
    return "; ".join(parts)
