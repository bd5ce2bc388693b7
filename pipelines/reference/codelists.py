"""The form's code lists: codes, their labels in the four languages, and reading them back from cells.

`codelists.json` beside this module is the single source of truth; validation, the blank forms'
dropdowns, the datapackage enums and the codebook all read it through this module.

A cell may hold a code (`PRISON_REFORM`), its plain English form (`Prison reform`) or any dropdown
label in any of the four languages, in any letter case, with stray, double or non-breaking spaces,
and with `_` or `-` where spaces are. Matching is a dict lookup on a normalised key
(`match_key`). Accents matter: a key without accents (`Evaluacion`) is accepted only when it
stands for exactly one code; a text that could mean two codes is never guessed.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

LANGUAGES: tuple[str, ...] = ("EN", "FR", "ES", "RU")

_PATH = Path(__file__).with_name("codelists.json")
_CODE_RE = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*")

# Characters that stand where a space is meant: non-breaking and other odd spaces, control
# whitespace, underscores (codes, plain forms) and hyphens and dashes (`in-person`, `E-learning`).
_AS_SPACE = (
    "\t\n\r\v\f\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u202f\u205f\u3000_-\u2010\u2011\u2012\u2013\u2014\u2212"
)
_TRANSLATION = str.maketrans(
    {
        **{char: " " for char in _AS_SPACE},
        # Typographic apostrophes, as Word and Excel autocorrect type them (`l’égard`).
        "\u2019": "'",
        "\u2018": "'",
        "\u02bc": "'",
        "\u00b4": "'",
        "`": "'",
        # Invisible characters that copy-paste leaves behind.
        "\u200b": None,
        "\u200c": None,
        "\u200d": None,
        "\u2060": None,
        "\ufeff": None,
        "\u00ad": None,
    }
)


def match_key(text: str) -> str:
    """The key a text is matched on: NFC, spaces/underscores/hyphens as one space, casefolded, trimmed."""
    return " ".join(unicodedata.normalize("NFC", text).translate(_TRANSLATION).casefold().split())


def _fold(key: str) -> str:
    """A match key without combining marks (accents, diaereses, breves): `évaluation` -> `evaluation`."""
    decomposed = unicodedata.normalize("NFD", key)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))


def plain_form(code: str) -> str:
    """The code's plain English form, as the spec writes it: `PRISON_REFORM` -> `Prison reform`."""
    return code.replace("_", " ").capitalize()


@dataclass(frozen=True)
class _Index:
    verbatim: dict[str, str]  # codes, plain forms and labels exactly as written -> code (fast path)
    exact: dict[str, str]  # match key -> code
    folded: dict[str, str]  # accent-folded match key -> code, only where exactly one code claims it


def _build_index(list_name: str, table: Mapping[str, Mapping[str, str]]) -> _Index:
    """Index one list; raise if two codes would share a key (the list would be ambiguous)."""
    verbatim: dict[str, str] = {}
    exact: dict[str, str] = {}
    for code, labels in table.items():
        for text in (code, plain_form(code), *labels.values()):
            key = match_key(text)
            other = exact.setdefault(key, code)
            if other != code:
                raise ValueError(
                    f"code list {list_name}: {text!r} of {code} matches {other} as well (key {key!r})"
                )
            verbatim[text] = code
    claims: dict[str, set[str]] = {}
    for key, code in exact.items():
        claims.setdefault(_fold(key), set()).add(code)
    folded = {key: next(iter(codes)) for key, codes in claims.items() if len(codes) == 1}
    return _Index(verbatim=verbatim, exact=exact, folded=folded)


