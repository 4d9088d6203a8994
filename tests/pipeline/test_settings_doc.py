"""docs/configuration.md's settings table is generated from the settings' declarations: every setting has a
description and the committed page is what `python -m pipeline.settings_doc` writes today."""

from pipeline.settings import Settings
from pipeline.settings_doc import BEGIN, END, PAGE, render, table


def test_every_setting_is_described() -> None:
    assert [name for name, field in Settings.model_fields.items() if not field.description] == []


def test_the_committed_configuration_page_is_current() -> None:
    page = PAGE.read_text(encoding="utf-8")
    assert page == render(page), (
        "docs/configuration.md is stale: run `.venv/bin/python -m pipeline.settings_doc` and commit it"
    )


def test_the_page_lists_each_variable_once_with_its_results_mark() -> None:
    rows = [line for line in table().splitlines() if line.startswith("| `CALLINTEL_")]
    assert len(rows) == len(Settings.model_fields)
    beam = next(row for row in rows if row.startswith("| `CALLINTEL_ASR_BEAM_SIZE`"))
    threads = next(row for row in rows if row.startswith("| `CALLINTEL_ASR_CPU_THREADS`"))
    assert "| `5` | yes |" in beam and "| `0` |  |" in threads


def test_only_the_table_between_the_markers_is_rewritten() -> None:
    page = f"# Title\n\nProse.\n{BEGIN}| stale |\n{END}\nMore prose.\n"
    assert render(page) == f"# Title\n\nProse.\n{BEGIN}{table()}{END}\nMore prose.\n"
