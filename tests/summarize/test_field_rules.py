"""Rule-based field proposals on English and Russian conversations built word by word, with word timings."""

import pytest

from crm_fill.schema import builtin_field_schema
from models import Conversation, FieldProposal, FieldSchema, FieldSpec, Role, Utterance, Word
from summarize.field_rules import extract_fields


def conversation(lines: list[tuple[Role, str]], language: str) -> Conversation:
    clock, utterances = 0.0, []
    for role, text in lines:
        words, start = [], clock
        for token in text.split():
            words.append(Word(text=token, start=round(clock, 2), end=round(clock + 0.3, 2), probability=0.9))
            clock += 0.4
        speaker = "SPEAKER_00" if role == Role.rep else "SPEAKER_01"
        utterances.append(Utterance(speaker=speaker, role=role, start=start, end=clock, words=words))
        clock += 0.6
    return Conversation(
        language=language,
        duration_s=clock,
        method="channels",
        role_rule="rep on channel 0",
        roles={"SPEAKER_00": Role.rep, "SPEAKER_01": Role.customer},
        utterances=utterances,
    )


def by_field(proposals: list[FieldProposal]) -> dict[str, list[FieldProposal]]:
    grouped: dict[str, list[FieldProposal]] = {}
    for proposal in proposals:
        grouped.setdefault(proposal.field, []).append(proposal)
    return grouped


def values(proposals: list[FieldProposal], field: str) -> list[object]:
    return [proposal.value for proposal in by_field(proposals).get(field, [])]


@pytest.fixture(scope="module")
def schema():
    return builtin_field_schema()


ENGLISH = [
    (Role.rep, "Hi, this is Chris from Callintel. Our starter plan costs $5,000 a year. What budget do you have?"),
    (Role.customer, "We can spend about fifty thousand dollars per year, not $500 like the last vendor."),
    (Role.rep, "Great. Which CRM do you use today?"),
    (Role.customer, "We use Salesforce and we looked at HubSpot. We don't use Pipedrive."),
    (Role.customer, "I make the decision here. We want to go live by the end of next month."),
    (Role.rep, "Let me send you a demo invite. Can we meet next Tuesday?"),
    (Role.customer, "Sure, my email is John.Smith@acme.com and my cell is +1 415 555 2671."),
    (Role.customer, "Our order number 4155552672 is on the invoice."),
]


def test_english_call_yields_each_field_with_verbatim_evidence(schema):
    call = conversation(ENGLISH, "en")
    proposals = extract_fields(call, schema, "en")
    assert values(proposals, "budget") == ["50000 USD"]
    assert values(proposals, "competitors_mentioned") == ["Salesforce", "HubSpot"]
    assert values(proposals, "decision_maker") == ["the person on the call"]
    assert values(proposals, "expected_close_date") == ["by the end of next month"]
    assert values(proposals, "next_step_date") == ["next Tuesday"]
    assert values(proposals, "customer_phone") == ["+14155552671"]
    assert values(proposals, "customer_email") == ["john.smith@acme.com"]
    transcript = " ".join(utterance.text for utterance in call.utterances)
    for proposal in proposals:
        assert proposal.source == "rule"
        assert proposal.evidence
        for evidence in proposal.evidence:
            assert evidence.quote in transcript
            assert evidence.start is not None and evidence.end is not None and evidence.start <= evidence.end
    budget = by_field(proposals)["budget"][0]
    assert budget.evidence[0].quote == "fifty thousand dollars"
    assert budget.evidence[0].role == Role.customer
    assert budget.evidence[0].start == call.utterances[1].words[4].start
    assert budget.evidence[0].end == call.utterances[1].words[6].end
    assert budget.confidence == 0.9


def test_near_misses_are_not_proposed(schema):
    proposals = extract_fields(conversation(ENGLISH, "en"), schema, "en")
    assert "500 USD" not in values(proposals, "budget"), "a negated amount"
    assert "5000 USD" not in values(proposals, "budget"), "the rep's price is not the customer's budget"
    assert "Pipedrive" not in values(proposals, "competitors_mentioned"), "a negated mention"
    assert "+14155552672" not in values(proposals, "customer_phone"), "an order number that would dial"


