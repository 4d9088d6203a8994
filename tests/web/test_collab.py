"""Comments, mentions and call snippets on PostgreSQL, through the app as a browser uses it: a mention of someone
who may see the call is stored for their inbox and sent to subscribers as a `comment.mention` event (redacted);
only the author edits or deletes a comment; a rep can neither open a snippet of another rep's call nor comment on
it, and sharing a snippet sends a `snippet.created` event."""

from sqlalchemy import select

from pipeline.db import Comment, CommentMention, Delivery, OutboxEvent, Subscriber
from pipeline.runtime import Runtime
from pipeline.settings import Settings
from tests.support.deal_history import add_deal, add_deal_call, add_pipeline, map_owner, postgres
from tests.support.web_users import People, add_people, browser, log_in

__all__ = ["postgres"]  # the PostgreSQL fixture


def _world(settings: Settings) -> tuple[Runtime, People, str, str, int, int]:
    runtime = Runtime(settings)
    people = add_people(runtime)
    add_pipeline(runtime)
    map_owner(runtime, "501", people.rep_a)
    map_owner(runtime, "601", people.rep_b)
    ours = add_deal(runtime, "A-1", name="Станки для завода", owner="501")
    theirs = add_deal(runtime, "B-1", name="Training for Acme", owner="601")
    call_a = add_deal_call(runtime, ours, days_ago=1, rep_id=people.rep_a, team_id=people.team_a)
    call_b = add_deal_call(runtime, theirs, days_ago=1, rep_id=people.rep_b, team_id=people.team_b)
    with runtime.db.session() as session:
        session.add(Subscriber(url="http://127.0.0.1:9/hook", secret="s" * 32, events=["comment.mention"]))
    return runtime, people, call_a, call_b, ours, theirs


def _events(runtime: Runtime, kind: str) -> list[dict]:
    with runtime.db.session() as session:
        return [
            row.payload
            for row in session.scalars(
                select(OutboxEvent).where(OutboxEvent.type == kind).order_by(OutboxEvent.created_at)
            )
        ]


def test_a_mention_notifies_who_may_see_the_call_and_only_the_author_changes_a_comment(postgres: Settings) -> None:
    runtime, _, call_a, _, ours, _ = _world(postgres)
    with browser(runtime) as client:
        csrf = log_in(client, "rep-a")
        posted = client.post(
            f"/app/calls/{call_a}/comments",
            data={
                "text": "@rop-a послушайте возражение, клиент просил перезвонить на +7 916 123-45-67. @rep-b",
                "csrf_token": csrf,
            },
            follow_redirects=False,
        )
        assert posted.status_code == 303 and posted.headers["location"].startswith(f"/app/calls/{call_a}#comment-")
        comment_id = int(posted.headers["location"].rsplit("-", 1)[1])
        page = client.get(f"/app/calls/{call_a}").text
        assert f'id="comment-{comment_id}"' in page and "послушайте возражение" in page
        assert "123-45-67" not in page, "comments are redacted as everything shown"
        empty = client.post(f"/app/calls/{call_a}/comments", data={"text": "   ", "csrf_token": csrf})
        assert empty.status_code == 422 and "Комментарий пуст" in empty.text
    events = _events(runtime, "comment.mention")
    assert [(e["mentioned"], e["author"], e["call_id"]) for e in events] == [("rop-a", "rep-a", call_a)], (
        "rep-b may not see rep-a's call: not notified"
    )
    assert "123-45-67" not in events[0]["text"] and events[0]["path"] == f"/app/calls/{call_a}#comment-{comment_id}"
    with runtime.db.session() as session:
        deliveries = session.scalars(select(Delivery).join(OutboxEvent).where(OutboxEvent.type == "comment.mention"))
        assert [d.status for d in deliveries] == ["pending"], "the subscriber of comment.mention gets it"

    with browser(runtime) as client:
        csrf = log_in(client, "rop-a")
        inbox = client.get("/app/mentions").text
        assert "послушайте возражение" in inbox and f"/app/calls/{call_a}#comment-{comment_id}" in inbox
        refused = client.post(f"/app/comments/{comment_id}/edit", data={"text": "чужой", "csrf_token": csrf})
        assert refused.status_code == 403
        assert client.post(f"/app/comments/{comment_id}/delete", data={"csrf_token": csrf}).status_code == 403
    with browser(runtime) as client:
        log_in(client, "rep-b")
        assert "послушайте" not in client.get("/app/mentions").text
    with runtime.db.session() as session:
        assert "послушайте" in session.get(Comment, comment_id).text, "the refused edit changed nothing"
    with browser(runtime) as client:
        csrf = log_in(client, "rep-a")
        edited = client.post(
            f"/app/comments/{comment_id}/edit",
            data={"text": "@rop-a @admin послушайте возражение на 0:40", "csrf_token": csrf},
            follow_redirects=True,
        )
        assert "на 0:40" in edited.text and "изменён" in edited.text
        on_deal = client.post(
            f"/app/deals/{ours}/comments", data={"text": '@"Ольга РОП" нужна скидка', "csrf_token": csrf}
        )
        assert on_deal.status_code == 200 and "нужна скидка" in on_deal.text, "mention by full name"
    events = _events(runtime, "comment.mention")
    assert [(e["mentioned"], e["call_id"], e["deal_id"]) for e in events] == [
        ("rop-a", call_a, None),
        ("admin", call_a, None),
        ("rop-a", None, ours),
    ], "an edit notifies only the newly mentioned"
    with browser(runtime) as client:
        csrf = log_in(client, "rep-a")
        deleted = client.post(f"/app/comments/{comment_id}/delete", data={"csrf_token": csrf}, follow_redirects=True)
        assert "послушайте возражение" not in deleted.text
    with runtime.db.session() as session:
        assert session.get(Comment, comment_id) is None
        assert session.scalar(select(CommentMention).where(CommentMention.comment_id == comment_id)) is None


