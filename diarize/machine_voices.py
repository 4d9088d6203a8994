"""Voices that are not people in the call: an IVR menu, a voicemail greeting, hold music or a tone.

A speaker is a machine voice when what it said is dense with recorded-prompt phrases: at least one, and no more
than `WORDS_PER_PROMPT` words per phrase found ("Your call is important to us, please stay on the line" is all
prompt; a rep who mentions once in a long call that it is recorded is not). A speaker the recogniser gave no words
at all (diarization found a voice in music, a tone or noise) is not a person either. Prompts are impersonal
phrasings only: a rep's own "please hold, I'll check" is not one.
"""

import re
from collections.abc import Sequence

from diarize.roles import normalise
from models import NonSpeaker

WORDS_PER_PROMPT = 25

PROMPTS: dict[NonSpeaker, tuple[str, ...]] = {
    NonSpeaker.voicemail: (
        r"leave (?:a|your) (?:message|name)",
        r"after the (?:tone|beep)",
        r"(?:voice ?mail|mailbox)",
        r"(?:is|are) (?:not available|unavailable) (?:to take|right now|at the moment)",
        r"the (?:person|subscriber|number) you (?:have )?(?:called|dialed|are calling)",
        r"оставьте (?:ваше |свое |голосовое )?сообщение",
        r"после (?:звукового )?сигнала",
        r"голосов\w+ (?:почт\w+|ящик\w*)",
        r"абонент (?:не отвечает|недоступен|не может)",
        r"вне зоны действия",
    ),
    NonSpeaker.ivr: (
        r"your call is (?:very )?important",
        r"press (?:one|two|three|four|five|six|seven|eight|nine|zero|star|pound|\d)",
        r"all (?:of )?our (?:agents|operators|representatives|specialists) are",
        r"(?:this|your) call (?:may|will) be (?:recorded|monitored)",
        r"(?:please )?stay on the line",
        r"for quality (?:and training )?purposes",
        r"ваш звонок (?:очень )?важен",
        r"нажмите",
        r"все (?:операторы|специалисты|менеджеры) заняты",
        r"оставайтесь на линии",
        r"(?:разговор|звонок) (?:может )?(?:быть )?записыва\w+",
        r"в целях (?:контроля|повышения) качества",
    ),
}

_PATTERNS = [(kind, re.compile(rf"\b{cue}\b")) for kind, cues in PROMPTS.items() for cue in cues]


def machine_voices(speakers: Sequence[str], texts: dict[str, str]) -> dict[str, NonSpeaker]:
    """The speakers (of `speakers`, with their words in `texts`) that are not people, and what each is."""
    found: dict[str, NonSpeaker] = {}
    for speaker in speakers:
        text = normalise(texts.get(speaker, ""))
        if not text:
            found[speaker] = NonSpeaker.no_words
            continue
        hits = {kind: 0 for kind in PROMPTS}
        for kind, pattern in _PATTERNS:
            hits[kind] += len(pattern.findall(text))
        prompts = sum(hits.values())
        if prompts and len(text.split()) <= WORDS_PER_PROMPT * prompts:
            found[speaker] = max(hits, key=lambda kind: hits[kind])
    return found
