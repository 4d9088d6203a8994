"""How much of a perfect LLM's answers the analyze stage keeps: the pipeline's final answers against the oracle's
(`benchmarks.oracle_server`), call by call, with the reason for every difference.

The oracle's answers are what it says about the whole call: an item labelled yes (with its quote found), no or
n/a, and the LLM-asked fields it can quote. A difference is explained by what happened to that answer:
- the item or field was not asked, because a rule decided it first (the rule's source and note are given);
- it was asked, and the oracle's answer was dropped: its quote is not grounded, its value is not allowed by the
  schema, n/a is not allowed for the item, or normalization (`crm_fill.coerce`) rejected the value;
- it was kept and then lost the merge to a rule's value.
"""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from benchmarks.blind_scores import value_right
from benchmarks.blind_set import BlindCall
from benchmarks.oracle_server import Asked, oracle_answers
from crm_fill.coerce import InvalidValue, coerce_value
from models import (
    Analysis,
    CallInfo,
    Conversation,
    DecisionSource,
    FieldProposal,
    FieldSchema,
    FieldSpec,
    ItemResult,
)
from summarize.grounding import ground_quote
from summarize.text import tokenize


@dataclass(frozen=True)
class Difference:
    call_id: str
    kind: str  # "item" or "field"
    name: str
    pipeline: str
    oracle: str
    reason: str


@dataclass
class Agreement:
    items: int = 0
    items_agreed: int = 0
    fields: int = 0
    fields_agreed: int = 0
    differences: list[Difference] = field(default_factory=list)

    def summary(self) -> dict:
        reasons = Counter(d.reason.split(" (")[0] for d in self.differences)
        return {
            "items": self.items,
            "item_agreement": self.items_agreed / self.items if self.items else None,
            "fields": self.fields,
            "field_agreement": self.fields_agreed / self.fields if self.fields else None,
            "reasons": dict(reasons.most_common()),
            "differences": [d.__dict__ for d in self.differences],
        }


def _sent(requests: Sequence[Asked], section: str, name: str, key: str) -> list[tuple[object, object]]:
    """What the oracle sent for one item or field, request by request (a long call is asked in parts)."""
    answers = [asked.answer[section].get(name) for asked in requests if name in getattr(asked, section)]
    return [(answer[key], answer["quote"]) for answer in answers if answer]


def _item_reason(conversation: Conversation, result: ItemResult, oracle: str, sent: list[tuple[object, object]]) -> str:
    if result.source == DecisionSource.llm:
        return "another part's answer won the merge of a long call's parts"
    if not sent:
        return f"rules decided first ({result.source.value}: {result.note})"
    given = [(verdict, quote) for verdict, quote in sent if verdict == oracle]
    if not given:
        return "the oracle left it open in every part it was asked"
    if oracle == "n/a":
        return "n/a is not allowed for this item"
    if not any(isinstance(quote, str) and ground_quote(conversation, quote) for _, quote in given):
        return "quote not grounded"
    return f"the LLM's answer was not used ({result.source.value}: {result.note})"


def _same_text(a: object, b: object) -> bool:
    return tokenize(str(a)) == tokenize(str(b))


def _field_agrees(name: str, final: object, oracle: Sequence[object], label: object) -> bool:
    """Whether the final value says what the oracle said (`oracle`: its values, as sent or for the whole call)."""
    if name == "decision_maker" and isinstance(label, dict):
        return value_right(name, final, label)
    return any(_same_text(final, value) for value in oracle)


def _field_reason(
    conversation: Conversation,
    spec: FieldSpec,
    info: CallInfo,
    proposal: FieldProposal | None,
    sent: list[tuple[object, object]],
) -> str:
    if not sent:
        shown = f"{proposal.value!r}" if proposal is not None else "no value"
        return f"a rule proposed first, the LLM was not asked ({shown})"
    given = [(value, quote) for value, quote in sent if value not in (None, "")]
    if not given:
        return "the oracle left it out in every part it was asked"
    value = given[0][0]
    if spec.allowed_values and value not in spec.allowed_values:
        return "value not allowed by the schema"
    if not any(isinstance(q, str) and ground_quote(conversation, q) for _, q in given):
        return "quote not grounded"
    try:
        coerce_value(value, spec, info.reference_time(), info.language)
    except InvalidValue as exc:
        return f"normalization dropped it ({exc})"
    if proposal is not None and proposal.source != "llm":
        return f"a rule's value won the merge ({proposal.value!r})"
    return "the LLM's value was not used"


def add_call(
    agreement: Agreement,
    call: BlindCall,
    conversation: Conversation,
    analysis: Analysis,
    fields: FieldSchema,
    requests: Sequence[Asked],
) -> None:
    """Compare one call's final answers with the oracle's; `requests` are the oracle's answers to this call."""
    whole = oracle_answers(call)
    results = {item.item_id: item for item in analysis.scorecard.items}
    for item_id, (oracle, _) in whole.items.items():
        result = results.get(item_id)
        final = result.answer.value if result is not None else "absent"
        agreement.items += 1
        if final == oracle:
            agreement.items_agreed += 1
            continue
        if result is None:
            reason = "the script has no such item"
        else:
            reason = _item_reason(conversation, result, oracle, _sent(requests, "items", item_id, "answer"))
        agreement.differences.append(Difference(call.id, "item", item_id, final, oracle, reason))

    proposals = {p.field: p for p in analysis.proposals}
    specs = {spec.name: spec for spec in fields.fields}
    for name, (oracle, _) in whole.fields.items():
        proposal = proposals.get(name)
        agreement.fields += 1
        sent = _sent(requests, "fields", name, "value")
        # The oracle cuts a long text to the schema's limit, so its value is the one it sent where it was asked.
        said = [value for value, _ in sent if value not in (None, "")] or [oracle]
        if proposal is not None and _field_agrees(name, proposal.value, said, call.fields.get(name)):
            agreement.fields_agreed += 1
            continue
        reason = _field_reason(conversation, specs[name], call.call_info, proposal, sent)
        final = repr(proposal.value) if proposal is not None else "none"
        agreement.differences.append(Difference(call.id, "field", name, final, str(oracle), reason))
