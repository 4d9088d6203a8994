"""The recogniser for a team's Russian calls, chosen on the admin team page: the select offers Whisper and the
recognisers whose weights are set, in English and Russian; a choice is saved, emptied back to the deployment's,
refused when its weights are not set; a post without the CSRF token changes nothing."""

from pathlib import Path

from pipeline.db import Team, User
from tests.support.web_users import add_people, browser, embedded_runtime, log_in


def _recogniser(runtime, team_id: int) -> str | None:
    with runtime.db.session() as session:
        return session.get(Team, team_id).recogniser


def test_the_team_recogniser_is_chosen_among_the_configured_ones(tmp_path: Path) -> None:
    runtime = embedded_runtime(tmp_path, broker_url="stub://", asr_tone_model=str(tmp_path / "t-one"))
    people = add_people(runtime)
    client = browser(runtime)
    csrf = log_in(client, "admin")
    url = f"/app/admin/teams/{people.team_a}"

    page = client.get(url).text
    assert '<select name="recogniser">' in page
    assert '<option value="">default (Whisper)</option>' in page
    assert '<option value="whisper">Whisper</option>' in page
    assert '<option value="tone">T-one (Russian telephony)</option>' in page
    assert 'value="gigaam"' not in page  # no GigaAM weights set

    assert client.post(url, data={"recogniser": "tone"}).status_code == 403
    assert _recogniser(runtime, people.team_a) is None

    saved = client.post(url, data={"csrf_token": csrf, "recogniser": "tone"})
    assert saved.status_code == 200 and "Team saved." in saved.text
    assert _recogniser(runtime, people.team_a) == "tone"
    assert '<option value="tone" selected>' in saved.text

    refused = client.post(url, data={"csrf_token": csrf, "recogniser": "gigaam"})
    assert refused.status_code == 422
    assert "recogniser: &#39;gigaam&#39; cannot be loaded here: its weights are not set" in refused.text
    unknown = client.post(url, data={"csrf_token": csrf, "recogniser": "kaldi"})
    assert unknown.status_code == 422 and "recogniser: expected whisper, gigaam, tone" in unknown.text
    assert _recogniser(runtime, people.team_a) == "tone"

    client.post(url, data={"csrf_token": csrf, "recogniser": ""})
    assert _recogniser(runtime, people.team_a) is None

    with runtime.db.session() as session:
        session.query(User).filter(User.login == "admin").update({"locale": "ru"})
    russian = browser(runtime)
    log_in(russian, "admin")
    page = russian.get(url).text
    assert "Распознавание русских звонков" in page and "T-one (русская телефония)" in page
