"""The calls list and the call page on the embedded database (SQLite, local storage): who sees which call, the
transcript escaped and redacted, the audio a browser plays (decoded back with PyAV), and ROP overrides."""

import io
import re
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path

import av
import pytest
from sqlalchemy import select, update

from pipeline.db import ItemOverride, Recording
from pipeline.playback import playback_key
from pipeline.retention import purge_expired
from pipeline.stages import output_key
from tests.support.scored_calls import BUDGET_QUESTION, BUDGET_QUOTE_START, add_scored_call
from tests.support.web_users import add_people, browser, embedded_runtime, log_in

XSS = "<script>alert(1)</script>"


@pytest.fixture
def world(tmp_path: Path):
    runtime = embedded_runtime(tmp_path)
    people = add_people(runtime)
    now = datetime.now(UTC)
    # Halfway through today, so the date filters see it as today even just after midnight.
    earlier_today = now - (now - now.replace(hour=0, minute=0, second=0, microsecond=0)) / 2
    calls = {
        "a_old": add_scored_call(runtime, rep_id=people.rep_a, team_id=people.team_a, created_at=now - timedelta(2)),
        "a_new": add_scored_call(
            runtime,
            rep_id=people.rep_a,
            team_id=people.team_a,
            customer_said=f"{XSS} мой номер +7 916 123-45-67",
            created_at=earlier_today,
        ),
        "b": add_scored_call(runtime, rep_id=people.rep_b, team_id=people.team_b, created_at=now),
    }
    return runtime, people, calls


def _listed(page: str) -> list[str]:
    return re.findall(r'href="/app/calls/([0-9a-f]{32})"', page)


def test_each_role_lists_the_calls_it_may_see_newest_first(world) -> None:
    runtime, _, calls = world
    expected = {
        "rep-a": [calls["a_new"], calls["a_old"]],
        "rop-a": [calls["a_new"], calls["a_old"]],
        "rop-b": [calls["b"]],
        "admin": [calls["b"], calls["a_new"], calls["a_old"]],
    }
    for login, ids in expected.items():
        client = browser(runtime)
        log_in(client, login)
        page = client.get("/app/calls")
        assert page.status_code == 200
        assert _listed(page.text) == ids, login
        assert "[PHONE]" in page.text and "+79161234567" not in page.text


def test_the_list_filters_by_date_rep_and_status_and_pages(world) -> None:
    runtime, people, calls = world
    client = browser(runtime)
    log_in(client, "admin")
    today = datetime.now(UTC).date()
    assert _listed(client.get(f"/app/calls?since={today}").text)[-1] != calls["a_old"]
    assert _listed(client.get(f"/app/calls?until={today - timedelta(days=1)}").text) == [calls["a_old"]]
    assert _listed(client.get(f"/app/calls?rep={people.rep_b}").text) == [calls["b"]]
    assert _listed(client.get("/app/calls?status=failed").text) == []
    assert len(_listed(client.get("/app/calls?status=done").text)) == 3
    wrong = client.get("/app/calls?since=yesterday")
    assert wrong.status_code == 422 and "yesterday" in wrong.text
    for _ in range(25):
        add_scored_call(runtime, rep_id=people.rep_b, team_id=people.team_b)
    first, second = client.get("/app/calls"), client.get("/app/calls?page=2")
    assert len(_listed(first.text)) == 25 and len(_listed(second.text)) == 3
    assert "page=2" in first.text and calls["a_old"] in _listed(second.text)


def test_the_call_page_shows_labelled_turns_with_timestamps_escaped_and_redacted(world) -> None:
    runtime, _, calls = world
    client = browser(runtime)
    log_in(client, "rep-a")
    page = client.get(f"/app/calls/{calls['a_new']}")
    assert page.status_code == 200
    html = page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert XSS not in html
    assert "[PHONE]" in html and "123-45-67" not in html
    turns = re.findall(r'<li class="turn (\w+)">\s*<span class="ts"><a [^>]*data-seek="([\d.]+)"', html)
    assert turns == [("rep", "0.00"), ("customer", "1.10"), ("rep", "2.20")]
    assert html.count('class="who-said">Менеджер<') == 2 and html.count('class="who-said">Клиент<') == 1
    assert f'data-seek="{BUDGET_QUOTE_START:.2f}"' in html and f"«{BUDGET_QUESTION}»" in unescape(html)
    assert "Спросил о бюджете" in html and "фразы" in html
    assert "Риски сделки" in html and "Доля речи" in html and "Клиент назвал бюджет." in html
    assert "data-call-player" in html and "Исправить" not in html


def test_a_rep_opening_another_reps_call_gets_404_and_so_does_the_audio(world) -> None:
    runtime, _, calls = world
    client = browser(runtime)
    log_in(client, "rep-a")
    assert client.get(f"/app/calls/{calls['b']}").status_code == 404
    assert client.get(f"/app/calls/{calls['b']}/audio").status_code == 404
    assert client.get("/app/calls/0123456789abcdef0123456789abcdef").status_code == 404


