"""A stored call's conversation rewritten in the test's own words, for the analyze stage and the example preview to
read: each rep line answered by a customer line."""

from models import Conversation, Role, Utterance, Word
from pipeline.runtime import Runtime
from pipeline.stages import output_key

CUSTOMER_REPLY = "Да, понятно, слушаю вас дальше."


def _utterance(speaker: str, role: Role, text: str, start: float) -> Utterance:
    words = [
        Word(text=word, start=start + i * 0.4, end=start + i * 0.4 + 0.3, probability=0.9)
        for i, word in enumerate(text.split())
    ]
    return Utterance(speaker=speaker, role=role, start=start, end=words[-1].end, words=words)


def said(runtime: Runtime, call_id: str, rep_lines: list[str], customer_lines: list[str] | None = None) -> None:
    """Store the call's conversation: rep line i, then customer line i (a neutral reply when not given)."""
    replies = customer_lines or []
    utterances = []
    for index, line in enumerate(rep_lines):
        reply = replies[index] if index < len(replies) else CUSTOMER_REPLY
        utterances.append(_utterance("SPEAKER_00", Role.rep, line, index * 20.0))
        utterances.append(_utterance("SPEAKER_01", Role.customer, reply, index * 20.0 + 9))
    conversation = Conversation(
        language="ru",
        duration_s=len(rep_lines) * 20.0,
        method="stereo",
        role_rule="one speaker per channel",
        roles={"SPEAKER_00": Role.rep, "SPEAKER_01": Role.customer},
        turns=[],
        utterances=utterances,
    )
    runtime.storage.put_bytes(output_key(call_id, "conversation"), conversation.model_dump_json().encode())