def test_a_rep_cannot_open_or_comment_on_a_snippet_of_another_reps_call(postgres: Settings) -> None:
    runtime, _, call_a, call_b, _, theirs = _world(postgres)
    with browser(runtime) as client:
        csrf = log_in(client, "rep-b")
        bad = client.post(f"/app/calls/{call_b}/snippets", data={"start": "1:30", "end": "0:10", "csrf_token": csrf})
        assert bad.status_code == 422 and "ends after it starts" in bad.text
        shared = client.post(
            f"/app/calls/{call_b}/snippets",
            data={"start": "0:00.8", "end": "1.5", "note": "budget named", "csrf_token": csrf},
            follow_redirects=False,
        )
        assert shared.status_code == 303
        link = shared.headers["location"]
        snippet = client.get(link).text
        assert f"/app/calls/{call_b}/audio#t=0.8,1.5" in snippet, "plays that range of the call's audio"
        assert "бюджет сто тысяч." in snippet and "Здравствуйте" not in snippet, "only the lines in the range"
        assert link in client.get(f"/app/calls/{call_b}").text, "the call page lists its snippets"
    events = _events(runtime, "snippet.created")
    assert [(e["call_id"], e["start_s"], e["end_s"], e["created_by"]) for e in events] == [(call_b, 0.8, 1.5, "rep-b")]
    with browser(runtime) as client:
        csrf = log_in(client, "rep-a")
        assert client.get(link).status_code == 404, "another rep's call: its snippet is not there"
        assert client.post(f"/app/calls/{call_b}/comments", data={"text": "x", "csrf_token": csrf}).status_code == 404
        assert client.post(f"/app/deals/{theirs}/comments", data={"text": "x", "csrf_token": csrf}).status_code == 404
        own = client.post(f"/app/calls/{call_b}/snippets", data={"start": "0", "end": "1", "csrf_token": csrf})
        assert own.status_code == 404
        assert client.get(f"/app/calls/{call_a}").status_code == 200
    for login, status in (("rop-a", 404), ("rop-b", 200), ("admin", 200)):
        with browser(runtime) as client:
            log_in(client, login)
            assert client.get(link).status_code == status, login
    with runtime.db.session() as session:
        assert session.scalar(select(Comment)) is None, "nothing was stored for the refused comments"
