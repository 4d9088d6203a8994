"""The language router and context biasing on the starter Whisper model: calls routed by the language heard on
their first speech, the choice kept; a call's terms fitted to Whisper's prompt and pulling its transcript towards
them."""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("PYANNOTE_METRICS_ENABLED", "false")

from pathlib import Path

import pytest

from models import Word
from tests.support.fixtures_audio import AWS_CALL, RUSSIAN_WAV, STEREO_WAV
from tests.support.whisper_fixtures import DECODING, THREADS
from transcribe import DecodedAudio, decode
from transcribe.backend import ASRBackend
from transcribe.biasing import TERM_SEPARATOR, WHISPER_PROMPT_TOKENS, Correction
from transcribe.core import transcribe_call
from transcribe.router import LanguageRouter
from transcribe.whisper import FasterWhisperBackend

# 38-56 s of the bundled call: the customer names her car, a Ford Fusion, which the starter model hears as "four
# fusion" when it is not told the name.
CAR_EXCERPT_S = (38.0, 56.0)


@pytest.fixture(scope="module")
def second_whisper(whisper_dir: Path) -> FasterWhisperBackend:
    """Another recogniser instance, standing in for the one a team names for its Russian calls."""
    return FasterWhisperBackend(whisper_dir, compute_type="int8", cpu_threads=THREADS, decoding=DECODING)


def _router(whisper: ASRBackend, russian: ASRBackend, by_language: dict[str, str]) -> LanguageRouter:
    recognisers = {"whisper": whisper, "whisper:russian": russian}
    return LanguageRouter(whisper, recognisers.__getitem__, default="whisper", by_language=by_language)


def test_russian_and_english_calls_go_to_their_recognisers(whisper_backend, second_whisper) -> None:
    router = _router(whisper_backend, second_whisper, {"ru": "whisper:russian"})

    russian, route = router.transcribe(decode(RUSSIAN_WAV))
    assert (route.recogniser, route.language, route.detected) == ("whisper:russian", "ru", True)
    assert route.backend is second_whisper and 0.5 < route.probability <= 1.0
    assert russian.language == "ru" and russian.language_probability == route.probability
    assert "нейрон" in russian.text.lower()

    # A stereo call: the language is told on both sides' speech mixed.
    english, route = router.transcribe(decode(STEREO_WAV))
    assert (route.recogniser, route.language, route.detected) == ("whisper", "en", True)
    assert route.backend is whisper_backend and english.language == "en"
    assert "horizon" in english.text.lower()

    # The call's or team's language wins over what is heard.
    forced = router.choose(decode(STEREO_WAV), "ru")
    assert (forced.recogniser, forced.language, forced.probability, forced.detected) == (
        "whisper:russian",
        "ru",
        1.0,
        False,
    )


def test_with_no_language_routed_the_one_recogniser_tells_the_language_itself(whisper_backend, second_whisper) -> None:
    router = _router(whisper_backend, second_whisper, {})
    transcript, route = router.transcribe(decode(RUSSIAN_WAV))
    assert (route.recogniser, route.language, route.detected) == ("whisper", "ru", True)
    assert route.backend is whisper_backend and route.probability == transcript.language_probability


def test_the_bias_list_is_cut_to_whispers_prompt_in_priority_order(whisper_backend) -> None:
    customer = ["Ирина Соколова", "ООО Ромашка"]
    products = [f"Кассовый аппарат модель {n}" for n in range(200)]
    kept = whisper_backend.bias_terms([*customer, "ирина  соколова", *products])
    assert kept[:2] == customer and "ирина  соколова" not in kept
    assert kept[2:] == products[: len(kept) - 2]
    tokenizer = whisper_backend._model.hf_tokenizer

    def tokens(terms: list[str]) -> int:
        return len(tokenizer.encode(" " + TERM_SEPARATOR.join(terms), add_special_tokens=False).ids)

    assert tokens(kept) <= WHISPER_PROMPT_TOKENS < tokens([*kept, products[len(kept) - 2]])


def test_biasing_pulls_a_real_call_towards_the_product_it_names(whisper_backend) -> None:
    call = decode(AWS_CALL)
    start, end = (int(t * 16000) for t in CAR_EXCERPT_S)
    excerpt = DecodedAudio(samples=call.samples[:, start:end], info=call.info)

    plain = transcribe_call(excerpt, whisper_backend, language="en").text
    biased = transcribe_call(excerpt, whisper_backend, language="en", vocabulary=["Ford Fusion", "Violet King"]).text
    assert "ford fusion" not in plain.lower() and "fusion" in plain.lower()
    assert "ford fusion" in biased.lower()


def _words(text: str, probability: float) -> list[Word]:
    return [Word(text=t, start=i * 0.5, end=i * 0.5 + 0.4, probability=probability) for i, t in enumerate(text.split())]


def test_the_correction_replaces_only_unsure_near_misses_of_listed_terms() -> None:
    terms = ["Hills Road", "Acorn Guest House", "Frankie and Bennys", "тенге"]
    fix = Correction()

    corrected = fix.apply(_words("the address is one -five -one -heels road. It's called", 0.4), terms)
    assert " ".join(w.text for w in corrected) == "the address is one -five -one Hills Road. It's called"
    road = corrected[6:8]
    assert road[0].start == 3.0 and road[1].end == pytest.approx(3.9) and road[0].end == road[1].start

    assert fix.apply(_words("шестьдесят тысяч тенги", 0.3), terms)[-1].text == "тенге"
    # A different first letter is another word, however alike the rest: "one guest house" stays.
    unchanged = _words("I can find one guest house with parking", 0.3)
    assert fix.apply(unchanged, terms) == unchanged
    # A term said as it is written is left as it is, with the word after it.
    said = _words("the Pizza Hut Cherry Hinton and the Frankie", 0.3)
    assert fix.apply(said, ["Pizza Hut Cherry Hinton"]) == said
    # A word the recogniser was sure of is kept.
    sure = _words("the Frankie and Bennie", 0.9)
    assert fix.apply(sure, terms) == sure
    assert [w.text for w in fix.apply(_words("the Frankie and Bennie", 0.4), terms)] == [
        "the",
        "Frankie",
        "and",
        "Bennys",
    ]
