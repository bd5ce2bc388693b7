"""The code lists: same codes as the binding spec, labels that read back to their code, no ambiguity."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import pytest

from pipelines.reference import codelists
from pipelines.reference.codelists import (
    LANGUAGES,
    LIST_NAMES,
    codes,
    dropdown_labels,
    label,
    labels,
    match_key,
    normalise_code,
    normalise_codes,
)

REPO = Path(__file__).resolve().parents[2]  # tests/reference/<this file> -> repo root
SPEC = REPO.parent / "shared" / "spec" / "return-form.md"
CODELISTS_JSON = REPO / "pipelines" / "reference" / "codelists.json"
CODE_RE = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*")


def _strip_parentheses(text: str) -> str:
    """Remove parenthesised remarks, nested ones included: `A, B (the five (a) to (e))` -> `A, B `."""
    previous = None
    while previous != text:
        previous, text = text, re.sub(r"\([^()]*\)", " ", text)
    return text


def _spec_code_lists() -> dict[str, list[str]]:
    """Parse the spec's "## Code lists" section: list name -> codes, both in the spec's order."""
    if not SPEC.is_file():
        pytest.fail(f"the binding spec is missing: {SPEC} (shared/ must stand beside the clone)")
    text = SPEC.read_text(encoding="utf-8")
    match = re.search(r"^## Code lists[ \t]*$(.*?)(?=^## |\Z)", text, re.MULTILINE | re.DOTALL)
    if match is None:
        pytest.fail(f'{SPEC}: no "## Code lists" section')
    items: list[str] = []
    for line in match.group(1).splitlines():
        if line.startswith("- "):
            items.append(line[2:])
        elif items and line[:1] in (" ", "\t") and line.strip():
            items[-1] += " " + line.strip()
        elif items:
            break  # a blank line or the paragraph after the list ends it
    lists: dict[str, list[str]] = {}
    for item in items:
        name, _, rest = item.partition(":")
        name = name.strip()
        parts = [part.strip() for part in _strip_parentheses(rest).split(",")]
        bad = [part for part in [name, *parts] if not CODE_RE.fullmatch(part)]
        if bad:
            pytest.fail(f"{SPEC}: cannot read code list item {item!r}: {bad}")
        assert name not in lists, f"{SPEC}: code list {name} twice"
        lists[name] = parts
    if not lists:
        pytest.fail(f"{SPEC}: no code lists found in the Code lists section")
    return lists


SPEC_LISTS = _spec_code_lists()


def _all_texts(list_name: str) -> list[tuple[str, str]]:
    """(code, text) for every text that must read back to the code: code, plain form, every label."""
    out = []
    for code in codes(list_name):
        out.append((code, code))
        out.append((code, code.replace("_", " ").capitalize()))
        out.append((code, code.replace("_", " ").lower()))
        out.extend((code, text) for text in labels(list_name, code).values())
    return out


def _variants(text: str) -> list[str]:
    spaced = text.replace("_", " ")
    return [
        text,
        text.upper(),
        text.lower(),
        text.casefold(),
        text.title(),
        f"  {text}  ",
        f"\u00a0{text}\u00a0",
        f"\t{text} ",
        spaced.replace(" ", "  "),
        spaced.replace(" ", "\u00a0"),
        spaced.replace(" ", "\u202f"),
        spaced.replace(" ", " \u00a0 "),
        spaced.replace(" ", "_"),
        spaced.replace(" ", "-"),
        f" {spaced.upper().replace(' ', chr(0xA0))}  ",
        text.replace("'", "\u2019"),  # typographic apostrophe, as Excel autocorrects it
    ]


# --- the lists are the spec's -------------------------------------------------------------------


def test_spec_has_the_eight_lists():
    assert list(SPEC_LISTS) == [
        "THEMATIC_AREA",
        "ACTIVITY_TYPE",
        "DELIVERY_MODE",
        "BENEFICIARY_GROUP",
        "STANDARD",
        "RESULT_TYPE",
        "UNIT",
        "STATUS",
    ]
    assert SPEC_LISTS["THEMATIC_AREA"][-1] == "PRISON_REFORM"  # the remark in parentheses is not a code
    assert SPEC_LISTS["STATUS"] == ["ACHIEVED", "IN_PROGRESS", "PENDING_ADOPTION"]


def test_list_names_are_the_specs_in_order():
    assert LIST_NAMES == tuple(SPEC_LISTS)


@pytest.mark.parametrize("list_name", list(SPEC_LISTS))
def test_codes_are_the_specs_in_order(list_name):
    assert codes(list_name) == tuple(SPEC_LISTS[list_name])


def test_json_holds_exactly_the_spec_lists_in_order():
    raw = json.loads(CODELISTS_JSON.read_text(encoding="utf-8"))
    assert raw["_source"].strip()
    data = {name: list(table) for name, table in raw.items() if not name.startswith("_")}
    assert data == SPEC_LISTS
    assert list(data) == list(SPEC_LISTS)


# --- labels ------------------------------------------------------------------------------------


@pytest.mark.parametrize("list_name", LIST_NAMES)
def test_every_code_has_a_clean_label_in_every_language(list_name):
    for code in codes(list_name):
        entry = labels(list_name, code)
        assert tuple(entry) == LANGUAGES
        for language, text in entry.items():
            assert text == text.strip() and "  " not in text, (code, language, text)
            assert text[:1].isupper(), (code, language, text)  # a dropdown entry starts with a capital
            # ';' separates codes in a multi-code cell; ',' separates items of an inline Excel list.
            assert ";" not in text and "," not in text, (code, language, text)
            assert "\u00a0" not in text and "\u2019" not in text, (code, language, text)
            assert len(text) <= 255, (code, language, text)
            assert label(list_name, code, language) == text
            assert label(list_name, code, language.lower()) == text


@pytest.mark.parametrize("list_name", LIST_NAMES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_dropdown_labels_are_the_labels_in_code_order(list_name, language):
    offered = dropdown_labels(list_name, language)
    assert offered == [label(list_name, code, language) for code in codes(list_name)]
    assert len(set(offered)) == len(offered)
    offered.append("mutated")  # callers get a copy
    assert dropdown_labels(list_name, language)[-1] != "mutated"


def test_labels_the_team_agreed_on():
    assert labels("STANDARD", "NELSON_MANDELA_RULES") == {
        "EN": "Nelson Mandela Rules",
        "FR": "Règles Nelson Mandela",
        "ES": "Reglas Nelson Mandela",
        "RU": "Правила Нельсона Манделы",
    }
    assert labels("THEMATIC_AREA", "ACCESS_TO_JUSTICE") == {
        "EN": "Access to justice",
        "FR": "Accès à la justice",
        "ES": "Acceso a la justicia",
        "RU": "Доступ к правосудию",
    }
    assert label("STANDARD", "BANGKOK_RULES", "EN") == "Bangkok Rules"
    assert label("STANDARD", "TOKYO_RULES", "EN") == "Tokyo Rules"
    assert label("STANDARD", "BEIJING_RULES", "EN") == "Beijing Rules"
    assert label("STANDARD", "RIYADH_GUIDELINES", "EN") == "Riyadh Guidelines"


def test_unknown_list_code_or_language_is_an_error():
    with pytest.raises(KeyError, match="unknown code list"):
        codes("COLOUR")
    with pytest.raises(KeyError, match="unknown code list"):
        normalise_code("COLOUR", "red")
    with pytest.raises(KeyError, match="unknown code list"):
        normalise_codes("COLOUR", "red")
    with pytest.raises(KeyError, match="not a code of STATUS"):
        label("STATUS", "DONE", "EN")
    with pytest.raises(KeyError, match="unknown language"):
        label("STATUS", "ACHIEVED", "DE")
    with pytest.raises(KeyError, match="unknown language"):
        dropdown_labels("STATUS", "AR")


# --- reading cells back -------------------------------------------------------------------------


@pytest.mark.parametrize("list_name", LIST_NAMES)
def test_every_code_plain_form_and_label_reads_back_to_its_code(list_name):
    failures = []
    for code, text in _all_texts(list_name):
        for variant in _variants(text):
            got = normalise_code(list_name, variant)
            if got != code:
                failures.append((variant, got, code))
    assert failures == []


@pytest.mark.parametrize(
    ("list_name", "text", "code"),
    [
        ("THEMATIC_AREA", "Prison reform", "PRISON_REFORM"),
        ("THEMATIC_AREA", "prison_reform", "PRISON_REFORM"),
        ("THEMATIC_AREA", "  Penal  and prison reform ", "PRISON_REFORM"),
        ("THEMATIC_AREA", "RÉFORME PÉNALE ET PÉNITENTIAIRE", "PRISON_REFORM"),
        ("THEMATIC_AREA", "Violence à l’égard des femmes", "VIOLENCE_AGAINST_WOMEN"),
        ("DELIVERY_MODE", "In person", "IN_PERSON"),
        ("DELIVERY_MODE", "in-person", "IN_PERSON"),
        ("DELIVERY_MODE", "IN\u00a0PERSON", "IN_PERSON"),
        ("DELIVERY_MODE", "en línea", "ONLINE"),
        ("DELIVERY_MODE", "Очный", "IN_PERSON"),
        ("BENEFICIARY_GROUP", "Children youth", "CHILDREN_YOUTH"),
        ("BENEFICIARY_GROUP", "children-youth", "CHILDREN_YOUTH"),
        ("BENEFICIARY_GROUP", "Niños y jóvenes", "CHILDREN_YOUTH"),
        ("ACTIVITY_TYPE", "E-learning", "ELEARNING"),
        ("ACTIVITY_TYPE", "e learning", "ELEARNING"),
        ("ACTIVITY_TYPE", "eLearning", "ELEARNING"),
        ("ACTIVITY_TYPE", "семинар практикум", "WORKSHOP"),
        ("STANDARD", "Bangkok rules", "BANGKOK_RULES"),
        ("STANDARD", "reglas de tokio", "TOKYO_RULES"),
        ("STANDARD", "ЭР-РИЯДСКИЕ РУКОВОДЯЩИЕ ПРИНЦИПЫ", "RIYADH_GUIDELINES"),
        ("STANDARD", "Правила\u202fНельсона\u202fМанделы", "NELSON_MANDELA_RULES"),
        ("STATUS", "\tPending adoption\n", "PENDING_ADOPTION"),
        ("STATUS", "Pending\u200b adoption", "PENDING_ADOPTION"),  # zero-width space from copy-paste
        ("UNIT", "Établissements", "FACILITIES"),
    ],
)
def test_examples_read_back(list_name, text, code):
    assert normalise_code(list_name, text) == code


@pytest.mark.parametrize(
    ("list_name", "text", "code"),
    [
        # Accents left out: accepted, because no other code's label reads the same without them.
        ("ACTIVITY_TYPE", "Evaluacion", "ASSESSMENT"),
        ("ACTIVITY_TYPE", "evaluation", "ASSESSMENT"),
        ("ACTIVITY_TYPE", "Campana de sensibilizacion", "AWARENESS_CAMPAIGN"),
        ("STANDARD", "Regles de Tokyo", "TOKYO_RULES"),
        ("THEMATIC_AREA", "Violencia contra los ninos", "VIOLENCE_AGAINST_CHILDREN"),
        ("THEMATIC_AREA", "Acces a la justice", "ACCESS_TO_JUSTICE"),
        ("UNIT", "Etablissements", "FACILITIES"),
        ("BENEFICIARY_GROUP", "Дети и молодёжь", "CHILDREN_YOUTH"),  # ё for е
    ],
)
def test_missing_accents_are_forgiven_when_unambiguous(list_name, text, code):
    assert normalise_code(list_name, text) == code


@pytest.mark.parametrize(
    ("list_name", "text"),
    [
        ("THEMATIC_AREA", ""),
        ("THEMATIC_AREA", "   "),
        ("THEMATIC_AREA", "\u00a0"),
        ("THEMATIC_AREA", "-"),
        ("THEMATIC_AREA", "Prison"),
        ("THEMATIC_AREA", "Prisons reform"),
        ("THEMATIC_AREA", "PRISON_REFORMS"),
        ("THEMATIC_AREA", "TRAINING"),  # a code of another list
        ("ACTIVITY_TYPE", "PRISON_REFORM"),
        ("STANDARD", "Nelson Mandela"),
        ("STANDARD", "Bangkok"),
        ("STANDARD", "Bangkok Rules; Tokyo Rules"),  # a multi-code cell is for normalise_codes
        ("STATUS", "Done"),
        ("UNIT", "%"),
        ("DELIVERY_MODE", "inperson"),
    ],
)
def test_unknown_text_gives_none(list_name, text):
    assert normalise_code(list_name, text) is None


@pytest.mark.parametrize("value", [None, 42, 3.5, b"ONLINE", ["ONLINE"]])
def test_non_text_gives_none(value):
    assert normalise_code("DELIVERY_MODE", value) is None


# --- no ambiguity -------------------------------------------------------------------------------


@pytest.mark.parametrize("list_name", LIST_NAMES)
def test_no_two_codes_share_a_key_in_any_language_combination(list_name):
    keys = {}
    for code in codes(list_name):
        texts = [code, code.replace("_", " "), *labels(list_name, code).values()]
        keys[code] = {match_key(text) for text in texts}
    clashes = [
        (a, b, keys[a] & keys[b]) for a, b in itertools.combinations(codes(list_name), 2) if keys[a] & keys[b]
    ]
    assert clashes == []


@pytest.mark.parametrize("list_name", LIST_NAMES)
def test_no_label_is_another_codes_plain_form(list_name):
    for code in codes(list_name):
        for other in codes(list_name):
            if other == code:
                continue
            plain = match_key(other.replace("_", " "))
            for language, text in labels(list_name, code).items():
                assert match_key(text) != plain, (code, language, text, other)


@pytest.mark.parametrize("list_name", LIST_NAMES)
def test_accent_folding_never_merges_two_codes(list_name):
    """Wherever two codes' texts read the same without accents, the accentless text is refused."""
    exact = {match_key(text): code for code, text in _all_texts(list_name)}
    by_fold: dict[str, set[str]] = {}
    for key, code in exact.items():
        by_fold.setdefault(codelists._fold(key), set()).add(code)
    for folded, owners in by_fold.items():
        got = normalise_code(list_name, folded)
        if folded in exact:
            assert got == exact[folded], folded  # written exactly as a label: that label's code
        elif len(owners) == 1:
            assert got in owners, folded
        else:
            assert got is None, (folded, owners)


