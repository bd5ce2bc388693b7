"""README.md of a release: the codebook, rendered from the release's datapackage.json descriptor.

Nothing here is written by hand that a machine already knows. The descriptor gives the release's
facts (id, date, synthetic flag, licence, citation, the files it lists and every field with its
type, constraints and code list); `layout` gives the column definitions behind those fields, the
status codes and the release's own documents; `pipelines.reference.codelists` gives each code's
label in EN/FR/ES/RU; form.json (through `layout`) gives the prison indicators and how the derived
ones are computed. The one thing held here is the UN's metadata of SDG indicator 16.3.2, quoted
with its source, for the derived indicator form.json defines as its numerator over its denominator.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pipelines.reference import codelists
from pipelines.reference.form import derived_indicators, indicators
from pipelines.release import layout
from pipelines.release.parquet import arrow_type

SYNTHETIC_WARNING = (
    "> **SYNTHETIC DEMO DATA.** This release is built from synthetic returns generated for "
    "demonstration. It is not data reported by any member state: do not cite, publish or analyse it "
    "as such."
)


@dataclass(frozen=True)
class SdgIndicator:
    number: str
    name: str
    definition: str
    notes: str
    custodian: str
    metadata_url: str


# UN SDG metadata (repository of the UN Statistics Division; custodian UNODC), keyed by our indicator code.
SDG_INDICATORS: dict[str, SdgIndicator] = {
    "UNSENTENCED_SHARE": SdgIndicator(
        number="16.3.2",
        name="Unsentenced detainees as a proportion of overall prison population",
        definition=(
            "The total number of persons held in detention who have not yet been sentenced, as a "
            "percentage of the total number of persons held in detention, on a specified date."
        ),
        notes=(
            "'Sentenced' means that a competent authority has decided on the person's conviction or "
            "acquittal; a person whose decision is not yet final (for example under appeal) counts as "
            "sentenced."
        ),
        custodian="United Nations Office on Drugs and Crime (UNODC)",
        metadata_url="https://unstats.un.org/sdgs/metadata/files/Metadata-16-03-02.pdf",
    ),
}

# Value sets that are not code lists of the form: what the codebook calls them and their meanings.
_STATUS_SETS: dict[str, tuple[str, Mapping[str, str]]] = {
    "OBS_STATUS": ("Observation status", layout.OBS_STATUS_MEANINGS),
    "COVERAGE_STATUS": ("Coverage status", layout.COVERAGE_STATUS_MEANINGS),
    "CHANGE_KIND": ("Kinds of change", layout.CHANGE_KIND_MEANINGS),
}


def _cell(text: Any) -> str:
    """Text safe inside a Markdown table cell."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _code(code: str) -> str:
    return f"`{code}`"


def _anchor(heading: str) -> str:
    """The anchor GitHub and most renderers give a heading."""
    kept = "".join(c for c in heading.lower() if c.isalnum() or c in " -_")
    return kept.replace(" ", "-")


def _table(
    header: Sequence[str], rows: Iterable[Sequence[Any]], align: Sequence[str] | None = None
) -> list[str]:
    align = align or ["---"] * len(header)
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines + [""]


