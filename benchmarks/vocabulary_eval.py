"""`python -m benchmarks.vocabulary_eval`: recall of place names on the SpokenWOZ calls, with and without them given
to the recogniser as the team's vocabulary.

The terms are the venue and place names that occur in the SpokenWOZ reference transcripts (`TERMS`, taken from
those transcripts), so this measures how far naming the right terms helps, not how to find them. Each call is
recognised per channel by the product's transcribe stage twice: without a vocabulary, and with `TERMS` as
faster-whisper hotwords (`CALLINTEL_ASR_BIAS=hotwords`). A term occurrence is recalled when the term occurs in the
transcript (both lower case, apostrophes and punctuation dropped, '&' read as 'and', spaces inside the term
optional), counted up to the number of times the reference holds it. WER (all words by time) is printed beside it,
since biasing the recogniser may cost words elsewhere.
"""

import argparse
import re
import tempfile
from pathlib import Path

from benchmarks.config import BenchConfig, prepare_environment
from benchmarks.report import run_header
from benchmarks.speech_refs import stereo_calls
from benchmarks.wer import errors
from pipeline.runtime import Runtime
from transcribe.audio import decode
from transcribe.core import transcribe_call

TERMS = ("Cambridge", "Bridge Guest House", "Hills Road", "Pizza Hut Cherry Hinton", "Frankie and Bennys")
"""Venue and place names in the SpokenWOZ reference transcripts of the calls in ../shared/data."""


def _plain(text: str) -> str:
    text = text.lower().replace("&", " and ").replace("'", "").replace("’", "")
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


def occurrences(term: str, text: str) -> int:
    """How often the term occurs as whole words in the text; the spaces inside the term are optional, so a compound
    written as one word ('guesthouse') still counts."""
    pattern = r"\s?".join(re.escape(word) for word in _plain(term).split())
    return len(re.findall(rf"\b{pattern}\b", _plain(text)))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.vocabulary_eval", description=__doc__)
    parser.add_argument("--threads", type=int, default=BenchConfig.threads, help="CPU threads for recognition.")
    args = parser.parse_args()
    prepare_environment()
    config = BenchConfig(threads=args.threads)
    print(run_header(config) + "\n")
    rows = ["| call | term | in reference | recalled without | recalled with |", "|---|---|---|---|---|"]
    totals = {"reference": 0, "without": 0, "with": 0}
    wer_rows = ["| call | WER without | WER with |", "|---|---|---|"]
    with tempfile.TemporaryDirectory(prefix="callintel-vocabulary-") as home:
        settings = config.settings(Path(home)).model_copy(update={"asr_bias": "hotwords"})
        backend = Runtime(settings).engines.asr
        for call in stereo_calls():
            audio = decode(call.path)
            texts = {}
            for name, vocabulary in (("without", ()), ("with", TERMS)):
                words = transcribe_call(audio, backend, vocabulary=vocabulary).words
                texts[name] = " ".join(word.text for word in words)
            wer = {name: errors(call.text, text) for name, text in texts.items()}
            wer_rows.append(
                f"| {call.path.stem} | {wer['without'].rate:.1%} ({wer['without'].errors}/{wer['without'].words}) "
                f"| {wer['with'].rate:.1%} ({wer['with'].errors}/{wer['with'].words}) |"
            )
            for term in TERMS:
                expected = occurrences(term, call.text)
                if not expected:
                    continue
                found = {name: min(expected, occurrences(term, text)) for name, text in texts.items()}
                rows.append(f"| {call.path.stem} | {term} | {expected} | {found['without']} | {found['with']} |")
                totals["reference"] += expected
                totals["without"] += found["without"]
                totals["with"] += found["with"]
    recall = {name: totals[name] / totals["reference"] for name in ("without", "with")}
    rows.append(
        f"| all | recall | {totals['reference']} | {totals['without']} ({recall['without']:.0%}) "
        f"| {totals['with']} ({recall['with']:.0%}) |"
    )
    print("\n".join(rows))
    print()
    print("\n".join(wer_rows))


if __name__ == "__main__":
    main()
