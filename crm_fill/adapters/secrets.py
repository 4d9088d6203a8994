"""CRM credentials at rest: encrypted with a key from the settings, shown as '**********' everywhere else.

Tokens, client secrets and webhook URLs live in `pydantic.SecretStr` fields, whose repr, str and JSON dump are
masked, so a connection object can be logged or put in an error message without leaking anything. To store one,
`SecretBox.seal_connection` encrypts every secret field (Fernet: AES-128-CBC with an HMAC-SHA256 tag), and
`open_connection` gives the object back. A wrong key or a tampered value is an error, never a silent garbage token.
"""

from typing import Any, TypeVar, get_args

from cryptography.fernet import Fernet, InvalidToken
from pydantic import BaseModel, SecretStr

from models.errors import BadInput

Connection = TypeVar("Connection", bound=BaseModel)


class SecretKeyError(BadInput, ValueError):
    """A key that is not a Fernet key, or sealed text that this key did not seal (or that was altered)."""


def generate_key() -> str:
    """A new random key for `SecretBox`, as the URL-safe base64 text the settings hold."""
    return Fernet.generate_key().decode("ascii")


class SecretBox:
    """Encrypts and decrypts CRM secrets with one key."""

    def __init__(self, key: SecretStr):
        try:
            self._fernet = Fernet(key.get_secret_value().encode("ascii"))
        except (ValueError, UnicodeEncodeError) as exc:
            raise SecretKeyError("the secrets key must be 32 url-safe base64-encoded bytes (see generate_key)") from exc

    def __repr__(self) -> str:
        return "SecretBox(key='**********')"

    def seal(self, secret: SecretStr) -> str:
        return self._fernet.encrypt(secret.get_secret_value().encode("utf-8")).decode("ascii")

    def open(self, sealed: str) -> SecretStr:
        try:
            return SecretStr(self._fernet.decrypt(sealed.encode("ascii")).decode("utf-8"))
        except (InvalidToken, UnicodeEncodeError) as exc:
            raise SecretKeyError("a stored CRM secret cannot be decrypted: wrong key or altered value") from exc

    def seal_connection(self, connection: BaseModel) -> dict[str, Any]:
        """The connection as JSON-ready data, every SecretStr field replaced by its sealed text."""
        data = connection.model_dump(mode="json")
        for name in _secret_fields(connection):
            value = getattr(connection, name)
            data[name] = self.seal(value) if value is not None else None
        return data

    def open_connection(self, cls: type[Connection], data: dict[str, Any]) -> Connection:
        """The connection `seal_connection` stored, with its secrets decrypted."""
        opened = dict(data)
        for name in _secret_field_names(cls):
            if opened.get(name) is not None:
                opened[name] = self.open(opened[name])
        return cls.model_validate(opened)


def _secret_field_names(cls: type[BaseModel]) -> list[str]:
    """Fields typed SecretStr or SecretStr | None."""
    return [
        name
        for name, info in cls.model_fields.items()
        if info.annotation is SecretStr or SecretStr in get_args(info.annotation)
    ]


def _secret_fields(connection: BaseModel) -> list[str]:
    return _secret_field_names(type(connection))
