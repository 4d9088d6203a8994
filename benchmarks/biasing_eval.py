"""`python -m benchmarks.biasing_eval`: context biasing measured with distractors, tuned on one part of the
references and scored on the other.

The references and their terms are in `eval_data/biasing_terms.yaml`: every recording in ../shared/data whose
reference transcript holds a name, a place, a venue, a product or a domain term. Each is recognised with a bias list
that holds its own terms, the other references' terms of its language and distractors (terms of the same kinds that
no reference holds), shuffled with a fixed seed so the call's terms sit among them as they would in a team's list.

1. Recognise: each reference once per way of prompting Whisper (no list, hotwords, initial prompt); the words, with
   their probabilities, can be kept in a file (`--words`) and read back by a later run.
2. Tune: the correction (`transcribe.biasing.Correction`) applied to the words recognised with no list, over a grid
   of confidence guards and matchings (letters only, or letters or sound), on the `tune` references. Chosen: the most
   terms recalled with no distractor inserted beyond what recognition alone put in and WER no worse than without the
   correction; among equals, the lowest guard (fewer words touched).
3. Score: every way of biasing, the correction at what the tune part chose, on the `score` references, once (and the
   same table for the tune references, to compare the ways there).

Per way it reports recall (occurrences of the terms found, counted up to the reference's count, matched as
`vocabulary_eval.occurrences` does), distractor insertions (each occurrence of a distractor in the transcript: none
is in any reference) and the WER of the whole recording.

SpokenWOZ is a non-commercial data set: it is read here for measurement only.
"""

import argparse
import json
import random
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml

from benchmarks.config import BenchConfig, prepare_environment
from benchmarks.recordings import SHARED_DATA
from benchmarks.report import run_header
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

TERMS_FILE = Path(__file__).parent / "eval_data" / "biasing_terms.yaml"
PARTS = ("tune", "score")
LANGUAGES = ("en", "ru")

GUARDS = (0.6, 0.7, 0.8, 0.9, 1.01)
"""Mean word probabilities under which the correction may replace words; 1.01 lets it touch any word."""


@dataclass(frozen=True)
class Reference:
    name: str
    path: Path
    language: str
    parts: tuple[str, ...]
    text: str
    terms: tuple[str, ...]


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
"""The correction is applied to the words of the same recognition without it (as the language router applies it to
what the recogniser heard), so each reference is recognised once per way of prompting."""


@dataclass
class Tally:
    occurrences: int = 0
    recalled: int = 0
    inserted: int = 0
    wer: Errors = field(default_factory=lambda: Errors(0, 0))

    def add(self, ref: Reference, text: str, distractors: Iterable[str]) -> tuple[int, int, Errors]:
        recalled = sum(min(occurrences(t, ref.text), occurrences(t, text)) for t in ref.terms)
        inserted = sum(occurrences(t, text) for t in distractors)
        wer = errors(ref.text, text, ref.language)
        self.occurrences += sum(occurrences(t, ref.text) for t in ref.terms)
        self.recalled += recalled
        self.inserted += inserted
        self.wer = self.wer + wer
        return recalled, inserted, wer

    def cells(self) -> str:
        share = self.recalled / self.occurrences if self.occurrences else 0.0
        return (
            f"{self.recalled}/{self.occurrences} ({share:.0%}) | {self.inserted} "
            f"| {self.wer.rate:.1%} ({self.wer.errors}/{self.wer.words})"
        )


def _distractors() -> dict[str, list[str]]:
    return yaml.safe_load(TERMS_FILE.read_text(encoding="utf-8"))["distractors"]


def references() -> list[Reference]:
    """The references of `biasing_terms.yaml`, each checked: its terms in its transcript, no distractor in it."""
    listed = yaml.safe_load(TERMS_FILE.read_text(encoding="utf-8"))["references"]
    texts = {call.path.stem: (call.path, call.text) for call in stereo_calls()}
    texts |= {ref.path.stem: (ref.path, ref.text) for ref in asr_references(SHARED_DATA)}
    found = []
    for name, entry in listed.items():
        if name not in texts:
            raise ValueError(f"{name}: no such reference recording under {SHARED_DATA}")
        path, text = texts[name]
        found.append(Reference(name, path, entry["language"], tuple(entry["parts"]), text, tuple(entry["terms"])))
    distractors = _distractors()
    for ref in found:
        missing = [term for term in ref.terms if not occurrences(term, ref.text)]
        present = [term for term in distractors[ref.language] if occurrences(term, ref.text)]
        if missing or present:
            raise ValueError(f"{ref.name}: terms not in the reference {missing}, distractors in it {present}")
    return found


def bias_list(ref: Reference, all_refs: Sequence[Reference], seed: int = 20) -> list[str]:
    """The reference's terms, the other references' terms of its language and the distractors, shuffled together."""
    others = [term for other in all_refs if other.language == ref.language for term in other.terms]
    terms = list(dict.fromkeys([*ref.terms, *others, *_distractors()[ref.language]]))
    random.Random(seed).shuffle(terms)
    return terms


Recognised = dict[str, dict[str, list[Word]]]
"""Per reference, per way of prompting (`BiasMode` value), the words recognised."""


def recognise(refs: Sequence[Reference], config: BenchConfig) -> Recognised:
    recognised: Recognised = {}
    with tempfile.TemporaryDirectory(prefix="callintel-biasing-") as home:
        settings = config.settings(Path(home))
        backend = FasterWhisperBackend(
            starter_whisper_dir(settings.model_cache_dir),
            decoding=decoding_options(settings),
            compute_type=config.compute_type,
            cpu_threads=config.threads,
        )
        for ref in refs:
            audio = decode(ref.path)
            listed = bias_list(ref, refs)
            for mode in dict.fromkeys(way.bias for way in WAYS):
                backend.bias = mode
                language = None if ref.language == "en" else ref.language
                words = transcribe_call(audio, backend, language=language, vocabulary=listed).words
                recognised.setdefault(ref.name, {})[mode.value] = words
                print(f"{ref.name} ({mode.value}): {' '.join(word.text for word in words)}", flush=True)
    return recognised