def _table_resources(descriptor: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [r for r in descriptor["resources"] if r.get("type") == "table"]


def _parquet_of(descriptor: Mapping[str, Any]) -> dict[str, str]:
    """Table resource name -> the path of its Parquet twin."""
    return {
        r["normsdata:same_rows_as"]: r["path"]
        for r in descriptor["resources"]
        if "normsdata:same_rows_as" in r
    }


def _value_sets(descriptor: Mapping[str, Any]) -> dict[str, list[str]]:
    """Value-set name -> the `table.column`s that use it, in the order the descriptor lists them."""
    used: dict[str, list[str]] = {}
    for resource in _table_resources(descriptor):
        table = layout.table(resource["name"])
        for field in resource["schema"]["fields"]:
            column = table.column(field["name"])
            for name in (column.enum, column.list_of):
                if name:
                    used.setdefault(name, []).append(f"{table.file_name}: {column.name}")
    return used


def _files_section(descriptor: Mapping[str, Any]) -> list[str]:
    rows = [
        (f"`{r['path']}`", r.get("format", ""), f"{r['title']}: {r['description']}")
        for r in descriptor["resources"]
    ]
    rows += [(f"`{d.file_name}`", d.format, f"{d.title}: {d.description}") for d in layout.DOCUMENTS]
    return ["## Files", "", *_table(["file", "format", "what"], rows)]


def _values_cell(column: layout.Column, field: Mapping[str, Any]) -> str:
    constraints = field.get("constraints", {})
    parts = []
    if column.enum:
        parts.append(f"code list [{column.enum}](#{_anchor(_value_set_heading(column.enum))})")
    if column.list_of:
        heading = _value_set_heading(column.list_of)
        parts.append(f"codes of [{column.list_of}](#{_anchor(heading)}), `;`-separated, sorted")
    elif column.multi:
        parts.append("`;`-separated")
    if "pattern" in constraints and not column.list_of:
        parts.append(f"pattern `{constraints['pattern']}`")
    if "minimum" in constraints:
        parts.append(f">= {constraints['minimum']}")
    return "; ".join(parts)


def _tables_section(descriptor: Mapping[str, Any]) -> list[str]:
    lines = [
        "## Tables",
        "",
        "Each table is a CSV (UTF-8, comma, one header row, missing values empty) and a Parquet file with "
        "the same rows in the same order and the column types below. Both hold the same values: a text a "
        "spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, tab or CR) starts with `'` "
        "in both.",
        "",
    ]
    parquet = _parquet_of(descriptor)
    for resource in _table_resources(descriptor):
        table = layout.table(resource["name"])
        lines += [f"### {table.file_name}", "", f"**{resource['title']}.** {resource['description']}", ""]
        twin = parquet.get(table.name)
        if twin:
            lines += [f"The same rows, in the same order and with column types, are in `{twin}`.", ""]
        key = resource["schema"].get("primaryKey")
        lines += [
            f"Primary key: {', '.join(_code(k) for k in key)}; rows are sorted by it."
            if key
            else "No primary key.",
            "",
        ]
        rows = []
        for field in resource["schema"]["fields"]:
            column = table.column(field["name"])
            required = "yes" if field.get("constraints", {}).get("required") else ""
            rows.append(
                (
                    _code(column.name),
                    field["type"],
                    _code(str(arrow_type(column))),
                    required,
                    field["description"],
                    _values_cell(column, field),
                )
            )
        lines += _table(["column", "type", "Parquet type", "required", "description", "values"], rows)
    return lines


def _value_set_heading(name: str) -> str:
    if name in _STATUS_SETS:
        return f"{_STATUS_SETS[name][0]} ({name})"
    return name


def _code_list_lines(name: str, used_by: Sequence[str]) -> list[str]:
    lines = [f"### {_value_set_heading(name)}", "", "Used by: " + "; ".join(used_by) + ".", ""]
    if name in _STATUS_SETS:
        meanings = _STATUS_SETS[name][1]
        return lines + _table(["code", "meaning"], [(_code(c), m) for c, m in meanings.items()])
    if name == "PRISON_INDICATOR":
        reported, derived = indicators(), derived_indicators()
        rows = [(_code(c), s["EN"], s["unit"], "") for c, s in reported.items()]
        rows += [(_code(c), s["EN"], s["unit"], "derived") for c, s in derived.items()]
        lines += [
            "Labels of the prison indicators exist in English only (form.json).",
            "",
        ]
        return lines + _table(["code", "meaning", "unit", "derived"], rows)
    if name == "PRISON_UNIT":
        units = layout.prison_units()
        every = {**indicators(), **derived_indicators()}
        rows = [(_code(u), ", ".join(c for c, s in every.items() if s["unit"] == u)) for u in units]
        return lines + _table(["unit", "indicators"], rows)
    rows = [
        (_code(code), *(codelists.label(name, code, lang) for lang in codelists.LANGUAGES))
        for code in codelists.codes(name)
    ]
    return lines + _table(["code", *codelists.LANGUAGES], rows)


def _codes_section(descriptor: Mapping[str, Any]) -> list[str]:
    lines = [
        "## Codes",
        "",
        "Every value set a column draws from, with every code. The form's code lists carry their labels "
        "in English, French, Spanish and Russian; a return may use any of them, the release always holds "
        "the code.",
        "",
    ]
    for name, used_by in _value_sets(descriptor).items():
        lines += _code_list_lines(name, used_by)
    return lines


def _derived_section() -> list[str]:
    lines = [
        "## Derived indicators",
        "",
        "prisons.csv carries these beside the reported values, with `derived` = `true`:",
        "",
    ]
    lines += [f"- {rule};" for rule in layout.DERIVATION_RULES[:-1]]
    lines += [f"- {layout.DERIVATION_RULES[-1]}.", ""]
    reported = indicators()
    for code, spec in derived_indicators().items():
        sdg = SDG_INDICATORS.get(code)
        numerator, denominator = spec["numerator"], spec["denominator"]
        heading = f"### {code}" + (f": SDG indicator {sdg.number}" if sdg else "")
        lines += [
            heading,
            "",
            f"{spec['EN']}.",
            "",
            f"{_code(code)} = {_code(numerator)} / {_code(denominator)} x 100, in {spec['unit']}, "
            f"rounded to {layout.DERIVED_DECIMALS} decimal.",
            "",
            f"- numerator {_code(numerator)}: {reported[numerator]['EN']}",
            f"- denominator {_code(denominator)}: {reported[denominator]['EN']}",
            "",
        ]
        if sdg:
            lines += [
                f"SDG indicator {sdg.number}, *{sdg.name}*, is defined in its UN metadata as: "
                f'"{sdg.definition}" {sdg.notes} Custodian agency: {sdg.custodian}. '
                f"Metadata: <{sdg.metadata_url}>.",
                "",
            ]
    return lines


def _licence_and_citation(descriptor: Mapping[str, Any]) -> list[str]:
    lines = ["## Licence", ""]
    for licence in descriptor.get("licenses", []):
        title = licence.get("title") or licence["name"]
        link = f"[{title}]({licence['path']})" if licence.get("path") else title
        lines.append(f"- {link} (`{licence['name']}`)")
    lines += ["", "## How to cite", "", descriptor["normsdata:citation"], ""]
    return lines


def _checking_section() -> list[str]:
    return [
        "## Checking the files",
        "",
        "```sh",
        f"sha256sum -c {layout.SHA256SUMS}           # every file is as published",
        f"frictionless validate {layout.DATAPACKAGE}  # every CSV meets its schema; sizes and hashes",
        "```",
        "",
    ]


def render_codebook(descriptor: Mapping[str, Any]) -> str:
    """README.md for the release that `descriptor` (the dict written as datapackage.json) describes."""
    synthetic = bool(descriptor["normsdata:synthetic"])
    lines = [f"# Codebook of normsdata release {descriptor['normsdata:release_id']}", ""]
    if synthetic:
        lines += [SYNTHETIC_WARNING, ""]
    lines += [
        f"**{descriptor['title']}**",
        "",
        descriptor["description"],
        "",
        *_table(
            ["release", "release date", "release layout", "data content hash (SHA-256 of the data CSVs)"],
            [
                (
                    descriptor["normsdata:release_id"],
                    descriptor["normsdata:release_date"],
                    descriptor["normsdata:layout"],
                    _code(descriptor["normsdata:content_hash"]),
                )
            ],
        ),
    ]
    lines += _files_section(descriptor)
    lines += _tables_section(descriptor)
    lines += _codes_section(descriptor)
    lines += _derived_section()
    lines += _licence_and_citation(descriptor)
    lines += _checking_section()
    return "\n".join(lines)
