"""Calls linked to deals: by the deal id in the telephony metadata, else by the customer's phone to the contact's
only open deal; several open deals are offered as candidates and nothing is linked; a link by hand stays."""

from pathlib import Path

import pytest
from sqlalchemy import select

from models.deals import LinkMethod
from pipeline.db import Call, DealCall
from services.deals.linking import LinkRefused, link_by_hand, link_call, link_calls
from tests.support.deal_history import add_deal, add_deal_call, add_pipeline, deal_runtime

PHONE = "+7 (916) 555-01-02"


def _link(runtime, call_id: str):
    with runtime.db.session() as session:
        return link_call(session, session.get(Call, call_id))


def test_each_linking_rule_and_the_ambiguous_case(tmp_path: Path) -> None:
    runtime = deal_runtime(tmp_path)
    add_pipeline(runtime)
    by_id = add_deal(runtime, "L-100")
    single = add_deal(runtime, "L-200", contact="c1", contact_phones=["8 916 555 01 02"])
    add_deal(runtime, "L-201", contact="c1", stage="142")  # won: not a candidate
    first = add_deal(runtime, "L-300", contact="c2", contact_phones=["+74951112233"])
    second = add_deal(runtime, "L-301", contact="c2")

    meta = add_deal_call(runtime, None, days_ago=1, info={"crm_deal_id": "L-100", "from_number": PHONE})
    assert _link(runtime, meta) == (by_id, LinkMethod.deal_id, ()), "the metadata's deal id comes first"
    lead = add_deal_call(runtime, None, days_ago=1, info={"crm_lead_id": "L-100"})
    assert _link(runtime, lead).deal_id == by_id, "amoCRM's lead id is a deal id"

    phone = add_deal_call(runtime, None, days_ago=1, info={"from_number": PHONE})
    assert _link(runtime, phone) == (single, LinkMethod.phone, ()), "the contact's only open deal"

    ambiguous = add_deal_call(runtime, None, days_ago=1, info={"from_number": "8 (495) 111-22-33"})
    outcome = _link(runtime, ambiguous)
    assert (outcome.deal_id, outcome.candidates) == (None, (first, second)), "two open deals: shown, not chosen"
    stranger = add_deal_call(runtime, None, days_ago=1, info={"from_number": "+1 212 555 0100"})
    assert _link(runtime, stranger) == (None, None, ())

    with runtime.db.session() as session:
        assert link_by_hand(session, ambiguous, second, "rop-a").method is LinkMethod.hand
        with pytest.raises(LinkRefused, match="no deal 9999"):
            link_by_hand(session, stranger, 9999, "rop-a")
    with runtime.db.session() as session:
        counts = link_calls(session)
        assert counts == {"deal_id": 2, "phone": 1, "ambiguous": 0, "none": 1}
        row = session.get(DealCall, ambiguous)
        assert (row.deal_id, row.method, row.linked_by) == (second, "hand", "rop-a"), "a pass keeps a link by hand"
        linked = {row.call_id: row.deal_id for row in session.execute(select(DealCall.call_id, DealCall.deal_id))}
        assert linked == {meta: by_id, lead: by_id, phone: single, ambiguous: second}


def test_a_phone_link_follows_the_crm_when_the_deal_closes(tmp_path: Path) -> None:
    runtime = deal_runtime(tmp_path)
    add_pipeline(runtime)
    add_deal(runtime, "L-1", contact="c1", contact_phones=[PHONE])
    call_id = add_deal_call(runtime, None, days_ago=1, info={"from_number": PHONE})
    assert _link(runtime, call_id).method is LinkMethod.phone
    add_deal(runtime, "L-1", contact="c1", stage="143", modified_at="2026-12-08T00:00:00+00:00")
    assert _link(runtime, call_id) == (None, None, ())
    with runtime.db.session() as session:
        assert session.get(DealCall, call_id) is None
