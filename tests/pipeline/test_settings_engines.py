"""Settings as the one source: the settings that change results are marked where they are declared and make the
config hash; each engine is cached on exactly the settings it reads, so a setting that leaves results alone
(threads, a device, a timeout) still gets its own engine, and equal settings share one."""

from types import SimpleNamespace

import pytest

from pipeline.engines import ASR_SETTINGS, DIARIZER_SETTINGS, LLM_SETTINGS, Engines, engine_key
from pipeline.settings import RESULT_FIELDS, Settings

REMOTE = {"llm_backend": "openai", "llm_base_url": "http://127.0.0.1:9/v1", "llm_model": "served"}


def test_the_config_hash_covers_the_marked_settings_only() -> None:
    settings = Settings(**REMOTE)
    assert {"asr_beam_size", "script", "llm_model", "asr_vad_threshold"} <= RESULT_FIELDS
    assert not {"asr_cpu_threads", "diarization_device", "llm_timeout_s", "data_dir"} & RESULT_FIELDS
    for name, value in (("asr_cpu_threads", 3), ("diarization_device", "cuda"), ("llm_timeout_s", 5.0)):
        assert settings.model_copy(update={name: value}).config_hash() == settings.config_hash(), name
    assert settings.model_copy(update={"asr_vad_threshold": 0.6}).config_hash() != settings.config_hash()


def test_settings_that_leave_results_alone_still_key_their_engine() -> None:
    base = Settings(**REMOTE)
    threads = base.model_copy(update={"asr_cpu_threads": 3})
    gpu = base.model_copy(update={"diarization_device": "cuda"})
    assert engine_key(threads, ASR_SETTINGS) != engine_key(base, ASR_SETTINGS)
    assert engine_key(gpu, DIARIZER_SETTINGS) != engine_key(base, DIARIZER_SETTINGS)
    # ... and only the engine that reads them.
    assert engine_key(threads, DIARIZER_SETTINGS) == engine_key(base, DIARIZER_SETTINGS)
    assert engine_key(gpu, ASR_SETTINGS) == engine_key(base, ASR_SETTINGS)
    assert engine_key(Settings(**REMOTE), ASR_SETTINGS) == engine_key(base, ASR_SETTINGS)
    # A secret is part of the key although it never shows in a dump of the settings.
    one, two = (Settings(**REMOTE, llm_api_key=key) for key in ("k1", "k2"))
    assert one.model_dump(mode="json") == two.model_dump(mode="json")
    assert engine_key(one, LLM_SETTINGS) != engine_key(two, LLM_SETTINGS)


def test_equal_settings_share_an_engine_and_a_timeout_gets_its_own() -> None:
    base = Settings(**REMOTE)
    llm = Engines(base).llm
    assert Engines(Settings(**REMOTE)).llm is llm
    assert Engines(base.model_copy(update={"asr_cpu_threads": 3})).llm is llm
    slower = Engines(base.model_copy(update={"llm_timeout_s": 5.0})).llm
    assert slower is not llm
    assert (slower.timeout_s, llm.timeout_s) == (5.0, 120.0)  # type: ignore[union-attr]


def test_a_loader_sees_only_the_settings_it_is_keyed_on() -> None:
    from pipeline import engines

    def reads_too_much(s: SimpleNamespace) -> object:
        return s.llm_model

    with pytest.raises(AttributeError, match="llm_model"):
        engines._engine("test", Settings(), ("llm_backend",), reads_too_much)
