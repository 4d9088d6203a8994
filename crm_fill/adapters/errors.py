"""What can go wrong talking to a CRM, split by what the caller should do about it.

A `RetryableCRMError` (rate limit, 5xx, timeout, lost connection) is worth sending again later, after
`retry_after_s` when the CRM said how long to wait. A `PermanentCRMError` (validation, no access, no such deal,
a field with no CRM mapping, a connection whose tokens were revoked) fails the same way every time until a person
changes something. They are the two branches of the project's failure policy (models/errors.py): retryable is
`Unavailable`, permanent is `BadInput`. Messages name the CRM, the request and the problem; they never carry a
token or a secret URL.
"""

from models.errors import BadInput, CallintelError, Unavailable


class CRMError(CallintelError):
    """A CRM request that did not do what was asked; never raised itself, always as one of the two kinds below."""

    def __init__(self, crm: str, message: str, *, status: int | None = None):
        super().__init__(f"{crm}: {message}")
        self.crm = crm
        self.status = status


class RetryableCRMError(CRMError, Unavailable):
    """Send it again later: the CRM was busy, rate-limited the account, failed or did not answer in time."""

    def __init__(self, crm: str, message: str, *, status: int | None = None, retry_after_s: float | None = None):
        super().__init__(crm, message, status=status)
        self.retry_after_s = retry_after_s


class PermanentCRMError(CRMError, BadInput):
    """Sending it again would fail the same way: the request itself, the access or the setup is wrong."""


class CRMAuthError(PermanentCRMError):
    """The CRM refused the credentials and they could not be refreshed: the connection must be made again."""


class DealNotFound(PermanentCRMError):
    """No deal with that id, or no deal linked to that phone number."""


class MappingError(PermanentCRMError):
    """An approved value that the team's field mapping cannot turn into a value for this CRM."""


class TokenExpired(CRMAuthError):
    """The CRM refused the access token; refreshing it may cure that, once."""