def test_the_audio_is_playable_mp3_made_once_and_answers_ranges(world) -> None:
    runtime, _, calls = world
    client = browser(runtime)
    log_in(client, "rep-a")
    url = f"/app/calls/{calls['a_new']}/audio"
    whole = client.get(url)
    assert whole.status_code == 200
    assert whole.headers["content-type"] == "audio/mpeg" and whole.headers["accept-ranges"] == "bytes"
    with av.open(io.BytesIO(whole.content)) as container:
        stream = container.streams.audio[0]
        assert container.format.name == "mp3" and stream.codec_context.channels == 1
        samples = sum(frame.samples for frame in container.decode(stream))
    assert 3.0 < samples / stream.codec_context.sample_rate < 3.6  # the test recording is 3.23 s
    assert runtime.storage.get_bytes(playback_key(calls["a_new"])) == whole.content
    size = len(whole.content)
    part = client.get(url, headers={"Range": "bytes=100-1099"})
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 100-1099/{size}"
    assert part.content == whole.content[100:1100]
    tail = client.get(url, headers={"Range": "bytes=-200"})
    assert tail.status_code == 206 and tail.content == whole.content[-200:]
    assert tail.headers["content-range"] == f"bytes {size - 200}-{size - 1}/{size}"
    outside = client.get(url, headers={"Range": f"bytes={size}-"})
    assert outside.status_code == 416 and outside.headers["content-range"] == f"bytes */{size}"


def test_audio_purged_by_retention_answers_410_saying_so(world) -> None:
    runtime, _, calls = world
    client = browser(runtime)
    log_in(client, "rop-a")
    call_id = calls["a_old"]
    assert client.get(f"/app/calls/{call_id}/audio").status_code == 200
    runtime.settings.retention_days = 1
    purge_expired(runtime)
    assert not runtime.storage.exists(playback_key(call_id))
    gone = client.get(f"/app/calls/{call_id}/audio")
    assert gone.status_code == 410
    assert "сроку хранения" in gone.text
    page = client.get(f"/app/calls/{call_id}")
    assert page.status_code == 200 and "data-call-player" not in page.text and "data-seek" not in page.text
    assert "Расшифровка удалена" in page.text


def _override(client, call_id: str, item: str, csrf: str | None, **form: str):
    data = {"answer": "no", "reason": "Клиент сам назвал бюджет, менеджер не спрашивал", **form}
    if csrf is not None:
        data["csrf_token"] = csrf
    return client.post(f"/app/calls/{call_id}/items/{item}/override", data=data, follow_redirects=False)


def test_a_rop_overrides_an_item_with_a_reason_and_the_score_follows(world) -> None:
    runtime, _, calls = world
    client = browser(runtime)
    csrf = log_in(client, "rop-a")
    call_id = calls["a_new"]
    before = client.get(f"/app/calls/{call_id}").text
    assert "23 %" in before and 'action="/app/calls/' in before
    answer = _override(client, call_id, "budget", csrf)
    assert answer.status_code == 303 and answer.headers["location"].endswith("#item-budget")
    page = client.get(f"/app/calls/{call_id}").text
    assert "Клиент сам назвал бюджет, менеджер не спрашивал" in page
    assert "Исправлено: rop-a" in page and "Анализ ответил: да" in page
    assert "14 %" in page and "до исправлений: 23 %" in page
    with runtime.db.session() as session:
        row = session.scalar(select(ItemOverride))
        assert (row.item_id, row.answer, row.ai_answer["answer"], row.actor) == ("budget", "no", "yes", "rop-a")
    listed = client.get("/app/calls").text
    assert "14 %" in listed


def test_an_override_without_a_reason_is_refused_on_the_page(world) -> None:
    runtime, _, calls = world
    client = browser(runtime)
    csrf = log_in(client, "admin")
    answer = _override(client, calls["b"], "budget", csrf, reason="  ")
    assert answer.status_code == 422 and "Give a reason for the override." in answer.text
    with runtime.db.session() as session:
        assert session.scalar(select(ItemOverride)) is None


def test_who_may_not_override_is_refused(world) -> None:
    runtime, _, calls = world
    rep = browser(runtime)
    assert _override(rep, calls["a_new"], "budget", log_in(rep, "rep-a")).status_code == 403
    other_rop = browser(runtime)
    assert _override(other_rop, calls["a_new"], "budget", log_in(other_rop, "rop-b")).status_code == 404
    rop = browser(runtime)
    log_in(rop, "rop-a")
    assert _override(rop, calls["a_new"], "budget", None).status_code == 403
    assert _override(rop, calls["a_new"], "budget", "wrong-token").status_code == 403
    with runtime.db.session() as session:
        assert session.scalar(select(ItemOverride)) is None


def test_a_recording_missing_from_storage_answers_with_a_clear_error(world) -> None:
    runtime, _, calls = world
    client = browser(runtime)
    log_in(client, "admin")
    with runtime.db.session() as session:
        session.execute(update(Recording).values(storage_key="recordings/none.wav"))
    answer = client.get(f"/app/calls/{calls['b']}/audio")
    assert answer.status_code == 422 and "cannot be played" in answer.text
    assert runtime.storage.exists(output_key(calls["b"], "result"))
