"""The feedback speaks the form's language: every rule has FR/ES/RU, and stored English messages
are turned into them with the values they carry."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlwt
from msoffcrypto.format.ooxml import OOXMLFile

from pipelines.feedback import messages
from pipelines.findings import Finding
from pipelines.forms.return_writer import Drift, write_return
from pipelines.parsed.returns import parse_return
from pipelines.reference import form
from pipelines.validated.judge import ERROR_CELL_MESSAGE
from tests.conftest import sample_return
from tests.feedback.emitted_rules import step_rules, step_wordings, suite_rules

TRANSLATED = ("FR", "ES", "RU")
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def test_the_rule_gathering_sees_the_rules_it_must():
    # Guards the test below: a scan that found nothing would make it pass vacuously.
    assert {"women_not_above_total", "related_activity_exists", "of_which_not_above_total"} <= suite_rules()
    assert {"no_cover", "legacy_xls", "password_protected", "unknown_sheet", "duplicate"} <= step_rules()


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_rule_the_suites_and_steps_can_emit_has_a_translation(language):
    missing = sorted((suite_rules() | step_rules()) - messages.translated_rules(language))
    assert missing == [], f"no {language} text for these rules: add them to pipelines/feedback/messages.json"


def test_every_wording_of_a_step_rule_in_the_code_has_its_template():
    # A finding is translated by matching its English message against the template of its rule: a
    # message worded in code that no template matches would stay in English.
    wordings = [w for w in step_wordings() if w.sample is not None]
    assert len(wordings) > 30  # the scan found the code's messages
    unmatched = [
        f"{w.where} {w.rule}: {w.sample}"
        for w in wordings
        if not any(t.pattern.fullmatch(w.sample) for t in messages.templates().get(w.rule, ()))
    ]
    assert unmatched == [], "add these wordings to step_rules in pipelines/feedback/messages.json"


def test_translations_use_only_the_values_their_english_template_carries():
    for rule, templates in messages.templates().items():
        for template in templates:
            english = set(PLACEHOLDER.findall(template.english))
            for language in TRANSLATED:
                used = set(PLACEHOLDER.findall(template.translations[language]))
                assert used <= english, (rule, language, used - english)


def test_computed_numbers_name_placeholders_their_rules_carry():
    for rule, names in messages.catalogue()["computed_numbers"].items():
        for template in messages.templates()[rule]:
            assert set(names) <= set(PLACEHOLDER.findall(template.english)), (rule, template.english)


def test_every_action_status_and_label_exists_in_every_language():
    catalogue = messages.catalogue()
    for section in ("actions", "statuses", "labels"):
        for key, texts in catalogue[section].items():
            assert set(texts) == set(form.languages()), (section, key)


@pytest.mark.parametrize(
    ("rule", "english", "language", "expected"),
    [
        (
            "women_not_above_total",
            "Women (2000) exceed the total number of participants (1162).",
            "FR",
            "Le nombre de femmes (2000) dépasse le nombre total de participants (1162).",
        ),
        (
            "thematic_area_code",
            "'PRISON_REFORMS' is not a thematic area of the form: pick one from the list.",
            "ES",
            "«PRISON_REFORMS» no es un área temática del formulario: elija una de la lista.",
        ),
        # An error cell met by a prison rule is worded as the error_cell rule words it.
        (
            "number",
            ERROR_CELL_MESSAGE.format(value="#REF!"),
            "RU",
            "Ячейка содержит ошибку Excel (#REF!); введите вместо нее значение.",
        ),
        (
            "count_not_negative",
            "The value -3 is negative, but its unit counts persons, cases, documents or facilities; "
            "please confirm it.",
            "ES",
            "El valor -3 es negativo, aunque su unidad cuenta personas, casos, documentos o instalaciones; "
            "confírmelo, por favor.",
        ),
        # A number the pipeline computed takes the language's decimal mark: `1.677` would read as
        # more than a thousand in French; a value as sent is never touched.
        (
            "change_over_50_percent",
            "The value changed by more than 50 % from the year before (ratio 1.677); please confirm it.",
            "FR",
            "La valeur a varié de plus de 50 % par rapport à l'année précédente (rapport 1,677) ; veuillez "
            "la confirmer.",
        ),
        (
            "ambiguous_decimal_mark",
            "'1.5' was read as 1.5, as numbers are written in EN: the Cover's language (FR) and that of "
            "the column headers (EN) write decimals differently. Enter it as a number, not as text, so "
            "that it cannot be misread.",
            "FR",
            "« 1.5 » a été lu comme 1,5, selon l'écriture des nombres en EN : la langue de la page de "
            "couverture (FR) et celle des en-têtes de colonnes (EN) n'écrivent pas les décimales de la "
            "même façon. Saisissez-le comme un nombre, et non comme du texte, pour qu'il ne puisse pas "
            "être mal lu.",
        ),
        (
            "ambiguous_decimal_mark",
            "'1.500' was read as 1500, as numbers are written in FR: the Cover's language (FR) and that of "
            "the column headers (EN) write decimals differently. Enter it as a number, not as text, so "
            "that it cannot be misread.",
            "FR",
            "« 1.500 » a été lu comme 1500, selon l'écriture des nombres en FR : la langue de la page de "
            "couverture (FR) et celle des en-têtes de colonnes (EN) n'écrivent pas les décimales de la "
            "même façon. Saisissez-le comme un nombre, et non comme du texte, pour qu'il ne puisse pas "
            "être mal lu.",
        ),
        # Names of the form itself are shown as the form in that language names them.
        (
            "missing_column",
            "The activities table has no 'Thematic area' column.",
            "FR",
            "Le tableau Activités n'a pas de colonne « Domaine thématique ».",
        ),
        (
            "missing_sheet",
            "The return has no Outcomes sheet: a partial return. What it has is accepted.",
            "RU",
            "В форме нет листа «Результаты»: форма неполная. Имеющиеся данные приняты.",
        ),
    ],
)  # fmt: skip
def test_a_stored_english_message_is_said_in_the_forms_language(rule, english, language, expected):
    assert messages.localise(rule, english, language) == messages.Localised(expected, True)


def test_a_message_no_template_matches_stays_in_english_and_says_so():
    odd = "Something nobody wrote a template for."
    assert messages.localise("women_not_above_total", odd, "FR") == messages.Localised(odd, False)
    assert messages.localise("no_such_rule", odd, "ES") == messages.Localised(odd, False)
    assert messages.localise("women_not_above_total", odd, "EN") == messages.Localised(odd, True)


def test_an_explanation_carries_severity_and_what_to_do_in_the_language():
    finding = Finding("s", "validated", "warning", "report", "email_format", "'x' is not an e-mail address.")
    explained = messages.explain(finding, "ES")
    assert explained.severity == "Advertencia"
    assert explained.message == "«x» no es una dirección de correo electrónico."
    assert explained.advice.startswith("Nada se deja aparte")
    assert messages.explain(finding, "XX").severity == "Warning"  # an unknown language falls back to EN


# ---- the parser's own wording: every message it writes is matched by its template -------------


def _not_returns(folder: Path) -> list[Path]:
    (folder / "junk.xlsx").write_bytes(b"\x00\x01 plainly not a workbook" * 8)
    (folder / "empty.xlsx").write_bytes(b"")
    (folder / "table.csv").write_text("Activity ID,Title\nA1,Training\n", encoding="utf-8")
    legacy = xlwt.Workbook()
    legacy.add_sheet("Cover").write(0, 0, "Member State")
    legacy.save(str(folder / "legacy.xls"))
    valid = write_return(sample_return("KAZ"), folder / "valid.xlsx")
    encrypted = io.BytesIO()
    with valid.open("rb") as plain:
        OOXMLFile(plain).encrypt("secret", encrypted)
    (folder / "protected.xlsx").write_bytes(encrypted.getvalue())
    (folder / "truncated.xlsx").write_bytes(valid.read_bytes()[:900])
    with zipfile.ZipFile(folder / "plain.zip.xlsx", "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    openpyxl.Workbook().save(folder / "blank.xlsx")
    (folder / "~$KAZ_2023.xlsx").write_bytes(b"lock")
    return [p for p in sorted(folder.iterdir()) if p.name != "valid.xlsx"]


def _drifted_return(folder: Path) -> Path:
    """File name against the Cover, an extra sheet and column, no Outcomes, and hand-made oddities."""
    path = write_return(
        sample_return("KAZ"),
        folder / "FRA_2023.xlsx",
        drift=Drift(extra_sheet=True, extra_column=True, omit_sheets=("outcomes",)),
    )
    workbook = openpyxl.load_workbook(path)
    cover, activities, prisons = (
        workbook[form.sheet_names(k)["EN"]] for k in ("cover", "activities", "prisons")
    )
    cover.append(["Member State", "KAZ"])  # a Cover label twice
    title = next(c for c in activities[1] if c.value == form.fields("activities")["title"]["EN"])
    title.value = None  # the Title column loses its header
    activities.insert_rows(3)  # a blank row with activities below it
    prisons.cell(1, prisons.max_column + 1, 2010)  # a year long before the reporting year
    prisons.cell(1, prisons.max_column + 1, "Total")  # neither a year nor Notes
    prisons.cell(prisons.max_row + 1, 1, "PRISONERS_ON_LEAVE")  # not an indicator
    prisons.cell(prisons.max_row, 2, 5)
    prisons.cell(prisons.max_row + 1, 1, "PRISONERS_TOTAL")  # an indicator twice
    prisons.cell(1, prisons.max_column + 1, 2023)  # a year twice
    workbook.save(path)
    return path


def _headerless_sheets(folder: Path) -> Path:
    path = write_return(
        sample_return("KAZ"), folder / "KAZ_2023.xlsx", drift=Drift(omit_sheets=("outcomes",))
    )
    workbook = openpyxl.load_workbook(path)
    workbook.create_sheet(form.sheet_names("outcomes")["EN"]).append(["Nothing here looks like a header"])
    prisons = workbook[form.sheet_names("prisons")["EN"]]
    prisons.delete_rows(1)  # no `Indicator` header row any more
    workbook.save(path)
    return path


def test_every_message_the_parser_writes_is_matched_by_its_template(tmp_path):
    files = [*_not_returns(tmp_path), _drifted_return(tmp_path), _headerless_sheets(tmp_path)]
    findings = [f for path in files for f in parse_return(path, "s", path.name).findings]
    provoked = {f.rule for f in findings}
    expected = {
        "not_a_workbook", "empty_file", "not_a_workbook_text", "legacy_xls", "password_protected",
        "lock_file", "corrupt", "no_cover", "file_name_mismatch", "unknown_sheet", "unknown_column",
        "missing_sheet", "missing_column", "duplicate_label", "year_out_of_range", "unknown_indicator",
        "no_header_row",
        "rows_after_blank_row", "duplicate_indicator", "duplicate_year",
    }  # fmt: skip
    assert expected <= provoked, expected - provoked
    assert sum(f.rule == "no_header_row" for f in findings) == 2  # the table's wording and the Prisons'
    assert sum(f.rule == "unknown_column" for f in findings) >= 2
    for finding in findings:
        for language in TRANSLATED:
            localised = messages.localise(finding.rule, finding.message, language)
            assert localised.translated, (language, finding.rule, finding.message)
            assert "{" not in localised.text, localised.text
