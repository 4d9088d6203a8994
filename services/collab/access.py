"""Who may see a call or a deal, for any user (not only the one asking): the rule the pages apply to the person
asking, applied here to the people a comment mentions and to a mentions inbox."""

from pipeline.db import Call, Deal, User
from services.accounts import UserRole


def user_sees_call(user: User, call: Call) -> bool:
    """A rep sees their own calls, a head of sales their team's, an admin all."""
    if user.role == UserRole.admin:
        return True
    if user.role == UserRole.rop:
        return user.team_id is not None and call.team_id == user.team_id
    return user.rep_id is not None and call.rep_id == user.rep_id


def user_sees_deal(user: User, deal: Deal) -> bool:
    """A rep sees the deals they own, a head of sales their team's, an admin all."""
    if deal.deleted:
        return False
    if user.role == UserRole.admin:
        return True
    if user.role == UserRole.rop:
        return user.team_id is not None and deal.team_id == user.team_id
    return user.rep_id is not None and deal.rep_id == user.rep_id
