"""The deal-level risks, each a rule over what the CRM says (services.deals.facts.DealFacts) and a team's
settings, with its evidence: the calls, quotes and CRM changes that made it fire. Only open deals are checked.

Signals and values come from the analyse stage (models.signals, the default CRM field schema's names); a value the
rep rejected counts as never said. `message` is English, for events; evidence texts are data (dates, quotes,
names, signal texts in the call's language, the field names a stage_ahead risk misses) that pages show as they are.
"""

from collections.abc import Callable
from datetime import date, datetime, timedelta

from models.deals import Risk, RiskEvidence, RiskKind, RiskSettings
from services.deals.facts import CallFacts, DealFacts

DECISION_MAKER_PRESENT = "the person on the call"


def _ev(call: CallFacts, text: str, start: float | None = None) -> RiskEvidence:
    return RiskEvidence(text=text, call_id=call.call_id, start=start, at=call.at)


def no_activity(deal: DealFacts, settings: RiskSettings, now: datetime) -> Risk | None:
    days = settings.days_for(deal.stage_id, deal.stage_name)
    last = deal.calls[-1].at if deal.calls else deal.created_at
    idle = now - last
    if idle < timedelta(days=days):
        return None
    since = f"the last call on {last:%Y-%m-%d}" if deal.calls else f"the deal was created on {last:%Y-%m-%d}"
    evidence = [
        _ev(deal.calls[-1], f"{last:%Y-%m-%d}") if deal.calls else RiskEvidence(text=f"{last:%Y-%m-%d}", at=last)
    ]
    return Risk(
        kind=RiskKind.no_activity,
        message=f"No call for {idle.days} days (limit {days} in this stage) since {since}.",
        evidence=evidence,
    )


def _latest_next_step(deal: DealFacts) -> tuple[CallFacts, date] | None:
    for call in reversed(deal.calls):
        found = call.value("next_step_date")
        if found is not None:
            try:
                return call, date.fromisoformat(str(found.value)[:10])
            except ValueError:
                continue
    return None


def next_step_overdue(deal: DealFacts, settings: RiskSettings, now: datetime) -> Risk | None:
    found = _latest_next_step(deal)
    if found is None:
        return None
    agreed_on, due = found
    if due >= now.date() or any(call.at.date() >= due for call in deal.calls):
        return None
    step = agreed_on.value("next_step")
    quote = agreed_on.values["next_step_date"]
    evidence = [_ev(agreed_on, quote.quote or due.isoformat(), quote.start)]
    if step is not None:
        evidence.append(_ev(agreed_on, str(step.value), step.start))
    return Risk(
        kind=RiskKind.next_step_overdue,
        message=f"The next step was due on {due} and no call has happened since.",
        evidence=evidence,
    )


def no_next_step(deal: DealFacts, settings: RiskSettings, now: datetime) -> Risk | None:
    analysed = deal.analysed_calls
    if not analysed:
        return None
    last = analysed[-1]
    if "no_next_step" not in last.signals or last.value("next_step") is not None:
        return None
    return Risk(
        kind=RiskKind.no_next_step,
        message="The last call ended with no agreed next step.",
        evidence=[_ev(last, text) for text in last.signals["no_next_step"]],
    )


def _budget_calls(deal: DealFacts) -> list[CallFacts]:
    return [call for call in deal.analysed_calls if call.value("budget") or "budget_not_discussed" not in call.signals]


def budget_never_discussed(deal: DealFacts, settings: RiskSettings, now: datetime) -> Risk | None:
    analysed = deal.analysed_calls
    if not analysed or _budget_calls(deal):
        return None
    return Risk(
        kind=RiskKind.budget_never_discussed,
        message=f"Budget was not discussed on any of the deal's {len(analysed)} analysed calls.",
        evidence=[_ev(call, "; ".join(call.signals["budget_not_discussed"])) for call in analysed],
    )


