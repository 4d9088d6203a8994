"""`python -m benchmarks.speaker_hint`: what the speaker-count hint for mono calls does to the speaker split.

The pipeline's diarizer runs four ways on each recording: no bound on the number of speakers, the former bound (at
least 1, at most 2), the product's hint for a phone call (two expected, more or one where the audio shows them:
`diarize.core`, `diarize.clustering`), and exactly 2 forced. The recordings: the references with
turns (pyannote sample, AMI excerpt), the SpokenWOZ calls mixed down to mono (two speakers; reference turns from
their word times), and the agent's channel of each SpokenWOZ call alone (one speaker), where forcing two speakers
is wrong. DER at collar 0 with overlap scored, and the number of speakers found.
"""

import argparse
import logging
import tempfile
from pathlib import Path

from pyannote.core import Annotation, Segment, Timeline
from rich.console import Console
from rich.table import Table

from benchmarks.config import BenchConfig, prepare_environment
from benchmarks.speech_refs import stereo_calls, turn_references, words_to_turns
from benchmarks.speech_scores import diarisation_errors
from benchmarks.speech_systems import annotation
from transcribe.audio import SAMPLE_RATE, decode

HINTS = {
    "no bound": {},
    "1-2 bound (before)": {"min_speakers": 1, "max_speakers": 2},
    "2 expected (ours)": {"min_speakers": 1, "expected_speakers": 2},
    "2 forced": {"num_speakers": 2},
}
AGENT = "B"


def _recordings() -> list[tuple[str, object, Annotation, Timeline | None]]:
    """(name, mono samples, reference turns, scored region)."""
    found = []
    for ref in turn_references():
        found.append((ref.path.name, decode(ref.path).samples.mean(axis=0), ref.turns, ref.uem))
    for call in stereo_calls():
        audio = decode(call.path).samples
        found.append((f"{call.path.stem} downmix", audio.mean(axis=0), call.turns(), None))
        agent_words = [w for w in call.words if w.speaker == AGENT]
        found.append((f"{call.path.stem} agent channel", audio[1], words_to_turns(agent_words, call.path.stem), None))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.speaker_hint", description=__doc__)
    parser.add_argument("--device", default=BenchConfig.device, choices=("cpu", "cuda"))
    args = parser.parse_args()
    prepare_environment()
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    table = Table("recording", *(f"{name}: DER / speakers" for name in HINTS))
    with tempfile.TemporaryDirectory(prefix="callintel-speaker-hint-") as home:
        diarizer = BenchConfig(device=args.device).runtime(Path(home)).engines.diarizer
        for name, mono, reference, uem in _recordings():
            cells = []
            for hint in HINTS.values():
                turns = diarizer.diarize(mono, SAMPLE_RATE, **hint)
                found = annotation(turns, reference.uri)
                region = uem or Timeline([Segment(0.0, len(mono) / SAMPLE_RATE)], uri=reference.uri)
                der = diarisation_errors(reference, found, region)["DER c0"]
                cells.append(f"{der:.1%} / {len(found.labels())}")
            table.add_row(name, *cells)
            Console().print(f"{name}: {', '.join(cells)}")
    Console().print(table)


if __name__ == "__main__":
    main()