RUSSIAN = [
    (Role.rep, "Добрый день! Какой у вас бюджет на внедрение?"),
    (Role.customer, "Готовы потратить где-то 50 тыс. руб. в месяц, максимум полтора миллиона в год."),
    (Role.customer, "Сейчас работаем в Битрикс24, смотрели амоCRM. Решение принимает директор."),
    (Role.customer, "Запустить хотим до конца месяца."),
    (Role.rep, "Давайте созвонимся в следующий вторник, я пришлю демо."),
    (Role.customer, "Хорошо, мой телефон +7 916 123-45-67, почта ivan@firma.ru, номер заказа 89161234568."),
]


def test_russian_call_yields_each_field(schema):
    proposals = extract_fields(conversation(RUSSIAN, "ru"), schema, "ru")
    budgets = {proposal.value: proposal for proposal in by_field(proposals)["budget"]}
    assert set(budgets) == {"50000 RUB", "1500000"}
    assert budgets["50000 RUB"].confidence == 0.9
    assert budgets["1500000"].confidence == 0.9, "said with a budget cue, with or without a currency"
    assert budgets["50000 RUB"].evidence[0].quote == "50 тыс. руб."
    assert values(proposals, "competitors_mentioned") == ["Bitrix24", "amoCRM"]
    assert values(proposals, "decision_maker") == ["директор"]
    assert values(proposals, "expected_close_date") == ["до конца месяца"]
    assert values(proposals, "next_step_date") == ["в следующий вторник"]
    assert values(proposals, "customer_phone") == ["+79161234567"]
    assert values(proposals, "customer_email") == ["ivan@firma.ru"]


def test_date_of_the_answer_to_a_question_belongs_to_the_asked_field(schema):
    lines = [
        (Role.rep, "When do you plan to sign the contract?"),
        (Role.customer, "Probably March 15th."),
        (Role.rep, "Okay. I'll call you tomorrow with the numbers."),
        (Role.customer, "Sure, but our office is closed on Friday."),
    ]
    proposals = extract_fields(conversation(lines, "en"), schema, "en")
    assert values(proposals, "expected_close_date") == ["March 15th"]
    assert values(proposals, "next_step_date") == ["tomorrow"]
    assert "on Friday" not in values(proposals, "next_step_date") + values(proposals, "expected_close_date")


def test_a_call_without_values_proposes_nothing(schema):
    lines = [(Role.rep, "Hello, is this a good time?"), (Role.customer, "Not really, please call back later.")]
    assert extract_fields(conversation(lines, "en"), schema, "en") == []


def test_repeated_value_is_one_proposal_with_all_quotes(schema):
    lines = [
        (Role.customer, "We are on HubSpot now."),
        (Role.rep, "How do you like it?"),
        (Role.customer, "We use HubSpot daily but it is expensive."),
    ]
    proposals = by_field(extract_fields(conversation(lines, "en"), schema, "en"))["competitors_mentioned"]
    assert len(proposals) == 1
    assert [evidence.quote for evidence in proposals[0].evidence] == ["HubSpot", "HubSpot"]
    assert proposals[0].evidence[0].start < proposals[0].evidence[1].start


def test_speaker_unknown_roles_are_still_read(schema):
    lines = [(Role.unknown, "Write to me at anna.k@example.org please.")]
    proposals = extract_fields(conversation(lines, "en"), schema, "en")
    assert values(proposals, "customer_email") == ["anna.k@example.org"]


