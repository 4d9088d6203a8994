"""The signature scheme subscribers check, and the retry schedule."""

import pytest

from pipeline.signing import sign, verify
from publish.delivery import backoff_s

BODY = b'{"id":"e1","type":"call.failed"}'
NOW = 1_750_000_000


def test_the_signature_is_the_hmac_of_timestamp_dot_body() -> None:
    # printf '1750000000.{"id":"e1","type":"call.failed"}' | openssl dgst -sha256 -hmac k
    expected = "sha256=709818c4cc31d854b67f4b3b2a57e2b4c9a36053ed66bc4f0784445e8cacd6b7"
    assert sign("k", NOW, BODY) == expected
    assert sign("k", NOW + 1, BODY) != expected
    assert sign("other", NOW, BODY) != expected


def test_a_valid_signature_passes_in_either_timestamp_form() -> None:
    signature = sign("k", NOW, BODY)
    assert verify("k", str(NOW), BODY, signature, now=NOW + 5, tolerance_s=300) is None
    assert verify("k", NOW, BODY, signature.upper().replace("SHA256=", "sha256="), now=NOW, tolerance_s=300) is None


@pytest.mark.parametrize(
    ("timestamp", "body", "signature", "now", "reason"),
    [
        (None, BODY, "sha256=" + "0" * 64, NOW, "missing X-Callintel-Timestamp"),
        (str(NOW), BODY, None, NOW, "missing X-Callintel-Signature"),
        ("17e8", BODY, "sha256=" + "0" * 64, NOW, "must be unix seconds"),
        ("-5", BODY, "sha256=" + "0" * 64, NOW, "must be unix seconds"),
        (str(NOW), BODY, "md5=abc", NOW, "must be 'sha256=' and 64 hex digits"),
        (str(NOW), BODY, sign("k", NOW, BODY), NOW + 301, "301 s old"),
        (str(NOW), BODY, sign("k", NOW, BODY), NOW - 400, "400 s in the future"),
        (str(NOW), BODY + b" ", sign("k", NOW, BODY), NOW, "does not match"),
        (str(NOW + 1), BODY, sign("k", NOW, BODY), NOW, "does not match"),
    ],
)
def test_what_is_refused_says_why(
    timestamp: str | None, body: bytes, signature: str | None, now: int, reason: str
) -> None:
    refused = verify("k", timestamp, body, signature, now=now, tolerance_s=300)
    assert refused is not None and reason in refused


def test_the_backoff_doubles_up_to_the_cap_less_up_to_a_tenth() -> None:
    assert [backoff_s(n, 5, 60, rng=lambda: 0.0) for n in range(1, 7)] == [5, 10, 20, 40, 60, 60]
    assert backoff_s(2, 5, 60, rng=lambda: 1.0) == pytest.approx(9.0)
    assert all(18 <= backoff_s(3, 5, 60) <= 20 for _ in range(100))
