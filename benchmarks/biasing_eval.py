"""`python -m benchmarks.biasing_eval`: context biasing measured with distractors.

Each reference is recognised with a bias list that holds the terms the call really contains (`CALL_TERMS`: venue,
place and customer names on the English SpokenWOZ calls; product and domain words on the Russian clips) and as many
terms of the same kind that it does not contain (`DISTRACTORS`: other Cambridge venues, streets, towns and people; other
Russian products, banks and names), shuffled with a fixed seed so the call's terms sit among them as they would in a
team's list. Per way of biasing it reports:

- recall: occurrences of the call's terms found in the transcript (counted up to the reference's count, matched as
  `vocabulary_eval.occurrences` does);
- distractor insertions: occurrences of distractors in the transcript (none is in any reference, so each one is a
  term the biasing put where it was not said);
- WER of the whole call (all words by time), against the transcript without biasing.

SpokenWOZ is a non-commercial data set: it is read here for measurement only.
"""

import argparse
import json
import random
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.config import BenchConfig, prepare_environment
from benchmarks.recordings import SHARED_DATA
from benchmarks.report import load_average, machine
from benchmarks.speech_refs import asr_references, stereo_calls
from benchmarks.vocabulary_eval import occurrences
from benchmarks.wer import Errors, errors
from models import Word
from pipeline.engines import decoding_options
from pipeline.models_cache import starter_whisper_dir
from transcribe.audio import decode
from transcribe.biasing import BiasMode, Correction
from transcribe.core import transcribe_call
from transcribe.whisper import FasterWhisperBackend

CALL_TERMS = {
    "SNG0072": ("Cambridge", "Bridge Guest House", "Hills Road"),
    "SNG0480": ("Pizza Hut Cherry Hinton", "Frankie and Bennys", "Cheryl Turner"),
    "pisets_test_sound_ru": ("нейронные сети",),
    "golos_001ce26c07c20eaa0d666b824c6c6924": ("тенге",),
    "deepspeech_ru": ("бедняга",),
}
"""The names each reference really holds, taken from its reference transcript."""

DISTRACTORS = {
    "en": (
        "Acorn Guest House",
        "Alexander Bed and Breakfast",
        "Allenbell",
        "Arbury Lodge",
        "Ashley Hotel",
        "Autumn House",
        "Hamilton Lodge",
        "Hobsons House",
        "Leverton House",
        "Lovell Lodge",
        "Golden Wok",
        "Curry Garden",
        "Nandos City Centre",
        "Pizza Express Fen Ditton",
        "Restaurant Alimentum",
        "Saint Johns Chop House",
        "Meghna",
        "Loch Fyne",
        "Da Vinci Pizzeria",
        "Clowns Cafe",
        "Regent Street",
        "Trumpington Street",
        "Mill Road",
        "Newmarket Road",
        "Chesterton Road",
        "Huntingdon Road",
        "Stevenage",
        "Peterborough",
        "Bishops Stortford",
        "Kings Lynn",
        "Sarah Whitfield",
        "Daniel Hughes",
        "Michael Foster",
        "Emma Clarke",
        "James Porter",
        "Olivia Bennett",
    ),
    "ru": (
        "кассовый аппарат",
        "эквайринг",
        "ипотека",
        "кредитная карта",
        "Сбербанк",
        "Тинькофф",
        "рубли",
        "доллары",
        "Мария Иванова",
        "Алексей Смирнов",
        "онлайн-касса",
        "расчётный счёт",
    ),
}
"""Terms of the same kinds that no reference holds."""


@dataclass(frozen=True)
class Way:
    name: str
    bias: BiasMode
    correction: bool = False


WAYS = (
    Way("no list", BiasMode.none),
    Way("hotwords", BiasMode.hotwords),
    Way("initial prompt", BiasMode.prompt),
    Way("hotwords + correction", BiasMode.hotwords, correction=True),
    Way("correction only", BiasMode.none, correction=True),
)
"""The correction is applied to the words of the same recognition without it (as the backend applies it to each
recognised channel), so each reference is recognised once per way of prompting."""


@dataclass(frozen=True)
class Reference:
    name: str
    path: Path
    language: str
    text: str
    terms: tuple[str, ...]


@dataclass
class Tally:
    occurrences: int = 0
    recalled: int = 0
    inserted: int = 0
    wer: Errors = field(default_factory=lambda: Errors(0, 0))


