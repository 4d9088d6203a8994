"""What the call page shows: the redacted call, its scorecard after overrides, and who may override."""

from dataclasses import dataclass, field

from models import Answer, CallDirection, CallInfo, CallResult, ItemResult, Scorecard
from pipeline.runtime import Runtime
from pipeline.stages import load_output, output_key
from redaction.redactor import Redactor
from services.accounts import UserRole
from services.overrides import Override, effective_scorecard, overrides_in_force
from web.auth import Viewer
from web.call_views import CallDetail, call_detail


def customer_number(info: CallInfo) -> str | None:
    """The customer's side of the call: the number dialled on an outbound call, the caller's otherwise."""
    return info.to_number if info.direction == CallDirection.outbound else info.from_number


def shown_number(number: str | None, redactor: Redactor | None, language: str) -> str | None:
    """A phone number as every page shows personal data: redacted while redaction is on."""
    if not number or redactor is None:
        return number
    return redactor.text(number, language)


@dataclass(frozen=True)
class ItemView:
    item: ItemResult
    ai_answer: Answer
    override: Override | None


@dataclass(frozen=True)
class SectionView:
    section_id: str
    title: str
    score: float
    max_score: float
    items: list[ItemView] = field(default_factory=list)


@dataclass(frozen=True)
class CallPageView:
    call: CallDetail
    result: CallResult | None
    scorecard: Scorecard | None
    ai_scorecard: Scorecard | None
    sections: list[SectionView]
    may_override: bool
    has_audio: bool


def may_override(viewer: Viewer) -> bool:
    """A team's head of sales overrides its calls' items (the call page is only theirs to see), an admin any."""
    return viewer.role in (UserRole.rop, UserRole.admin)


def _sections(scorecard: Scorecard, ai: Scorecard, overrides: dict[str, Override]) -> list[SectionView]:
    ai_answers = {item.item_id: item.answer for item in ai.items}
    views = [SectionView(s.section_id, s.title, s.score, s.max_score) for s in scorecard.sections]
    by_id = {view.section_id: view for view in views}
    for item in scorecard.items:
        view = ItemView(item, ai_answers[item.item_id], overrides.get(item.item_id))
        if item.section_id not in by_id:
            by_id[item.section_id] = SectionView(item.section_id, item.section_id, 0.0, 0.0)
            views.append(by_id[item.section_id])
        by_id[item.section_id].items.append(view)
    return views


def call_page_view(runtime: Runtime, viewer: Viewer, call_id: str) -> CallPageView | None:
    """The call as `viewer` sees it; None when it is missing or not theirs to see."""
    detail = call_detail(runtime, call_id, viewer.calls_filter())
    if detail is None:
        return None
    result = detail.result
    scorecard = ai = None
    sections: list[SectionView] = []
    if result is not None:
        ai = result.analysis.scorecard
        with runtime.db.session() as session:
            overrides = overrides_in_force(session, call_id, ai)
        scorecard = effective_scorecard(ai, {o.item_id: o.answer for o in overrides.values()})
        sections = _sections(scorecard, ai, overrides)
    return CallPageView(
        call=detail,
        result=result,
        scorecard=scorecard,
        ai_scorecard=ai,
        sections=sections,
        may_override=may_override(viewer) and scorecard is not None,
        has_audio=detail.recording.purged_at is None,
    )


def analysed_scorecard(runtime: Runtime, call_id: str) -> Scorecard | None:
    """The scorecard as the analysis left it (not redacted: it is what the override log keeps)."""
    if not runtime.storage.exists(output_key(call_id, "result")):
        return None
    return load_output(runtime, call_id, "result", CallResult).analysis.scorecard
