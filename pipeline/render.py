"""The terminal view of a processed call: transcript, summary, metrics, scorecard, deal-gap signals, CRM proposals."""

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from models import Analysis, Answer, CallResult, Conversation, DealSignal, Role, SignalSeverity
from summarize.scorecard import NO_SCORE_NOTES

ANSWER_STYLE = {Answer.yes: "green", Answer.no: "red", Answer.na: "dim", Answer.not_determined: "yellow"}
ROLE_STYLE = {Role.rep: "cyan", Role.customer: "magenta", Role.unknown: "white"}
SEVERITY_STYLE = {SignalSeverity.high: "bold red", SignalSeverity.medium: "yellow", SignalSeverity.low: "dim"}


def clock(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes:02d}:{secs:02d}"


def render_signals(console: Console, signals: list[DealSignal]) -> None:
    if not signals:
        console.print("Deal-gap signals: none")
        return
    table = Table("severity", "signal", "by", "evidence", title="Deal-gap signals", title_justify="left", expand=True)
    for signal in signals:
        evidence = "; ".join(f"[{clock(e.start)}] “{e.quote}”" for e in signal.evidence if e.quote)
        table.add_row(
            Text(signal.severity.value, SEVERITY_STYLE[signal.severity]),
            signal.message,
            signal.source.value,
            evidence or Text(signal.note, "dim"),
        )
    console.print(table)


def render_call(console: Console, source: str, result: CallResult) -> None:
    render_analysis(
        console, f"{source}  call {result.id}", result.conversation, result.analysis, result.audio.duration_s
    )


def render_analysis(
    console: Console, title: str, conversation: Conversation, analysis: Analysis, duration_s: float
) -> None:
    a = analysis
    card = a.scorecard
    percent = "n/a" if card.percent is None else f"{card.percent:.0f}%"
    if card.no_score_reason is not None:
        percent = f"none ({NO_SCORE_NOTES[card.no_score_reason]})"
    header = Text.assemble(
        (title, "bold"),
        f"  {conversation.language}  {clock(duration_s)}  ",
        f"{conversation.method}  score ",
        (percent + (" AUTO-FAIL" if card.auto_failed else ""), "bold red" if card.auto_failed else "bold"),
    )
    console.print(Panel(header, expand=True))

    transcript = Table.grid(padding=(0, 1))
    for u in conversation.utterances:
        transcript.add_row(Text(clock(u.start), "dim"), Text(u.role.value.upper(), ROLE_STYLE[u.role]), u.text)
    console.print(Panel(transcript, title="Transcript", title_align="left"))

    summary = [Text(a.summary.text)]
    card_lines = a.summary.card.lines if a.summary.card is not None else []
    # Without the LLM's text the key points and next step are the card's lines, shown once below with their quotes.
    if a.summary.source == "llm" or not card_lines:
        summary += [Text(f"• {point}") for point in a.summary.key_points]
        if a.summary.next_step:
            summary.append(Text(f"Next step: {a.summary.next_step}", "bold"))
    for line in card_lines:
        said = line.evidence[0]
        summary.append(
            Text.assemble(
                "• ",
                (f"{line.label}: ", "bold"),
                line.text,
                (f"\n    {clock(said.start)} ", "dim"),
                (line.said_by.value, ROLE_STYLE[line.said_by]),
                (f' "{said.quote}"', "dim"),
            )
        )
    if a.summary.llm_rejected_reason:
        summary.append(Text(f"LLM summary not shown: {a.summary.llm_rejected_reason}", "yellow"))
    for section in a.summary.sections:
        summary.append(Text(f"{section.title}: ", "bold") + Text(section.text or "—", "" if section.text else "dim"))
    console.print(Panel(Group(*summary), title=f"Summary ({a.summary.source})", title_align="left"))

    m = a.metrics
    metrics = Table("", "rep", "customer", box=None, title="Conversation", title_justify="left")
    metrics.add_row("talk ratio", f"{m.rep.talk_ratio:.0%}", f"{m.customer.talk_ratio:.0%}")
    metrics.add_row(
        "longest monologue", f"{m.rep.longest_monologue_s:.0f} s", f"{m.customer.longest_monologue_s:.0f} s"
    )
    metrics.add_row("interruptions", str(m.rep.interruptions), str(m.customer.interruptions))
    metrics.add_row("questions", str(m.rep.questions), str(m.customer.questions))
    metrics.add_row("speech rate", f"{m.rep.speech_rate_wpm:.0f} wpm", f"{m.customer.speech_rate_wpm:.0f} wpm")
    metrics.add_row("silence", f"{m.silence_share:.0%}", "")
    console.print(metrics)

    table = Table(
        "item",
        "answer",
        "by",
        "weight",
        "evidence",
        title=f"Scorecard: {card.script_id} v{card.script_version}",
        title_justify="left",
        expand=True,
    )
    for item in card.items:
        evidence = "; ".join(
            f"[{clock(e.start)}] “{e.quote}”" if e.quote else f"{e.metric} = {e.value:.2f}" for e in item.evidence
        )
        table.add_row(
            item.title,
            Text(item.answer.value, ANSWER_STYLE[item.answer]),
            item.source.value,
            f"{item.weight:g}",
            evidence,
        )
    console.print(table)
    console.print(
        f"score {card.score:g} of {card.max_score:g} ({percent}); decided {card.decided_share:.0%} of applicable items;"
        f" {a.dropped_claims} unsupported claims dropped"
    )
    render_signals(console, a.signals)

    proposals = Table(
        "field", "value", "confidence", "by", "evidence", title="Proposed CRM fields", title_justify="left", expand=True
    )
    for p in a.proposals:
        value = ", ".join(p.value) if isinstance(p.value, list) else str(p.value)
        quote = "; ".join(f"[{clock(e.start)}] “{e.quote}”" for e in p.evidence if e.quote)
        proposals.add_row(p.field, value, f"{p.confidence:.2f}", p.source, quote)
    console.print(proposals)
