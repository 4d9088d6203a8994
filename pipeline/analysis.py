"""The analysis of one conversation as the analyze stage makes it: rule proposals, the script and the LLM, then the
proposals checked against the field schema. The stage and `callintel analyze` both call it, so a transcript from
elsewhere gets exactly the analysis a recording would."""

import logging

from models import Analysis, CallInfo, CallScript, Conversation, FieldSchema
from pipeline.settings import STARTER, Settings
from summarize.llm.base import LLMBackend

log = logging.getLogger(__name__)


def analyze_conversation(
    conversation: Conversation,
    info: CallInfo,
    script: CallScript,
    fields: FieldSchema,
    settings: Settings,
    llm: LLMBackend | None,
    *,
    template_ref: str | None = None,
    call_id: str | None = None,
    catalogue: dict[str, list[str]] | None = None,
) -> Analysis:
    """`catalogue`: the team's products and their synonyms, the known values of the schema's catalogue fields."""
    from crm_fill.schema import with_catalogue
    from crm_fill.values import normalize_proposals
    from summarize.core import analyze
    from summarize.field_rules import extract_fields
    from summarize.templates import resolve_template

    fields = with_catalogue(fields, catalogue or {})
    summary_language = None if settings.summary_language in ("call", "auto") else settings.summary_language
    analysis = analyze(
        conversation,
        script,
        fields,
        info,
        llm,
        rule_proposals=extract_fields(conversation, fields, conversation.language),
        summary_language=summary_language,
        max_prompt_chars=settings.llm_max_prompt_chars,
        max_tokens=settings.llm_max_tokens,
        template=resolve_template(template_ref or settings.summary_template),
        llm_first=settings.llm_items == "first" or (settings.llm_items == "auto" and settings.llm_model != STARTER),
    )
    proposals, rejected = normalize_proposals(analysis.proposals, fields, info)
    for item in rejected:
        log.info("proposal dropped: %s=%r: %s", item.field, item.value, item.reason, extra={"call_id": call_id})
    return analysis.model_copy(update={"proposals": proposals})