def _decision_maker_calls(deal: DealFacts) -> list[CallFacts]:
    return [
        call
        for call in deal.analysed_calls
        if (found := call.value("decision_maker")) is not None and found.value == DECISION_MAKER_PRESENT
    ]


def decision_maker_absent(deal: DealFacts, settings: RiskSettings, now: datetime) -> Risk | None:
    analysed = deal.analysed_calls
    if not analysed or _decision_maker_calls(deal):
        return None
    named = [(call, found) for call in analysed if (found := call.value("decision_maker")) is not None]
    evidence = [_ev(call, str(found.value), found.start) for call, found in named]
    return Risk(
        kind=RiskKind.decision_maker_absent,
        message="The decision maker has not been on any call: the deal hangs on one contact.",
        evidence=evidence or [_ev(call, f"{call.at:%Y-%m-%d}") for call in analysed],
    )


def competitor(deal: DealFacts, settings: RiskSettings, now: datetime) -> Risk | None:
    evidence = []
    for call in deal.analysed_calls:
        named = call.value("competitors_mentioned")
        if named is not None:
            names = named.value if isinstance(named.value, list) else [named.value]
            evidence.append(_ev(call, ", ".join(str(name) for name in names), named.start))
        else:
            evidence.extend(_ev(call, text) for text in call.signals.get("competitor_mentioned", []))
    if not evidence:
        return None
    return Risk(kind=RiskKind.competitor, message="A competitor is in play.", evidence=evidence)


def stage_ahead(deal: DealFacts, settings: RiskSettings, now: datetime) -> Risk | None:
    if deal.probability is None or deal.probability < settings.advanced_probability:
        return None
    missing = []
    if not _budget_calls(deal):
        missing.append("budget")
    if not _decision_maker_calls(deal):
        missing.append("decision_maker")
    if not missing:
        return None
    return Risk(
        kind=RiskKind.stage_ahead,
        message=f"The CRM stage '{deal.stage_name}' ({deal.probability:.0%}) is ahead of what the calls show: "
        + ", ".join(f"{name} never on a call" for name in missing),
        evidence=[RiskEvidence(text=text) for text in missing],
    )


def close_date_passed(deal: DealFacts, settings: RiskSettings, now: datetime) -> Risk | None:
    if deal.close_date is None or deal.close_date >= now.date():
        return None
    return Risk(
        kind=RiskKind.close_date_passed,
        message=f"The close date {deal.close_date} has passed and the deal is still open.",
        evidence=[RiskEvidence(text=deal.close_date.isoformat())],
    )


def close_date_moved(deal: DealFacts, settings: RiskSettings, now: datetime) -> Risk | None:
    moves = [change for change in deal.changes.get("close_date", []) if change.old is not None]
    if len(moves) < settings.close_date_moves:
        return None
    return Risk(
        kind=RiskKind.close_date_moved,
        message=f"The close date has moved {len(moves)} times.",
        evidence=[RiskEvidence(text=f"{move.old} → {move.new}", at=move.at) for move in moves],
    )


RULES: dict[RiskKind, Callable[[DealFacts, RiskSettings, datetime], Risk | None]] = {
    RiskKind.no_activity: no_activity,
    RiskKind.next_step_overdue: next_step_overdue,
    RiskKind.no_next_step: no_next_step,
    RiskKind.budget_never_discussed: budget_never_discussed,
    RiskKind.decision_maker_absent: decision_maker_absent,
    RiskKind.competitor: competitor,
    RiskKind.stage_ahead: stage_ahead,
    RiskKind.close_date_passed: close_date_passed,
    RiskKind.close_date_moved: close_date_moved,
}


def deal_risks(deal: DealFacts, settings: RiskSettings, now: datetime) -> list[Risk]:
    """The risks in force on one deal; none for a won or lost deal."""
    if deal.outcome != "open":
        return []
    found = (rule(deal, settings, now) for kind, rule in RULES.items() if kind not in settings.off)
    return [risk for risk in found if risk is not None]