def test_names_and_identifiers_by_speaker_and_cue():
    schema = FieldSchema(
        id="service",
        version="1",
        title="Service call",
        fields=[
            FieldSpec(name="caller_name", title="Caller", type="string", extractor="name", speaker="customer"),
            FieldSpec(name="agent_name", title="Agent", type="string", extractor="name", speaker="rep"),
            FieldSpec(
                name="order_id",
                title="Order id",
                type="string",
                extractor="identifier",
                speaker="customer",
                context_phrases={"en": ["order id"]},
            ),
        ],
    )
    call = conversation(
        [
            (Role.rep, "Hello, this is Acme support, my name is Dana. May I have your name please?"),
            (Role.customer, "Crystal Minh"),
            (Role.rep, "Thanks. What is your username and order ID?"),
            (Role.customer, "Username: cminh730"),
            (Role.customer, "Order ID: 3348917502"),
        ],
        "en",
    )
    proposals = extract_fields(call, schema, "en")
    assert values(proposals, "caller_name") == ["Crystal Minh"]
    assert sorted(values(proposals, "agent_name")) == ["Acme Support", "Dana"]
    assert max(by_field(proposals)["agent_name"], key=lambda p: p.confidence).value == "Dana"
    assert values(proposals, "order_id") == ["3348917502"]
    assert by_field(proposals)["order_id"][0].evidence[0].quote == "3348917502"


def test_an_identifier_asked_for_without_a_question_mark_is_read_from_the_whole_answer():
    schema = FieldSchema(
        id="retail",
        version="1",
        title="Retail chat",
        fields=[
            FieldSpec(
                name="order_id",
                title="Order id",
                type="string",
                extractor="identifier",
                speaker="customer",
                context_phrases={"en": ["order id"]},
            ),
            FieldSpec(
                name="username",
                title="Username",
                type="string",
                extractor="identifier",
                speaker="customer",
                context_phrases={"en": ["username"]},
            ),
        ],
    )
    call = conversation(
        [
            (Role.rep, "sure, would you give me your full name or username"),
            (Role.customer, "Alessandro Phoenix"),
            (Role.customer, "aphoenix939"),
            (Role.rep, "additionally you would give me the order ID and email"),
            (Role.rep, "please"),
            (Role.customer, "7916676427"),
            (Role.customer, "aphoenix939@email.com"),
            (Role.rep, "we shipped order ID 55512345 to you"),
            (Role.customer, "my old account was 1234567 by the way"),
        ],
        "en",
    )
    proposals = extract_fields(call, schema, "en")
    assert values(proposals, "username") == ["aphoenix939"]
    assert values(proposals, "order_id") == ["7916676427"]  # a statement with the cue asks for nothing


def test_products_the_rep_listed_count_only_where_the_customer_takes_them_up(schema):
    picked = conversation(
        [
            (Role.rep, "Мы делаем речевую аналитику, оценку звонков и интеграцию с CRM."),
            (Role.customer, "Нам нужна интеграция с CRM."),
        ],
        "ru",
    )
    products = by_field(extract_fields(picked, schema, "ru"))["products_of_interest"]
    assert {p.value: p.confidence for p in products} == {"CRM integration": 0.85}  # the customer picked one
    asked = conversation(
        [(Role.rep, "Ещё у нас есть речевая аналитика."), (Role.customer, "А сколько это стоит?")], "ru"
    )
    products = by_field(extract_fields(asked, schema, "ru"))["products_of_interest"]
    assert {p.value: p.confidence for p in products} == {"call analytics": 0.7}  # taken up, said by the rep only
    declined = conversation(
        [(Role.rep, "Ещё у нас есть речевая аналитика."), (Role.customer, "Нет, нам это не интересно.")], "ru"
    )
    assert "products_of_interest" not in by_field(extract_fields(declined, schema, "ru"))


def test_the_longer_phrase_wins_where_two_values_cover_the_same_words(schema):
    call = conversation([(Role.customer, "У нас решает совет директоров.")], "ru")
    assert values(extract_fields(call, schema, "ru"), "decision_maker") == ["a committee"]
    director = conversation([(Role.customer, "У нас решает директор.")], "ru")
    assert values(extract_fields(director, schema, "ru"), "decision_maker") == ["директор"]


def test_a_decision_maker_phrase_does_not_cross_a_comma(schema):
    call = conversation([(Role.customer, "Решает директор, я собираю варианты.")], "ru")
    assert values(extract_fields(call, schema, "ru"), "decision_maker") == ["директор"]
