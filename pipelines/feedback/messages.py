"""Feedback texts in the form's language: findings' messages, what to do about them, and labels.

A finding is stored with its message already worded in English. To say it in another language,
the English template that produced it is matched against the message, which gives back the
values put into it, and those go into the translation. English templates come from where the
messages are written: the suites' `meta.message` (expectations/*.json) and, for messages the
receive and parse steps word in code, the `step_rules` of messages.json. A message no template
matches is shown as it was stored, in English, never guessed.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pipelines.findings import Finding
from pipelines.parsed.values import decimal_comma
from pipelines.reference import form as vocabulary
from pipelines.validated.judge import ERROR_CELL_MESSAGE
from pipelines.validated.suites import SUITE_NAMES, suite_definition

CATALOGUE_FILE = Path(__file__).with_name("messages.json")
ENGLISH = "EN"
ERROR_CELL_RULE = "error_cell"  # the judge words an error cell met by another rule with this rule's text

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@cache
def catalogue() -> dict:
    return json.loads(CATALOGUE_FILE.read_text(encoding="utf-8"))


def catalogue_digest() -> str:
    """Changes when any feedback text changes, so feedback written with the old texts is redone."""
    english = json.dumps(suite_templates(), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(CATALOGUE_FILE.read_bytes() + english.encode()).hexdigest()[:16]


def language_of(code: str | None) -> str:
    return code if code in vocabulary.languages() else ENGLISH


@cache
def suite_templates() -> dict[str, list[str]]:
    """rule -> the English templates the suites give it (a rule may stand in several suites)."""
    templates: dict[str, list[str]] = {}
    for name in SUITE_NAMES:
        for expectation in suite_definition(name)["expectations"]:
            meta = expectation.get("meta") or {}
            if "rule" in meta and "message" in meta:
                found = templates.setdefault(meta["rule"], [])
                if meta["message"] not in found:
                    found.append(meta["message"])
    return templates


@dataclass(frozen=True)
class Template:
    rule: str
    english: str
    translations: dict[str, str]

    @property
    def pattern(self) -> re.Pattern[str]:
        return _pattern(self.english)


@cache
def _pattern(english: str) -> re.Pattern[str]:
    parts, seen, last = [], set(), 0
    for match in _PLACEHOLDER.finditer(english):
        parts.append(re.escape(english[last : match.start()]))
        name = match.group(1)
        parts.append(f"(?P={name})" if name in seen else f"(?P<{name}>.*?)")
        seen.add(name)
        last = match.end()
    parts.append(re.escape(english[last:]))
    return re.compile("".join(parts), re.DOTALL)


@cache
def templates() -> dict[str, tuple[Template, ...]]:
    """rule -> every template a finding of that rule can have been worded with."""
    found: dict[str, list[Template]] = {}
    suite_rules = catalogue()["suite_rules"]
    for rule, englishes in suite_templates().items():
        translations = suite_rules.get(rule, {})
        found.setdefault(rule, []).extend(Template(rule, english, translations) for english in englishes)
    for rule, variants in catalogue()["step_rules"].items():
        found.setdefault(rule, []).extend(Template(rule, variant[ENGLISH], variant) for variant in variants)
    return {rule: tuple(items) for rule, items in found.items()}


def translated_rules(language: str) -> set[str]:
    """Rules every one of whose templates has a text in `language`."""
    return {
        rule
        for rule, items in templates().items()
        if items and all(language in t.translations for t in items)
    }


@dataclass(frozen=True)
class Localised:
    text: str
    translated: bool  # False: no template matched (or none in this language): the stored English is shown


def localise(rule: str, message: str, language: str) -> Localised:
    """`message` (English, as stored) in `language`, with the values it carries."""
    if language == ENGLISH:
        return Localised(message, True)
    candidates = list(templates().get(rule, ()))
    error_cell = templates().get(ERROR_CELL_RULE, ())
    candidates += [t for t in error_cell if t.english == ERROR_CELL_MESSAGE]
    numbers = catalogue()["computed_numbers"].get(rule, ())
    for template in candidates:
        match = template.pattern.fullmatch(message)
        if match is None or language not in template.translations:
            continue
        values = {
            name: _number(value, language) if name in numbers else _form_term(name, value, language)
            for name, value in match.groupdict().items()
        }
        return Localised(template.translations[language].format(**values), True)
    return Localised(message, False)


_DECIMAL = re.compile(r"(-?\d+)\.(\d+)")


def _number(value: str, language: str) -> str:
    """A number the pipeline computed (`1.677`), with the decimal mark of `language`."""
    return _DECIMAL.sub(r"\1,\2", value) if decimal_comma(language) else value


def _form_term(name: str, value: str, language: str) -> str:
    """A word of the form itself (a sheet or column name) shown as the form in `language` says it."""
    if not name.startswith("form_"):
        return value
    return _form_terms(language).get(name, {}).get(value, value)


@cache
def _form_terms(language: str) -> dict[str, dict[str, str]]:
    kinds = {kind: vocabulary.sheet_names(kind)[language] for kind in vocabulary.SHEET_KINDS}
    sheets = {vocabulary.sheet_names(kind)[ENGLISH]: name for kind, name in kinds.items()}
    headers: dict[str, str] = {}
    for kind in ("cover", *vocabulary.TABLE_KINDS):
        for spec in vocabulary.fields(kind).values():
            headers.setdefault(spec[ENGLISH], spec[language])
    return {"form_kind": kinds, "form_sheet": sheets, "form_header": headers}


def label(key: str, language: str) -> str:
    return catalogue()["labels"][key][language_of(language)]


def advice(action: str, language: str) -> str:
    """What the finding's action does to the data, and what the focal point should do."""
    texts = catalogue()["actions"].get(action)
    return texts[language_of(language)] if texts else ""


def status_text(status: str, language: str) -> str:
    texts = catalogue()["statuses"].get(status)
    return texts[language_of(language)] if texts else status


@dataclass(frozen=True)
class Explanation:
    """A finding as the focal point reads it."""

    severity: str  # "Error" in the form's language
    message: str
    advice: str
    translated: bool


def explain(finding: Finding, language: str) -> Explanation:
    language = language_of(language)
    localised = localise(finding.rule, finding.message, language)
    severity = label("error" if finding.severity == "error" else "warning", language)
    return Explanation(severity, localised.text, advice(finding.action, language), localised.translated)