def test_accent_folding_guard_on_a_list_made_to_clash():
    table = {
        "RESUME": {"EN": "Resume", "FR": "Reprendre", "ES": "Reanudar", "RU": "Продолжить"},
        "CV": {"EN": "Résumé", "FR": "Curriculum", "ES": "Currículum", "RU": "Резюме"},
        "OTHER": {"EN": "Öther", "FR": "Autre", "ES": "Otro", "RU": "Другое"},
    }
    index = codelists._build_index("TEST", table)
    # Accents written: each reads back to its own code.
    assert index.exact[match_key("Résumé")] == "CV"
    assert index.exact[match_key("resume")] == "RESUME"
    # Accentless text that two codes could mean is not in the folded index, so it is never guessed.
    assert "resume" not in index.folded
    assert codelists._fold(match_key("Resumé")) == "resume"
    # Accentless text that only one code could mean is.
    assert index.folded["other"] == "OTHER"
    assert index.folded["curriculum"] == "CV"


def test_a_list_with_a_cross_language_clash_is_refused():
    table = {
        "ONE": {"EN": "One", "FR": "Un", "ES": "Uno", "RU": "Один"},
        "TWO": {"EN": "Two", "FR": "Deux", "ES": "un", "RU": "Два"},  # ES of TWO = FR of ONE
    }
    with pytest.raises(ValueError, match="matches"):
        codelists._build_index("TEST", table)
    table = {
        "IN_PERSON": {"EN": "Face to face", "FR": "Présentiel", "ES": "Presencial", "RU": "Очно"},
        "ONLINE": {"EN": "In-person", "FR": "En ligne", "ES": "En línea", "RU": "Онлайн"},
    }
    with pytest.raises(ValueError, match="matches"):  # a label equal to another code's plain form
        codelists._build_index("TEST", table)