def _load(path: Path) -> dict[str, dict[str, dict[str, str]]]:
    raw = json.loads(path.read_text(encoding="utf-8"))
    tables: dict[str, dict[str, dict[str, str]]] = {}
    for list_name, table in raw.items():
        if list_name.startswith("_"):
            continue
        if not _CODE_RE.fullmatch(list_name) or not table:
            raise ValueError(f"{path.name}: bad code list {list_name!r}")
        for code, labels in table.items():
            if not _CODE_RE.fullmatch(code):
                raise ValueError(f"{path.name}: {list_name}: bad code {code!r}")
            if tuple(labels) != LANGUAGES:
                raise ValueError(f"{path.name}: {list_name}.{code}: languages must be {LANGUAGES}")
            for language, text in labels.items():
                if not isinstance(text, str) or not text.strip() or text != text.strip():
                    raise ValueError(f"{path.name}: {list_name}.{code}.{language}: bad label {text!r}")
                if ";" in text:
                    raise ValueError(f"{path.name}: {list_name}.{code}.{language}: ';' in label {text!r}")
        tables[list_name] = table
    return tables


_TABLES = _load(_PATH)
_INDEXES = {list_name: _build_index(list_name, table) for list_name, table in _TABLES.items()}

LIST_NAMES: tuple[str, ...] = tuple(_TABLES)
_CODES = {list_name: tuple(table) for list_name, table in _TABLES.items()}


def _table(list_name: str) -> dict[str, dict[str, str]]:
    try:
        return _TABLES[list_name]
    except KeyError:
        raise KeyError(f"unknown code list {list_name!r}; known: {', '.join(LIST_NAMES)}") from None


def _language(language: str) -> str:
    upper = language.upper()
    if upper not in LANGUAGES:
        raise KeyError(f"unknown language {language!r}; known: {', '.join(LANGUAGES)}")
    return upper


def codes(list_name: str) -> tuple[str, ...]:
    """The list's codes, in the spec's order."""
    _table(list_name)
    return _CODES[list_name]


def labels(list_name: str, code: str) -> dict[str, str]:
    """A code's labels, language -> label (a copy)."""
    table = _table(list_name)
    try:
        return dict(table[code])
    except KeyError:
        raise KeyError(f"{code!r} is not a code of {list_name}") from None


def label(list_name: str, code: str, language: str) -> str:
    """A code's label in a language (EN, FR, ES or RU)."""
    return labels(list_name, code)[_language(language)]


def dropdown_labels(list_name: str, language: str) -> list[str]:
    """What a blank form's dropdown offers in that language: the labels, in code order."""
    lang = _language(language)
    return [entry[lang] for entry in _table(list_name).values()]


@functools.lru_cache(maxsize=16384)
def _lookup_slow(list_name: str, text: str) -> str | None:
    index = _INDEXES[list_name]
    key = match_key(text)
    code = index.exact.get(key)
    if code is None:
        code = index.folded.get(_fold(key))
    return code


def normalise_code(list_name: str, text: str) -> str | None:
    """The code that a cell's text stands for, or None if it stands for none (or is not text)."""
    try:
        index = _INDEXES[list_name]
    except KeyError:
        _table(list_name)  # raises the helpful error
        raise
    if not isinstance(text, str):
        return None
    code = index.verbatim.get(text)
    if code is not None:
        return code
    return _lookup_slow(list_name, text)


def normalise_codes(list_name: str, text: str | None, separator: str = ";") -> tuple[list[str], list[str]]:
    """Read a multi-code cell (`"Bangkok Rules; NELSON_MANDELA_RULES"`).

    Returns (recognised codes, sorted and de-duplicated; unrecognised parts as written, stripped,
    in cell order). Empty parts are ignored.
    """
    if not separator:
        raise ValueError("separator must not be empty")
    _table(list_name)
    if text is None:
        return [], []
    recognised: set[str] = set()
    unrecognised: list[str] = []
    for part in str(text).split(separator):
        stripped = part.strip()
        if not stripped:
            continue
        code = normalise_code(list_name, stripped)
        if code is None:
            unrecognised.append(stripped)
        else:
            recognised.add(code)
    return sorted(recognised), unrecognised
