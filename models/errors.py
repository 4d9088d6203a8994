"""The failure policy: every error callintel raises says, by its type, whether trying again can help.

- `BadInput`: what was given is at fault (an undecodable recording, a broken call script, a wrongly signed
  webhook, a value that does not fit its field). The same input fails the same way every time, so it is never
  retried: a stage fails the call at once with the reason, a request is answered 4xx with it.
- `Unavailable`: something the work needs is not there right now (storage, the database, an LLM or CRM server,
  a model that could not be loaded). It is retried with backoff (a stage by its queue, an outbox delivery by its
  schedule, a webhook sender by the 5xx/Retry-After it is answered), and fails for good only when retries run out.

Both derive from `CallintelError`. A module's own errors derive from one of the two branches, keeping any
builtin base their callers catch (`class AudioError(BadInput, ValueError)`). A module whose failures come in
both kinds may group them under a family base that derives from `CallintelError` and is never raised itself
(`StorageError` over `StorageUnavailable` and `NoSuchObject`; `CRMError`; `StageFailed`).

Retry decisions read these types, never a message string and never a builtin type such as `ValueError`. An
error of neither branch (a bug, a library's own exception) is unexpected: it is retried like `Unavailable`,
since from outside a bug and a passing fault look alike, and the retry limit bounds what that costs.
docs/failures.md says where each decision is taken.
"""


class CallintelError(Exception):
    """Any failure callintel itself raises; its branch says whether trying again can help."""


class BadInput(CallintelError):
    """The input is at fault: never retried; the call or request fails with this message as the reason."""


class Unavailable(CallintelError):
    """A server or dependency is unavailable for now: retried with backoff until the retries run out."""


def worth_retrying(exc: BaseException) -> bool:
    """Whether trying the same work again may succeed: yes unless the failure is bad input."""
    return not isinstance(exc, BadInput)