def _read_words(path: Path) -> Recognised:
    stored = json.loads(path.read_text(encoding="utf-8"))
    return {
        name: {mode: [Word.model_validate(word) for word in words] for mode, words in modes.items()}
        for name, modes in stored.items()
    }


def _write_words(path: Path, recognised: Recognised) -> None:
    plain = {
        name: {mode: [word.model_dump() for word in words] for mode, words in modes.items()}
        for name, modes in recognised.items()
    }
    path.write_text(json.dumps(plain, ensure_ascii=False), encoding="utf-8")


def _corrected(words: list[Word], correction: Correction | None, terms: Sequence[str]) -> str:
    if correction is not None:
        words = correction.apply(words, terms)
    return " ".join(word.text for word in words)


def tune(refs: Sequence[Reference], recognised: Recognised, all_refs: Sequence[Reference]) -> Correction:
    """The guard and matching that recall most on the tune references without a distractor or a word lost."""
    grid: list[tuple[str, Correction | None]] = [("no correction", None)]
    grid += [
        (f"{matching}, guard {guard:.2f}", Correction(confidence=guard, by_sound=matching == "letters or sound"))
        for matching in ("letters", "letters or sound")
        for guard in GUARDS
    ]
    print("\nTune part:", ", ".join(ref.name for ref in refs))
    print(
        "| correction | " + " | ".join(f"{lang} recalled | {lang} inserted | {lang} WER" for lang in LANGUAGES) + " |"
    )
    print("|---" * (1 + 3 * len(LANGUAGES)) + "|")
    results: list[tuple[str, Correction | None, dict[str, Tally]]] = []
    for label, correction in grid:
        tallies = {language: Tally() for language in LANGUAGES}
        for ref in refs:
            terms = bias_list(ref, all_refs)
            distractors = [term for term in terms if term not in ref.terms]
            text = _corrected(recognised[ref.name][BiasMode.none.value], correction, terms)
            tallies[ref.language].add(ref, text, distractors)
        results.append((label, correction, tallies))
        print(f"| {label} | " + " | ".join(tallies[language].cells() for language in LANGUAGES) + " |")
    baseline = results[0][2]

    def allowed(tallies: dict[str, Tally]) -> bool:
        return all(
            tallies[lang].inserted <= baseline[lang].inserted and tallies[lang].wer.errors <= baseline[lang].wer.errors
            for lang in LANGUAGES
        )

    candidates = [(label, fix, tallies) for label, fix, tallies in results if fix is not None and allowed(tallies)]
    if not candidates:
        raise SystemExit("no correction on the tune part keeps distractors and WER at recognition's level")
    label, chosen, _ = min(
        candidates, key=lambda c: (-sum(t.recalled for t in c[2].values()), c[1].confidence, c[1].by_sound)
    )
    print(f"chosen on the tune part: {label}")
    return chosen


def every_way(
    part: str, refs: Sequence[Reference], recognised: Recognised, all_refs: Sequence[Reference], correction: Correction
) -> None:
    """Each way of biasing on these references, the correction as chosen."""
    print(f"\n{part} part, every way:", ", ".join(ref.name for ref in refs))
    rows = ["| reference | way | recalled | distractors inserted | WER |", "|---" * 5 + "|"]
    tallies = {(way.name, language): Tally() for way in WAYS for language in LANGUAGES}
    for ref in refs:
        terms = bias_list(ref, all_refs)
        distractors = [term for term in terms if term not in ref.terms]
        for way in WAYS:
            words = recognised[ref.name][way.bias.value]
            text = _corrected(words, correction if way.correction else None, terms)
            recalled, inserted, wer = tallies[(way.name, ref.language)].add(ref, text, distractors)
            rows.append(
                f"| {ref.name} | {way.name} | {recalled} | {inserted} | {wer.rate:.1%} ({wer.errors}/{wer.words}) |"
            )
            if way.correction:
                print(f"{ref.name} ({way.name}): {text}")
    print("\n".join(rows))
    print("\n| language | way | recalled | distractors inserted | WER |\n|---|---|---|---|---|")
    for (name, language), tally in tallies.items():
        if tally.occurrences:
            print(f"| {language} | {name} | {tally.cells()} |")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.biasing_eval", description=__doc__)
    parser.add_argument("--threads", type=int, default=BenchConfig.threads, help="CPU threads for recognition.")
    parser.add_argument(
        "--words", type=Path, help="Recognised words: read from this JSON file when it exists, else written to it."
    )
    parser.add_argument(
        "--guard", type=float, help="Score with this confidence guard and the tune part's matching, not its guard."
    )
    args = parser.parse_args()
    prepare_environment()
    config = BenchConfig(threads=args.threads)
    print(run_header(config) + "\n")
    refs = references()
    if args.words is not None and args.words.is_file():
        recognised = _read_words(args.words)
    else:
        recognised = recognise(refs, config)
        if args.words is not None:
            _write_words(args.words, recognised)
    chosen = tune([ref for ref in refs if "tune" in ref.parts], recognised, refs)
    if args.guard is not None:
        chosen = replace(chosen, confidence=args.guard)
    every_way("Tune", [ref for ref in refs if "tune" in ref.parts], recognised, refs, chosen)
    every_way("Score", [ref for ref in refs if "score" in ref.parts], recognised, refs, chosen)


if __name__ == "__main__":
    main()
