"""`callintel analyze`: transcripts made elsewhere (a PBX's speech analytics, another recogniser, a chat) analysed
exactly as a recording's conversation is, with no speech stages, storage or database."""

from pathlib import Path

from diarize.transcript_file import TranscriptFileError, read_transcript
from models import CallInfo, Provenance, TranscriptAnalysis
from models.errors import BadInput
from pipeline import __version__
from pipeline.analysis import analyze_conversation
from pipeline.call_setup import resolve_fields, resolve_script
from pipeline.runtime import Runtime


class TranscriptUnreadable(BadInput, ValueError):
    """A transcript file cannot be read or parsed; the message names the file and the line or utterance."""


def analyze_transcript(
    text: str,
    source: str,
    info: CallInfo,
    stored: dict[str, str],
    runtime: Runtime,
    *,
    catalogue: dict[str, list[str]] | None = None,
) -> TranscriptAnalysis:
    """The analysis of one transcript's text; `stored` holds the checked --script, --fields, --template, --language,
    `catalogue` the team's products and their synonyms, as a call of that team is analysed with."""
    settings = runtime.settings
    try:
        conversation = read_transcript(text, language=stored.get("language") or info.language, direction=info.direction)
    except TranscriptFileError as exc:
        raise TranscriptUnreadable(f"{source}: {exc}") from None
    script = resolve_script(stored.get("script") or settings.script, conversation.language)
    fields = resolve_fields(stored.get("fields") or settings.fields)
    llm = runtime.engines.llm
    analysis = analyze_conversation(
        conversation, info, script, fields, settings, llm, template_ref=stored.get("template"), catalogue=catalogue
    )
    return TranscriptAnalysis(
        source=source,
        call=info,
        conversation=conversation,
        analysis=analysis,
        provenance=Provenance(
            callintel_version=__version__,
            models=[llm.info] if llm is not None else [],
            script_id=script.id,
            script_version=script.version,
            fields_id=fields.id,
            fields_version=fields.version,
            config_hash=settings.config_hash(),
        ),
    )


def analyze_file(path: Path, info: CallInfo, stored: dict[str, str], runtime: Runtime) -> TranscriptAnalysis:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TranscriptUnreadable(f"{path}: file not found") from None
    except UnicodeDecodeError:
        raise TranscriptUnreadable(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise TranscriptUnreadable(f"{path}: {exc.strerror}") from None
    return analyze_transcript(text, str(path), info, stored, runtime)
