"""What an admin maps by hand: a CRM user to a rep (the owner's deals follow: their rep and team), and a stage to
open, won or lost with its default probability."""

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models.deals import StageOutcome
from models.errors import BadInput
from pipeline.db import CRMPipeline, CRMStage, CRMUser, Deal, Rep


class MappingRefused(BadInput, ValueError):
    """A mapping naming a user, rep or stage that does not exist, or a probability outside 0..1."""


def map_user(session: Session, user_id: int, rep_id: int | None) -> CRMUser:
    """Map the CRM user to the rep by hand (None: to no rep); their deals move to that rep and team."""
    user = session.get(CRMUser, user_id)
    if user is None:
        raise MappingRefused(f"no CRM user {user_id}")
    team_id = None
    if rep_id is not None:
        rep = session.get(Rep, rep_id)
        if rep is None:
            raise MappingRefused(f"no rep {rep_id}")
        team_id = rep.team_id
    user.rep_id, user.mapped_by = rep_id, "hand"
    session.execute(update(Deal).where(Deal.owner_id == user.id).values(rep_id=rep_id, team_id=team_id))
    return user


def map_stage(session: Session, stage_id: int, outcome: str, probability: float | None) -> CRMStage:
    stage = session.get(CRMStage, stage_id)
    if stage is None:
        raise MappingRefused(f"no stage {stage_id}")
    if outcome not in set(StageOutcome):
        raise MappingRefused(f"stage outcome must be open, won or lost, not {outcome!r}")
    if probability is not None and not 0 <= probability <= 1:
        raise MappingRefused(f"probability must be between 0 and 1, not {probability}")
    stage.outcome, stage.probability = outcome, probability
    return stage


def users_and_stages(session: Session) -> tuple[list[CRMUser], list[tuple[CRMPipeline, list[CRMStage]]]]:
    users = list(session.scalars(select(CRMUser).order_by(CRMUser.crm, CRMUser.name)))
    pipelines = []
    for pipeline in session.scalars(select(CRMPipeline).order_by(CRMPipeline.crm, CRMPipeline.name)):
        stages = session.scalars(
            select(CRMStage).where(CRMStage.pipeline_id == pipeline.id).order_by(CRMStage.position)
        ).all()
        pipelines.append((pipeline, list(stages)))
    return users, pipelines
