"""A team's deal-risk settings as a head of sales or an admin changes them on the web page: which of the nine
risks are raised, the days without a call (overall and per stage), the close-date moves and the stage probability
that expects budget and decision maker on calls. They are stored where the risk pass reads them
(`services.deals.risk_pass.team_risk_settings`), so the next pass uses them."""

from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.deals import RiskKind, RiskSettings
from models.errors import BadInput
from pipeline.db import CRMStage
from services.deals.risk_pass import save_team_risk_settings


class RiskSettingsRefused(BadInput, ValueError):
    """A value the settings cannot hold; the message names the setting."""


@dataclass(frozen=True)
class StageDays:
    stage: str  # the stage's name or CRM id, as the settings key it
    days: int | None  # None: the team's days for every stage


@dataclass(frozen=True)
class RiskSettingsChange:
    """What the page's form sends: the risks left on, and each threshold as typed."""

    raised: list[str]
    no_activity_days: str
    close_date_moves: str
    advanced_percent: str
    stage_days: dict[str, str]


def stage_rows(session: Session, settings: RiskSettings) -> list[StageDays]:
    """A row for each open stage of every pipeline (by name) and each stage the settings already name."""
    names = set(session.scalars(select(CRMStage.name).where(CRMStage.outcome == "open")))
    keys = sorted(names | set(settings.no_activity_days_by_stage), key=str.casefold)
    return [StageDays(key, settings.no_activity_days_by_stage.get(key)) for key in keys]


def _whole(name: str, typed: str) -> int:
    text = typed.strip()
    if not text.isdigit():
        raise RiskSettingsRefused(f"{name}: expected a whole number, got '{typed}'")
    return int(text)


def _days(name: str, typed: str) -> int:
    days = _whole(name, typed)
    if days < 1:
        raise RiskSettingsRefused(f"{name}: expected at least 1 day, got {days}")
    return days


def _percent(typed: str) -> float:
    try:
        percent = float(typed.strip().replace(",", ".").removesuffix("%").strip())
    except ValueError:
        raise RiskSettingsRefused(f"advanced_probability: expected a percent from 0 to 100, got '{typed}'") from None
    return percent / 100


def change_risk_settings(session: Session, team_id: int, change: RiskSettingsChange) -> RiskSettings:
    """Store the team's settings as the form gives them; nothing is stored when any value is refused."""
    kinds = {kind.value for kind in RiskKind}
    unknown = sorted(set(change.raised) - kinds)
    if unknown:
        raise RiskSettingsRefused(f"unknown risk {', '.join(unknown)}")
    by_stage = {
        stage.strip(): _days(f"no_activity_days_by_stage[{stage}]", days)
        for stage, days in change.stage_days.items()
        if stage.strip() and days.strip()
    }
    data = {
        "off": sorted(kinds - set(change.raised)),
        "no_activity_days": _whole("no_activity_days", change.no_activity_days),
        "no_activity_days_by_stage": by_stage,
        "close_date_moves": _whole("close_date_moves", change.close_date_moves),
        "advanced_probability": _percent(change.advanced_percent),
    }
    try:
        settings = RiskSettings.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        raise RiskSettingsRefused(f"{where}: {error['msg']}") from None
    save_team_risk_settings(session, team_id, settings)
    return settings
