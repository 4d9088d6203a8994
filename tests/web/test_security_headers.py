"""Security headers on every page family, the API, /docs and the audio; pages that cannot be framed, checked in
real Chromium; /metrics behind its token; /docs served without any CDN."""

from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from pipeline.db import Proposal
from pipeline.runtime import Runtime
from tests.support.browser import chromium, log_in_page, serving
from tests.support.scored_calls import add_scored_call
from tests.support.web_users import PASSWORD, add_people, browser, embedded_runtime, log_in
from web.app import create_app
from web.security_headers import CONTENT_SECURITY_POLICY


@pytest.fixture
def world(tmp_path: Path) -> tuple[Runtime, str]:
    runtime = embedded_runtime(tmp_path, broker_url="stub://", metrics_token=SecretStr("scrape-token"))
    people = add_people(runtime)
    call_id = add_scored_call(runtime, rep_id=people.rep_a, team_id=people.team_a)
    with runtime.db.session() as session:
        session.add(
            Proposal(
                call_id=call_id,
                field="next_step",
                value="КП",
                ai_value="КП",
                confidence=0.7,
                source="llm",
                status="proposed",
                evidence=[],
            )
        )
    return runtime, call_id


def assert_protected(response, *, cacheable: bool = False) -> None:
    where = f"{response.request.method} {response.request.url.path}"
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY, where
    assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY and "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
    assert response.headers["x-frame-options"] == "DENY", where
    assert response.headers["x-content-type-options"] == "nosniff", where
    assert response.headers["referrer-policy"] == "same-origin", where
    assert (response.headers.get("cache-control") == "no-store") is not cacheable, where
    assert "strict-transport-security" not in response.headers, where  # plain HTTP


def test_every_page_family_the_api_and_the_audio_carry_the_headers(world: tuple[Runtime, str]) -> None:
    runtime, call_id = world
    client = browser(runtime)
    assert_protected(client.get("/login"))
    log_in(client, "admin")
    for path in ("/app/calls", f"/app/calls/{call_id}", "/app/team", "/app/attention", "/app/admin", "/app/approvals"):
        page = client.get(path)
        assert page.status_code == 200, path
        assert_protected(page)
    assert_protected(client.get("/app/calls/0123456789abcdef0123456789abcdef"))  # an error page
    audio = client.get(f"/app/calls/{call_id}/audio")
    assert audio.status_code == 200 and audio.headers["content-type"] == "audio/mpeg"
    assert_protected(audio)

    api = TestClient(create_app(runtime))
    for path in ("/calls", f"/calls/{call_id}", "/deliveries", "/health", "/openapi.json"):
        assert_protected(api.get(path))
    assert_protected(api.post("/ingest/webhook", content=b"{}"))
    assert_protected(api.get("/static/app.js"), cacheable=True)

    over_tls = TestClient(create_app(runtime), base_url="https://callintel.example.com")
    assert over_tls.get("/health").headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"


def test_docs_are_served_locally_and_metrics_need_their_token(world: tuple[Runtime, str]) -> None:
    runtime, _ = world
    client = TestClient(create_app(runtime))
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert_protected(docs)
    assert "cdn" not in docs.text.lower() and "<script>" not in docs.text
    for asset in ("/docs-assets/swagger-ui-bundle.js", "/docs-assets/swagger-ui.css", "/static/api-docs.js"):
        assert client.get(asset).status_code == 200, asset
    assert client.get("/redoc").status_code == 404

    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    scraped = client.get("/metrics", headers={"Authorization": "Bearer scrape-token"})
    assert scraped.status_code == 200 and "callintel_calls" in scraped.text


def test_the_approve_all_and_override_forms_cannot_be_framed(world: tuple[Runtime, str]) -> None:
    runtime, call_id = world
    with serving(runtime) as base, chromium() as chrome:
        # uvicorn believes X-Forwarded-Proto from a proxy at 127.0.0.1 (its default --forwarded-allow-ips): HSTS then.
        proxied = httpx.get(f"{base}/login", headers={"X-Forwarded-Proto": "https"})
        assert proxied.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
        assert "strict-transport-security" not in httpx.get(f"{base}/login").headers
        page = chrome.new_page()
        log_in_page(page, base, "admin", PASSWORD)
        forms = {f"{base}/app/approvals/{call_id}": "form.appr-all", f"{base}/app/calls/{call_id}": "form"}
        for url, form in forms.items():
            page.goto(url)
            assert page.locator(form).count() > 0, f"{url} shows {form} when opened directly"
        # The framing page is served on the app's own origin, so the session cookie goes along and only the
        # headers can stop the frame.
        framer = f"{base}/framing-test"
        frames = "".join(f'<iframe src="{url}" width="800" height="600"></iframe>' for url in forms)
        page.route(framer, lambda route: route.fulfill(content_type="text/html", body=frames))
        page.goto(framer)
        page.wait_for_timeout(1500)
        framed = [frame for frame in page.frames if frame != page.main_frame]
        assert len(framed) == 2
        for frame, form in zip(framed, forms.values(), strict=True):
            assert frame.locator(form).count() == 0, f"{frame.url} rendered inside a frame"
