"""Teaching a script item by example (heads of sales for their team, admins for any): add or remove the item's
positive and negative example utterances, preview the answers the changed item gives on the team's recent calls,
then save, which makes a new script version and re-scores the team's calls (services.script_examples). An override
on the call page becomes an example through the confirmation page here."""

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from pipeline.db import Call, Team
from pipeline.runtime import Runtime
from services.accounts import UserRole
from services.example_preview import preview
from services.override_examples import override_example
from services.script_examples import (
    KINDS,
    ExampleChange,
    ExampleRefused,
    Kind,
    TeamScript,
    changed_script,
    save_examples,
    team_script,
)
from web.auth import Viewer
from web.deps import Manager, RuntimeDep
from web.i18n import Translator
from web.pages.render import render

router = APIRouter()

MAX_FORM_CHARS = 20_000


@dataclass(frozen=True)
class Draft:
    """The page's form: examples to add (one a line) and existing ones ticked for removal."""

    add_positive: str = ""
    add_negative: str = ""
    remove: tuple[str, ...] = ()

    def changes(self, item_id: str, language: str) -> list[ExampleChange]:
        added: tuple[tuple[Kind, str], ...] = (("positive", self.add_positive), ("negative", self.add_negative))
        changes = [
            ExampleChange(item_id, language, kind, "add", line.strip())
            for kind, text in added
            for line in text.splitlines()
            if line.strip()
        ]
        for ticked in self.remove:
            named, _, text = ticked.partition(":")
            for kind in KINDS:
                if named == kind:
                    changes.append(ExampleChange(item_id, language, kind, "remove", text))
        return changes


def _teams(runtime: Runtime, viewer: Viewer) -> list[str]:
    with runtime.db.session() as session:
        query = select(Team.name).order_by(Team.name)
        if viewer.role is not UserRole.admin:
            query = query.where(Team.id == viewer.team_id)
        return list(session.scalars(query).all())


def _current(runtime: Runtime, viewer: Viewer, team: str) -> TeamScript:
    if team not in _teams(runtime, viewer):
        raise HTTPException(404, f"no team {team}")
    with runtime.db.session() as session:
        return team_script(session, runtime.settings, team)


def _page(
    request: Request,
    runtime: Runtime,
    viewer: Viewer,
    team: str | None,
    item_id: str | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    teams = _teams(runtime, viewer)
    team = team or (teams[0] if teams else None)
    current = _current(runtime, viewer, team) if team else None
    item = None
    if current is not None:
        items = current.script.items()
        item = next((i for i in items if i.id == item_id), items[0])
    language = current.script.language.split("-")[0] if current else "ru"
    return render(
        request,
        viewer,
        "admin_examples.html",
        status_code,
        teams=teams,
        team=team,
        current=current,
        item=item,
        language=language,
        examples=item.examples.get(language) if item else None,
        draft=context.pop("draft", Draft()),
        **context,
    )


@router.get("/examples")
def examples_page(
    request: Request,
    viewer: Manager,
    runtime: RuntimeDep,
    team: str | None = None,
    item: str | None = None,
    saved: str | None = None,
) -> HTMLResponse:
    return _page(request, runtime, viewer, team, item, saved=saved)


@router.post("/examples")
def examples_action(
    request: Request,
    viewer: Manager,
    runtime: RuntimeDep,
    team: Annotated[str, Form(max_length=128)],
    item: Annotated[str, Form(max_length=128)],
    base_version: Annotated[str, Form(max_length=32)],
    action: Annotated[str, Form(max_length=16)] = "preview",
    add_positive: Annotated[str, Form(max_length=MAX_FORM_CHARS)] = "",
    add_negative: Annotated[str, Form(max_length=MAX_FORM_CHARS)] = "",
    remove: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """`action` preview: the page with the answers the changed item would give; save: the new version."""
    current = _current(runtime, viewer, team)
    language = current.script.language.split("-")[0]
    draft = Draft(add_positive, add_negative, tuple(remove or ()))
    changes = draft.changes(item, language)
    translator = Translator(viewer.locale)
    try:
        if not changes:
            raise ExampleRefused("nothing", "no example added or removed")
        if action == "save":
            saved = save_examples(
                runtime, team, changes, base_version=base_version, actor=viewer.actor, user_id=viewer.user_id
            )
            where = f"/app/admin/examples?team={quote(team)}&item={quote(item)}&saved={quote(saved.version)}"
            return RedirectResponse(where, status_code=303)
        if current.script.version != base_version:
            raise ExampleRefused("stale", "the script changed since the page was loaded")
        changed_script(current.script, changes)
        rows = preview(runtime, current, changes, item)
    except ExampleRefused as exc:
        error = translator.t(f"examples_refused_{exc.problem}")
        return _page(request, runtime, viewer, team, item, 422, draft=draft, problem=f"{error} ({exc})")
    return _page(request, runtime, viewer, team, item, draft=draft, preview_rows=rows, previewed=True)


def _visible_call(runtime: Runtime, viewer: Viewer, call_id: str) -> None:
    visible = viewer.calls_filter()
    conditions = [Call.id == call_id] if visible is None else [Call.id == call_id, visible]
    with runtime.db.session() as session:
        if session.scalar(select(Call.id).where(*conditions)) is None:
            raise HTTPException(404, "no such call")


@router.get("/examples/from-call/{call_id}/{item_id}")
def override_example_page(
    request: Request, call_id: str, item_id: str, viewer: Manager, runtime: RuntimeDep
) -> HTMLResponse:
    """The confirmation before an override's quote becomes an example of the item."""
    _visible_call(runtime, viewer, call_id)
    translator = Translator(viewer.locale)
    try:
        with runtime.db.session() as session:
            found = override_example(session, runtime.settings, call_id, item_id)
    except ExampleRefused as exc:
        message = f"{translator.t('examples_refused_' + exc.problem)} ({exc})"
        return render(request, viewer, "admin_example_confirm.html", 409, found=None, error=message, call_id=call_id)
    return render(request, viewer, "admin_example_confirm.html", found=found, call_id=call_id)


@router.post("/examples/from-call/{call_id}/{item_id}")
def confirm_override_example(
    request: Request,
    call_id: str,
    item_id: str,
    viewer: Manager,
    runtime: RuntimeDep,
    text: Annotated[str, Form(max_length=MAX_FORM_CHARS)],
    kind: Annotated[str, Form(pattern="^(positive|negative)$")],
    base_version: Annotated[str, Form(max_length=32)],
) -> Response:
    _visible_call(runtime, viewer, call_id)
    translator = Translator(viewer.locale)
    try:
        with runtime.db.session() as session:
            found = override_example(session, runtime.settings, call_id, item_id)
        chosen = next(k for k in KINDS if k == kind)
        change = ExampleChange(item_id, found.language, chosen, "add", text)
        saved = save_examples(
            runtime,
            found.team,
            [change],
            base_version=base_version,
            actor=viewer.actor,
            user_id=viewer.user_id,
            call_id=call_id,
            override_id=found.override_id,
        )
    except ExampleRefused as exc:
        message = f"{translator.t('examples_refused_' + exc.problem)} ({exc})"
        return render(request, viewer, "admin_example_confirm.html", 422, found=None, error=message, call_id=call_id)
    where = f"/app/admin/examples?team={quote(found.team)}&item={quote(item_id)}&saved={quote(saved.version)}"
    return RedirectResponse(where, status_code=303)
