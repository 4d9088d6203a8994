"""CTC decoding, word timing from the alignment, and numbers in digits: on constructed inputs with known answers."""

import itertools

import numpy as np
import pytest

from models import Word
from tests.support.fixtures_audio import RUSSIAN_FLAC
from transcribe import SAMPLE_RATE, decode
from transcribe.ctc import greedy_runs, timed_words
from transcribe.numerals import numbers_in_digits
from transcribe.speech import speech_segments

ALPHABET = ["д", "а", "н", "е", "т", " "]
BLANK = len(ALPHABET)


def _log_probs(frames: list[int], classes: int = BLANK + 1, confidence: float = 0.9) -> np.ndarray:
    """Frames where the given class has `confidence` and the rest share what is left."""
    out = np.full((len(frames), classes), (1 - confidence) / (classes - 1))
    out[np.arange(len(frames)), frames] = confidence
    return np.log(out)


def test_greedy_decoding_merges_repeats_drops_blanks_and_times_words() -> None:
    b = BLANK
    # "да нет": д д _ а _ ␣ н _ н е т т _  (a blank between the two н makes them two letters)
    frames = [0, 0, b, 1, b, 5, 2, b, 2, 3, 4, 4, b]
    runs = greedy_runs(_log_probs(frames), BLANK)
    assert [ALPHABET[run.token] for run in runs] == ["д", "а", " ", "н", "н", "е", "т"]
    assert [(run.first, run.last) for run in runs][:2] == [(0, 1), (3, 3)]
    words = timed_words(runs, [*ALPHABET, ""], frame_s=0.04, offset_s=10.0)
    assert [word.text for word in words] == ["да", "ннет"]
    assert words[0].start == pytest.approx(10.0) and words[0].end == pytest.approx(10.0 + 4 * 0.04)
    assert words[1].start == pytest.approx(10.0 + 6 * 0.04) and words[1].end == pytest.approx(10.0 + 12 * 0.04)
    assert all(word.probability == pytest.approx(0.9) for word in words)


def test_a_word_is_as_certain_as_its_least_certain_letter() -> None:
    # д, д (a run: its mean), а at 0.4
    runs = greedy_runs(
        np.concatenate([_log_probs([0, 0]), _log_probs([0], confidence=0.6), _log_probs([1], confidence=0.4)]), BLANK
    )
    (word,) = timed_words(runs, [*ALPHABET, ""], frame_s=0.03)
    assert word.text == "да" and word.probability == pytest.approx(0.4)
    assert runs[0].probability == pytest.approx(0.8)


def test_sentencepiece_pieces_start_words_at_their_marker() -> None:
    pieces = ["▁при", "вет", "▁мир", "<unk>"]
    runs = greedy_runs(_log_probs([0, 1, 4, 2, 2], classes=5), blank=4)
    words = timed_words(runs, pieces, frame_s=0.04)
    assert [(word.text, round(word.start, 2), round(word.end, 2)) for word in words] == [
        ("привет", 0.0, 0.08),
        ("мир", 0.12, 0.2),
    ]


def test_only_blanks_give_no_words_and_a_bad_blank_id_is_refused() -> None:
    assert timed_words(greedy_runs(_log_probs([BLANK] * 5), BLANK), ALPHABET, 0.04) == []
    with pytest.raises(ValueError, match="blank id 9"):
        greedy_runs(_log_probs([0]), 9)


def _words(text: str) -> list[Word]:
    return [
        Word(text=word, start=i, end=i + 0.5, probability=0.9 - i / 100, channel=1)
        for i, word in enumerate(text.split())
    ]


def test_number_words_become_digits_timed_over_the_run() -> None:
    said = "бюджет двести пятьдесят тысяч рублей до двух тысяч двадцать пятого один раз к пятнице лям"
    out = numbers_in_digits(_words(said))
    assert [word.text for word in out] == [
        "бюджет", "250000", "рублей", "до", "2020", "пятого", "один", "раз", "к", "пятнице", "лям",
    ]  # fmt: skip
    amount = out[1]
    assert (amount.start, amount.end, amount.channel) == (1, 3.5, 1)
    assert amount.probability == pytest.approx(0.87)
    assert numbers_in_digits(_words("fifty three thousand dollars"))[0].text == "53000"
    assert numbers_in_digits([]) == []


def test_long_speech_is_cut_into_bounded_segments_where_the_vad_hears_speech() -> None:
    samples = decode(RUSSIAN_FLAC).samples[0]
    segments = speech_segments(samples, max_s=8.0, vad_threshold=0.5)
    assert len(segments) >= 60 / 8
    assert all(0 < segment.end - segment.start <= 8.0 * SAMPLE_RATE for segment in segments)
    assert all(a.end <= b.start for a, b in itertools.pairwise(segments))
    even = speech_segments(samples, max_s=25.0, vad_threshold=None)
    assert [(s.start, s.end) for s in even] == [(0, 400_000), (400_000, 800_000), (800_000, samples.size)]
