from pathlib import Path

import pytest

from crm_fill.schema import FieldSchemaError, builtin_field_schema, load_field_schema
from models import Extractor, FieldType


def test_default_schema_has_the_fields_sales_teams_fill():
    schema = builtin_field_schema()
    assert schema.version == "1.1"
    types = {spec.name: (spec.type, spec.extractor, spec.multiple) for spec in schema.fields}
    assert types["budget"] == (FieldType.money, Extractor.money, False)
    assert types["expected_close_date"] == (FieldType.date, Extractor.date, False)
    assert types["next_step_date"] == (FieldType.date, Extractor.agreed_date, False)
    assert types["decision_maker"] == (FieldType.string, Extractor.decision_maker, False)
    assert types["competitors_mentioned"] == (FieldType.string, Extractor.organizations, True)
    assert types["products_of_interest"] == (FieldType.string, Extractor.phrases, True)
    assert types["customer_phone"][1] == Extractor.phone
    assert types["customer_email"][1] == Extractor.email
    assert schema.field("deal_stage_suggestion").allowed_values == [
        "qualification", "needs_analysis", "proposal", "negotiation", "closed_won", "closed_lost",
    ]  # fmt: skip
    assert schema.field("next_step").question
    competitors = schema.field("competitors_mentioned").value_phrases
    assert {"Salesforce", "HubSpot", "Pipedrive", "amoCRM", "Bitrix24"} <= set(competitors)
    assert all({"en", "ru"} <= set(by_language) for by_language in competitors.values())
    assert all({"en", "ru"} == set(spec.titles) == set(spec.descriptions) for spec in schema.fields)
    assert schema.field("decision_maker").title_in("ru") == "ЛПР"
    stage = schema.field("deal_stage_suggestion")
    assert all(set(stage.value_titles[value]) == {"en", "ru"} for value in stage.allowed_values)
    assert schema.field("products_of_interest").catalogue


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "team_fields.yaml"
    path.write_text(text, encoding="utf-8")
    return path


_HEAD = "id: team\nversion: '2'\ntitle: Team fields\nfields:\n"


def test_yaml_syntax_error_names_file_and_line(tmp_path):
    path = _write(tmp_path, _HEAD + "  - name: budget\n    title: [Budget\n    type: money\n")
    with pytest.raises(FieldSchemaError) as error:
        load_field_schema(path)
    message = str(error.value)
    assert message.startswith(f"{path}:")
    assert "YAML syntax error at line 7, column 9: " in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            "  - {name: stage, title: Stage, type: enum, question: 'Which stage?'}\n",
            "fields[0] (stage): enum field 'stage' lists no allowed values",
        ),
        (
            "  - {name: budget, title: Budget, type: money, extractor: money}\n"
            "  - {name: budget, title: Budget again, type: money, extractor: money}\n",
            "field names appear twice: ['budget']",
        ),
        (
            "  - {name: size, title: Size, type: integer, question: 'How big?'}\n",
            "fields[0] (size).type: must be 'string', 'number', 'money', 'date', 'enum' or 'bool'",
        ),
        (
            "  - {name: budget, title: Budget, type: money, extractor: money}\n"
            "  - {name: rival, title: Rival, type: enum, allowed_values: [A], extractor: phrases}\n",
            "fields[1] (rival): field 'rival' uses phrases but lists none",
        ),
        (
            "  - {name: budget, title: Budget, type: money, extractor: money, extracter: money}\n",
            "fields[0] (budget).extracter: is not a known key (see crm_fill/README.md)",
        ),
        ("  - {name: budget, title: Budget, type: money, extractor: money}\ncrm: amocrm\n", "crm: is not a known key"),
    ],
    ids=[
        "enum-without-values",
        "duplicate-names",
        "unknown-type",
        "phrases-without-phrases",
        "misspelt-key",
        "unknown-top-key",
    ],
)
def test_invalid_schema_names_file_and_field(tmp_path, fields, expected):
    path = _write(tmp_path, _HEAD + fields)
    with pytest.raises(FieldSchemaError) as error:
        load_field_schema(path)
    message = str(error.value)
    assert message.startswith(f"{path}: ")
    assert expected in message
    assert "\n" not in message


def test_a_file_that_is_not_a_mapping_or_missing_is_named(tmp_path):
    with pytest.raises(FieldSchemaError, match="must be a mapping"):
        load_field_schema(_write(tmp_path, "- just\n- a list\n"))
    missing = tmp_path / "absent.yaml"
    with pytest.raises(FieldSchemaError, match=r"absent\.yaml: cannot read"):
        load_field_schema(missing)
    with pytest.raises(FieldSchemaError, match=r"no built-in field schema 'nope'.*default"):
        builtin_field_schema("nope")


_TITLED = (
    _HEAD
    + """  - name: decision_role
    title: Decision maker
    titles: {en: Decision maker, ru: ЛПР}
    descriptions: {en: Who decides., ru: Кто принимает решение.}
    type: enum
    allowed_values: [director, owner]
    value_titles:
      director: {en: Director, ru: директор}
      owner: {en: Owner, ru: Собственник}
    question: Who decides?
"""
)


def test_a_field_shows_its_title_description_and_values_in_the_readers_language(tmp_path):
    spec = load_field_schema(_write(tmp_path, _TITLED)).field("decision_role")
    assert (spec.title_in("ru"), spec.description_in("ru")) == ("ЛПР", "Кто принимает решение.")
    assert (spec.title_in("en"), spec.title_in("de")) == ("Decision maker", "Decision maker")
    assert (spec.value_title("director", "ru"), spec.value_title("director", "en")) == ("директор", "Director")
    assert spec.value_of_title("ДИРЕКТОР") == spec.value_of_title("director") == "director"
    assert spec.value_of_title("manager") is None


def test_an_older_schema_without_translations_still_loads(tmp_path):
    plain = _HEAD + "  - name: budget\n    title: Budget\n    type: money\n    extractor: money\n"
    spec = load_field_schema(_write(tmp_path, plain)).field("budget")
    assert (spec.title_in("ru"), spec.description_in("ru"), spec.value_title("100 RUB", "ru")) == (
        "Budget",
        "",
        "100 RUB",
    )


def test_titles_for_values_the_field_does_not_allow_are_refused(tmp_path):
    bad = _TITLED.replace("owner: {en: Owner", "boss: {en: Owner")
    with pytest.raises(FieldSchemaError, match="titles for values not allowed"):
        load_field_schema(_write(tmp_path, bad))
