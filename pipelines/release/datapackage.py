"""datapackage.json: a Frictionless Data Package v2 descriptor of a release's files.

Everything tabular comes from `layout`: per resource the file, a Table Schema (types, descriptions,
`required` on primary-key columns and a few others, enums from the code lists, patterns,
minimums), the primary key, `missingValues: [""]` and an explicit CSV dialect, so no reader has to
sniff. Each resource also carries `bytes` and `hash` (`sha256:<hex>`, the v2 form), which
`frictionless validate` checks.

Beside the CSVs, every other data file is listed as a non-tabular resource (`"type": "file"`) with
`bytes` and `hash`, which `frictionless validate` checks too: each table's Parquet twin (with
`normsdata:same_rows_as` naming the CSV resource whose schema describes it) and the prepared
attachments (DuckDB snapshot, overview page). The codebook (README.md) is rendered from this
descriptor, so the licence and the citation (`normsdata:citation`) are stated once, here.

Notes on frictionless 5.21 (the version pinned here), found by trying:
- It reads the root `"$schema"` only to decide the standard version (v1/v2); it does not fetch or
  bundle the official v2 JSON Schemas, it validates against its own built-in profile. A legacy
  `"profile"` URL, by contrast, would be fetched over the network, so we never write one.
- A resource `hash` without an algorithm prefix is taken as MD5: always write `sha256:<hex>`.
- `trueValues`/`falseValues` default to `true, True, TRUE, 1` / `false, ...`; we pin them to
  `true`/`false`, what the CSV writer emits, so `True` in a file is an error, not accepted.
- `pattern` constraints are anchored (`^...$`) by frictionless, as the Table Schema says.
- Parquet as a *tabular* resource does not validate: frictionless reads it through
  `pyarrow...to_pandas()`, a null in an integer or number column becomes NaN, and its pandas
  parser tests `value is np.nan` (identity), so every null is a type or `minimum` error; and it
  reports the resource's `bytes` as "actual None" (it never streams the file's bytes). Listed as
  `"type": "file"`, the Parquet file's size and SHA-256 are checked and nothing else is guessed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from pipelines.release.layout import LAYOUT_VERSION, Column, ReleaseFile, Table

DATAPACKAGE_PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"
DATARESOURCE_PROFILE = "https://datapackage.org/profiles/2.0/dataresource.json"

LICENSE = {
    "name": "CC-BY-4.0",
    "path": "https://creativecommons.org/licenses/by/4.0/",
    "title": "Creative Commons Attribution 4.0 International",
}

DIALECT = {
    "header": True,
    "delimiter": ",",
    "lineTerminator": "\n",
    "quoteChar": '"',
    "doubleQuote": True,
}

# Properties the publisher owns; `extra_metadata` may add or override anything else
# (title, description, homepage, contributors, sources, keywords, ...).
PROTECTED = frozenset(
    {
        "$schema",
        "name",
        "version",
        "resources",
        "normsdata:release_id",
        "normsdata:release_date",
        "normsdata:synthetic",
        "normsdata:layout",
        "normsdata:content_hash",
        "normsdata:citation",
    }
)

SYNTHETIC_NOTE = "SYNTHETIC DEMO DATA"


def field_descriptor(column: Column, *, in_primary_key: bool) -> dict[str, Any]:
    field: dict[str, Any] = {"name": column.name, "type": column.type, "description": column.description}
    if column.type == "boolean":
        field["trueValues"] = ["true"]
        field["falseValues"] = ["false"]
    constraints: dict[str, Any] = {}
    if column.required or in_primary_key:
        constraints["required"] = True
    enum = column.enum_values()
    if enum is not None:
        constraints["enum"] = list(enum)
    pattern = column.effective_pattern()
    if pattern is not None:
        constraints["pattern"] = pattern
    if column.minimum is not None:
        constraints["minimum"] = column.minimum
    if constraints:
        field["constraints"] = constraints
    return field


def table_schema(table: Table) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "fields": [field_descriptor(c, in_primary_key=c.name in table.primary_key) for c in table.columns],
        "missingValues": [""],
    }
    if table.primary_key:
        schema["primaryKey"] = list(table.primary_key)
    return schema


def resource_descriptor(table: Table, data: bytes) -> dict[str, Any]:
    return {
        "$schema": DATARESOURCE_PROFILE,
        "name": table.name,
        "type": "table",
        "path": table.file_name,
        "title": table.title,
        "description": table.description,
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "bytes": len(data),
        "hash": "sha256:" + hashlib.sha256(data).hexdigest(),
        "dialect": dict(DIALECT),
        "schema": table_schema(table),
    }


def file_resource_descriptor(
    *,
    name: str,
    path: str,
    title: str,
    description: str,
    file_format: str,
    mediatype: str,
    size: int,
    sha256: str,
    **extra: Any,
) -> dict[str, Any]:
    """A non-tabular resource: frictionless checks its size and hash, nothing else."""
    return {
        "$schema": DATARESOURCE_PROFILE,
        "name": name,
        "type": "file",
        "path": path,
        "title": title,
        "description": description,
        "format": file_format,
        "mediatype": mediatype,
        "bytes": size,
        "hash": "sha256:" + sha256,
        **extra,
    }


def parquet_resource_descriptor(table: Table, data: bytes) -> dict[str, Any]:
    return file_resource_descriptor(
        name=f"{table.name}_parquet",
        path=table.parquet_file_name,
        title=f"{table.title} (Parquet)",
        description=(
            f"The rows of {table.file_name}, in the same order, as Parquet with column types: "
            f"resource {table.name!r} describes its columns."
        ),
        file_format="parquet",
        mediatype="application/vnd.apache.parquet",
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        **{"normsdata:same_rows_as": table.name},
    )


def attachment_resource_descriptor(entry: ReleaseFile, *, size: int, sha256: str) -> dict[str, Any]:
    return file_resource_descriptor(
        name=entry.file_name.replace(".", "_"),
        path=entry.file_name,
        title=entry.title,
        description=entry.description,
        file_format=entry.format,
        mediatype=entry.mediatype,
        size=size,
        sha256=sha256,
    )


def citation(descriptor: Mapping[str, Any]) -> str:
    """How to cite the release, from the descriptor's own creators, title, date, version and licence."""
    creators = [
        c["title"] for c in descriptor.get("contributors", []) if "creator" in c.get("roles", ["creator"])
    ]
    licences = ", ".join(lic.get("title") or lic["name"] for lic in descriptor.get("licenses", []))
    release_date = descriptor["normsdata:release_date"]
    parts = [
        f"{'; '.join(creators) or descriptor['name']} ({release_date[:4]}).",
        f"{descriptor['title']} [Data set].",
        f"Release {descriptor['normsdata:release_id']} of {release_date},"
        f" release layout {descriptor['normsdata:layout']}.",
    ]
    if descriptor.get("homepage"):
        parts.append(f"{descriptor['homepage']}.")
    if licences:
        parts.append(f"Licence: {licences}.")
    return " ".join(parts)


