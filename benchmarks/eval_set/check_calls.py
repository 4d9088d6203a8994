"""Checks labelled calls of the evaluation set: their form, and that every quote is found in the call's lines.

    python3 benchmarks/eval_set/check_calls.py [FILE.yaml ...]   (no arguments: every file in calls/)

Needs only PyYAML, so a writer can run it with any Python. Prints one line per problem and exits 1 if there is any.
"""

import re
import sys
from pathlib import Path

import yaml

CALLS = Path(__file__).parent / "calls"
ITEMS = (
    "greeting",
    "introduction",
    "convenient_to_talk",
    "current_situation",
    "budget",
    "decision_maker",
    "timeline",
    "ties_to_needs",
    "concrete_offer",
    "objection_handled",
    "next_step_agreed",
    "call_summary",
    "polite_language",
)
FIELDS = (
    "budget",
    "decision_maker",
    "expected_close_date",
    "next_step",
    "next_step_date",
    "competitors_mentioned",
    "products_of_interest",
    "pain_points",
    "deal_stage_suggestion",
    "customer_phone",
    "customer_email",
)
SIGNALS = (
    "no_next_step",
    "next_step_date_missing",
    "budget_not_discussed",
    "competitor_mentioned",
    "objection_unanswered",
    "question_unanswered",
)
STAGES = ("qualification", "needs_analysis", "proposal", "negotiation", "closed_won", "closed_lost")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _squashed(text: str) -> str:
    return " ".join(text.lower().replace("ё", "е").split())


def problems(path: Path) -> list[str]:
    try:
        call = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        return [f"cannot read: {exc}"]
    if not isinstance(call, dict):
        return ["not a mapping"]
    found: list[str] = []
    if call.get("id") != path.stem:
        found.append(f"id {call.get('id')!r} differs from the file name")
    if call.get("language") not in ("ru", "en"):
        found.append("language must be ru or en")
    if not DATE.match(str(call.get("call_date", ""))):
        found.append("call_date must be YYYY-MM-DD")
    lines = call.get("lines") or []
    if not lines or not all(
        isinstance(line, list) and len(line) == 2 and line[0] in ("rep", "customer") and str(line[1]).strip()
        for line in lines
    ):
        found.append("lines must be [rep|customer, text] pairs")
        return found
    text = _squashed(" \n ".join(str(line[1]) for line in lines))

    def quote_ok(where: str, quote: object) -> None:
        if not isinstance(quote, str) or not quote.strip():
            found.append(f"{where}: quote missing")
        elif _squashed(quote) not in text:
            found.append(f"{where}: quote not found in the lines: {quote!r}")

    items = call.get("items") or {}
    for item in ITEMS:
        label = items.get(item)
        if not isinstance(label, dict) or label.get("answer") not in ("yes", "no", "n/a"):
            found.append(f"items.{item}: answer must be yes, no or n/a")
            continue
        if label["answer"] == "yes" and item != "polite_language":
            quote_ok(f"items.{item}", label.get("quote"))
        if label["answer"] == "n/a" and item != "objection_handled":
            found.append(f"items.{item}: only objection_handled may be n/a")
    for extra in set(items) - set(ITEMS):
        found.append(f"items.{extra}: unknown step")

    fields = call.get("fields") or {}
    for name in FIELDS:
        if name not in fields:
            found.append(f"fields.{name}: missing (null or [] when empty)")
    budget = fields.get("budget")
    if budget is not None:
        if not isinstance(budget, dict) or not isinstance(budget.get("amount"), int | float):
            found.append("fields.budget: needs a numeric amount")
        elif budget.get("period") not in ("once", "month", "year") or not budget.get("currency"):
            found.append("fields.budget: needs currency and period (once, month or year)")
        else:
            quote_ok("fields.budget", budget.get("quote"))
    maker = fields.get("decision_maker")
    if maker is not None:
        if not isinstance(maker, dict) or not (maker.get("name") or maker.get("role")):
            found.append("fields.decision_maker: needs a name or a role")
        else:
            quote_ok("fields.decision_maker", maker.get("quote"))
    for name in ("expected_close_date", "next_step_date"):
        if fields.get(name) is not None and not DATE.match(str(fields[name])):
            found.append(f"fields.{name}: must be YYYY-MM-DD or null")
    for name in ("competitors_mentioned", "products_of_interest", "pain_points"):
        if not isinstance(fields.get(name, []), list):
            found.append(f"fields.{name}: must be a list")
    if fields.get("deal_stage_suggestion") not in STAGES:
        found.append(f"fields.deal_stage_suggestion: one of {', '.join(STAGES)}")
    phone = fields.get("customer_phone")
    if phone is not None and not re.fullmatch(r"\+\d{8,15}", str(phone)):
        found.append("fields.customer_phone: international form, +digits")

    signals = call.get("signals") or {}
    for name in SIGNALS:
        if not isinstance(signals.get(name), bool):
            found.append(f"signals.{name}: true or false")
    return found


def main(paths: list[str]) -> int:
    files = [Path(p) for p in paths] or sorted(CALLS.glob("*.yaml"))
    bad = 0
    for path in files:
        for problem in problems(path):
            print(f"{path.name}: {problem}")
            bad += 1
    print(f"{len(files)} files, {bad} problems")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
