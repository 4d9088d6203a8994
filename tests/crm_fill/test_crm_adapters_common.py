"""What every CRM adapter shares: encrypted secrets, field maps, the rate limiter and Retry-After reading."""

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from crm_fill.adapters import (
    AmoCRMAdapter,
    AmoCRMConnection,
    FieldMap,
    FieldMapError,
    SecretBox,
    SecretKeyError,
    generate_key,
    load_field_map,
)
from crm_fill.adapters.http import RateLimiter, retry_after_s
from crm_fill.schema import builtin_field_schema

AMO = AmoCRMConnection(
    base_url="https://example.amocrm.ru",
    client_id="client-1",
    client_secret=SecretStr("client-secret-value"),
    redirect_uri="https://callintel.example.com/oauth",
    access_token=SecretStr("access-token-value"),
    refresh_token=SecretStr("refresh-token-value"),
)
ONE = "{field: a, crm_field: b, type: string}"


def test_secrets_are_sealed_at_rest_and_masked_everywhere_else():
    box = SecretBox(SecretStr(generate_key()))
    stored = box.seal_connection(AMO)
    text = repr(stored) + repr(AMO) + str(AMO) + AMO.model_dump_json() + repr(box)
    for secret in ("client-secret-value", "access-token-value", "refresh-token-value"):
        assert secret not in text
    assert stored["client_id"] == "client-1" and stored["base_url"] == "https://example.amocrm.ru"
    opened = box.open_connection(AmoCRMConnection, stored)
    assert opened.access_token.get_secret_value() == "access-token-value"
    assert opened.refresh_token.get_secret_value() == "refresh-token-value"


def test_a_wrong_key_or_an_altered_secret_is_an_error_not_garbage():
    stored = SecretBox(SecretStr(generate_key())).seal_connection(AMO)
    with pytest.raises(SecretKeyError, match="wrong key or altered value"):
        SecretBox(SecretStr(generate_key())).open_connection(AmoCRMConnection, stored)
    box = SecretBox(SecretStr(generate_key()))
    sealed = box.seal(SecretStr("token"))
    with pytest.raises(SecretKeyError):
        box.open(sealed[:-4] + ("AAAA" if not sealed.endswith("AAAA") else "BBBB"))
    with pytest.raises(SecretKeyError, match="32 url-safe base64-encoded bytes"):
        SecretBox(SecretStr("not-a-key"))


def test_field_map_file_loads_and_is_checked_against_the_field_schema(tmp_path: Path):
    path = tmp_path / "amocrm.yaml"
    path.write_text(
        "crm: amocrm\ntimezone: Europe/Moscow\nfields:\n"
        "  - {field: budget, crm_field: price, type: money}\n"
        "  - field: deal_stage_suggestion\n    crm_field: 583921\n    type: enum\n"
        "    enum_ids: {qualification: 1204711, proposal: 1204713}\n",
        encoding="utf-8",
    )
    field_map = load_field_map(path)
    assert field_map.mapping("deal_stage_suggestion").enum_ids == {"qualification": "1204711", "proposal": "1204713"}
    field_map.check(builtin_field_schema())
    wrong_type = field_map.model_copy(deep=True)
    wrong_type.fields[0].type = "string"
    with pytest.raises(FieldMapError, match="'budget' is string here but money in schema 'default'"):
        wrong_type.check(builtin_field_schema())
    wrong_value = field_map.model_copy(deep=True)
    wrong_value.fields[1].enum_ids["shipped"] = "1"
    with pytest.raises(FieldMapError, match=r"maps values the schema does not allow: \['shipped'\]"):
        wrong_value.check(builtin_field_schema())


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("crm: amocrm\nfields: [\n", "YAML syntax error"),
        (f"crm: pipedrive\nfields: [{ONE}]\n", "invalid field map: crm"),
        (f"crm: amocrm\ntimezone: Mars/Olympus\nfields: [{ONE}]\n", "unknown time zone"),
        (f"crm: hubspot\nfields: [{ONE}, {ONE}]\n", "fields mapped twice: \\['a'\\]"),
        ("crm: webhook\nfields: [{field: a, crm_field: x, type: string}, {field: b, crm_field: x, type: string}]\n",
         "two of our fields would overwrite: \\['x'\\]"),
    ],
)  # fmt: skip
def test_bad_field_map_files_name_the_problem(tmp_path: Path, text: str, problem: str):
    path = tmp_path / "team.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FieldMapError, match=problem) as error:
        load_field_map(path)
    assert str(path) in str(error.value)


def test_an_adapter_refuses_another_crms_field_map():
    hubspot_map = FieldMap.model_validate(
        {"crm": "hubspot", "fields": [{"field": "a", "crm_field": "b", "type": "string"}]}
    )
    with pytest.raises(ValueError, match="a hubspot field map cannot drive the amocrm adapter"):
        AmoCRMAdapter(AMO, hubspot_map)


def test_rate_limiter_spaces_requests_after_the_burst():
    clock = [0.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock[0] += seconds

    limiter = RateLimiter(2.0, burst=2, clock=lambda: clock[0], sleep=sleep)
    for _ in range(10):
        limiter.acquire()
    assert waits == [0.5] * 8 and clock[0] == pytest.approx(4.0)
    clock[0] += 5.0  # idle time refills the bucket, up to the burst only
    limiter.acquire()
    limiter.acquire()
    limiter.acquire()
    assert waits[8:] == [0.5]


def test_retry_after_reads_seconds_and_http_dates():
    def answer(value: str) -> httpx.Response:
        return httpx.Response(429, headers={"Retry-After": value})

    assert retry_after_s(answer("7")) == 7.0
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=90), usegmt=True)
    assert 80 <= (retry_after_s(answer(later)) or 0) <= 90
    assert retry_after_s(answer("soon")) is None
    assert retry_after_s(httpx.Response(429)) is None