def test_slow_path_agrees_with_fast_path():
    for list_name in LIST_NAMES:
        index = codelists._INDEXES[list_name]
        for text, code in index.verbatim.items():
            assert codelists._lookup_slow(list_name, text) == code


# --- multi-code cells ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Bangkok Rules; NELSON_MANDELA_RULES", (["BANGKOK_RULES", "NELSON_MANDELA_RULES"], [])),
        ("NELSON_MANDELA_RULES;Bangkok Rules", (["BANGKOK_RULES", "NELSON_MANDELA_RULES"], [])),
        ("Règles de Tokyo; tokyo rules ;TOKYO_RULES", (["TOKYO_RULES"], [])),
        ("Reglas de Bangkok;;  ; Istanbul Protocol ", (["BANGKOK_RULES"], ["Istanbul Protocol"])),
        (" Foo ;\u00a0Bar\u00a0; Пекинские правила", (["BEIJING_RULES"], ["Foo", "Bar"])),
        ("Riyadh guidelines", (["RIYADH_GUIDELINES"], [])),
        ("", ([], [])),
        ("  ;  ; ", ([], [])),
        (None, ([], [])),
    ],
)
def test_normalise_codes(text, expected):
    assert normalise_codes("STANDARD", text) == expected


def test_normalise_codes_with_another_separator():
    assert normalise_codes("STANDARD", "Tokyo Rules, Bangkok Rules", separator=",") == (
        ["BANGKOK_RULES", "TOKYO_RULES"],
        [],
    )
    with pytest.raises(ValueError):
        normalise_codes("STANDARD", "Tokyo Rules", separator="")