def references() -> list[Reference]:
    found = [
        Reference(call.path.stem, call.path, "en", call.text, CALL_TERMS[call.path.stem])
        for call in stereo_calls()
        if call.path.stem in CALL_TERMS
    ]
    found += [
        Reference(ref.path.stem, ref.path, ref.language, ref.text, CALL_TERMS[ref.path.stem])
        for ref in asr_references(SHARED_DATA)
        if ref.path.stem in CALL_TERMS
    ]
    for ref in found:
        missing = [term for term in ref.terms if not occurrences(term, ref.text)]
        present = [term for term in DISTRACTORS[ref.language] if occurrences(term, ref.text)]
        if missing or present:
            raise ValueError(f"{ref.name}: terms not in the reference {missing}, distractors in it {present}")
    return found


def bias_list(ref: Reference, all_refs: Sequence[Reference], seed: int = 20) -> list[str]:
    """The call's terms, the other calls' terms of its language and the distractors, shuffled together."""
    others = [term for other in all_refs if other.language == ref.language for term in other.terms]
    terms = list(dict.fromkeys([*ref.terms, *others, *DISTRACTORS[ref.language]]))
    random.Random(seed).shuffle(terms)
    return terms


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.biasing_eval", description=__doc__)
    parser.add_argument("--threads", type=int, default=BenchConfig.threads, help="CPU threads for recognition.")
    parser.add_argument("--out", type=Path, help="Write every recognised word (with its probability) here as JSON.")
    args = parser.parse_args()
    prepare_environment()
    config = BenchConfig(threads=args.threads)
    print(
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; machine: {machine()}; load average {load_average()}; "
        f"model {config.model} on {config.device} ({config.compute_type}, {config.threads} threads)\n"
    )
    with tempfile.TemporaryDirectory(prefix="callintel-biasing-") as home:
        settings = config.settings(Path(home))
        model = starter_whisper_dir(settings.model_cache_dir)
        backend = FasterWhisperBackend(
            model, decoding=decoding_options(settings), compute_type=config.compute_type, cpu_threads=config.threads
        )
        refs = references()
        dump: dict[str, dict[str, list[dict]]] = {}
        tallies = {(way.name, language): Tally() for way in WAYS for language in ("en", "ru")}
        rows = ["| reference | way | terms in list | recalled | distractors inserted | WER |", "|---" * 6 + "|"]
        for ref in refs:
            audio = decode(ref.path)
            listed = bias_list(ref, refs)
            kept = backend.bias_terms(listed)
            distractors = [term for term in kept if term not in ref.terms]
            recognised: dict[BiasMode, list[Word]] = {}
            for way in WAYS:
                if way.bias not in recognised:
                    backend.bias = way.bias
                    language = None if ref.language == "en" else ref.language
                    recognised[way.bias] = transcribe_call(audio, backend, language=language, vocabulary=listed).words
                words = recognised[way.bias]
                dump.setdefault(ref.name, {})[way.bias.value] = [word.model_dump() for word in words]
                if way.correction:
                    words = Correction().apply(words, kept)
                text = " ".join(word.text for word in words)
                recalled = sum(min(occurrences(t, ref.text), occurrences(t, text)) for t in ref.terms)
                inserted = sum(occurrences(t, text) for t in distractors)
                wer = errors(ref.text, text, ref.language)
                tally = tallies[(way.name, ref.language)]
                tally.occurrences += sum(occurrences(t, ref.text) for t in ref.terms)
                tally.recalled += recalled
                tally.inserted += inserted
                tally.wer = tally.wer + wer
                rows.append(
                    f"| {ref.name} | {way.name} | {len(kept)} of {len(listed)} | {recalled} | {inserted} "
                    f"| {wer.rate:.1%} ({wer.errors}/{wer.words}) |"
                )
                print(rows[-1], f"\n    {text}", flush=True)
    if args.out is not None:
        args.out.write_text(json.dumps(dump, ensure_ascii=False), encoding="utf-8")
    print("\n".join(rows))
    print()
    print("| language | way | recall | distractors inserted | WER |")
    print("|---|---|---|---|---|")
    for (name, language), tally in tallies.items():
        if tally.occurrences:
            print(
                f"| {language} | {name} | {tally.recalled}/{tally.occurrences} "
                f"({tally.recalled / tally.occurrences:.0%}) | {tally.inserted} "
                f"| {tally.wer.rate:.1%} ({tally.wer.errors}/{tally.wer.words}) |"
            )


if __name__ == "__main__":
    main()