def build_datapackage(
    resources: Sequence[tuple[Table, bytes]],
    *,
    release_id: str,
    release_date: dt.date,
    synthetic: bool,
    content_hash: str,
    extra_metadata: Mapping[str, Any] | None = None,
    files: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """The descriptor, as a dict in the order it is written.

    `resources`: the CSV tables and their bytes; `files`: non-tabular resources after them
    (`parquet_resource_descriptor`, `attachment_resource_descriptor`).
    """
    title = (
        f"normsdata release {release_id}: crime prevention and criminal justice returns of UN member states"
    )
    description = (
        "Technical-assistance activities, prison statistics (with derived indicators such as SDG 16.3.2), "
        "assistance outcomes and the coverage of received files, from the annual returns of UN member "
        f"states (return form 2022.1), release layout {LAYOUT_VERSION}. "
        "CSV: UTF-8, comma, one header row, dates YYYY-MM-DD, missing values empty; a text starting "
        "with =, +, -, @, tab or CR is written with a leading ' so spreadsheets do not run it."
    )
    if synthetic:
        title = f"{title} ({SYNTHETIC_NOTE})"
        description = (
            f"{SYNTHETIC_NOTE}: this release is built from synthetic returns for demonstration; "
            f"it is not data reported by any member state. {description}"
        )
    descriptor: dict[str, Any] = {
        "$schema": DATAPACKAGE_PROFILE,
        "name": "normsdata",
        "title": title,
        "description": description,
        "version": LAYOUT_VERSION,
        "licenses": [dict(LICENSE)],
        "keywords": ["crime prevention", "criminal justice", "prisons", "SDG 16.3.2", "technical assistance"],
        "contributors": [{"title": "UN Member States (national focal points)", "roles": ["creator"]}],
        "sources": [{"title": "Annual returns of UN Member States, return form version 2022.1"}],
        "normsdata:release_id": release_id,
        "normsdata:release_date": release_date.isoformat(),
        "normsdata:synthetic": bool(synthetic),
        "normsdata:layout": LAYOUT_VERSION,
        "normsdata:content_hash": content_hash,
    }
    for key, value in (extra_metadata or {}).items():
        if key in PROTECTED:
            raise ValueError(f"extra_metadata may not set {key!r}: the publisher owns it")
        descriptor[key] = value
    descriptor["normsdata:citation"] = citation(descriptor)
    descriptor["resources"] = [resource_descriptor(table, data) for table, data in resources]
    descriptor["resources"] += [dict(entry) for entry in files]
    return descriptor


def datapackage_bytes(descriptor: Mapping[str, Any]) -> bytes:
    """Deterministic JSON: key order as built, 2-space indent, UTF-8, final newline."""
    return (json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
