"""feedback.md: the status, the counts and every message of one submission, in the form's language.

Written for every submission, also for files that could not be opened. Everything taken from
the file (names, values) is escaped, so a value cannot turn into a link, an image or HTML.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pipelines.feedback.messages import label, status_text
from pipelines.feedback.sources import Submission
from pipelines.feedback.workbook import Marked

MARKDOWN_FILE = "feedback.md"
_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&])")
_BACKTICKS = re.compile(r"`+")


def text(value: str) -> str:
    """Plain text inside Markdown (a table cell included): one line, no markup."""
    return _SPECIAL.sub(r"\\\1", " ".join(value.split()))


def code(value: str) -> str:
    """A code span that holds any text, backticks and table pipes included."""
    value = " ".join(value.split()).replace("|", "\\|")
    if not value:
        return ""
    fence = "`" * (max((len(run) for run in _BACKTICKS.findall(value)), default=0) + 1)
    pad = " " if value.startswith("`") or value.endswith("`") else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def render_markdown(
    submission: Submission, marked: Sequence[Marked], language: str, workbook_note: str
) -> str:
    """`workbook_note`: one sentence on feedback.xlsx (made, or why not), in `language`."""
    lines = [
        f"# {text(label('title', language))} {text(submission.file_name)}",  # the label has its colon
        "",
        f"| {text(label('file', language))} | {text(submission.file_name)} |",
        "|---|---|",
        f"| {text(label('submission_id', language))} | {code(submission.submission_id)} |",
        f"| {text(label('status', language))} | **{submission.status}**: "
        f"{text(status_text(submission.status, language))} |",
        f"| {text(label('errors', language))} | {submission.errors} |",
        f"| {text(label('warnings', language))} | {submission.warnings} |",
        "",
    ]
    if submission.duplicate_of:
        original = submission.duplicate_of
        lines += [
            f"{text(label('same_file_as', language))} [{code(original)}](../{original}/{MARKDOWN_FILE}).",
            "",
        ]
    if submission.superseded_by:
        newer = submission.superseded_by
        lines += [
            f"{text(label('superseded_by', language))} [{code(newer)}](../{newer}/{MARKDOWN_FILE}).",
            "",
        ]
    lines += [text(workbook_note), "", f"## {text(label('messages', language))}", ""]
    if not marked:
        lines += [text(label("no_messages", language)), ""]
        return "\n".join(lines)
    columns = ("severity", "sheet", "cell", "rule", "message", "value_found")
    lines.append("| # | " + " | ".join(text(label(c, language)) for c in columns) + " |")
    lines.append("|---" * (len(columns) + 1) + "|")
    advice: dict[str, list[int]] = {}
    for number, item in enumerate(marked, start=1):
        finding, explained = item.finding, item.explanation
        cells = (
            text(explained.severity),
            text(finding.sheet or ""),
            text(finding.cell_ref or ""),
            code(finding.rule),
            text(explained.message),
            code(finding.value_found or ""),
        )
        lines.append(f"| {number} | " + " | ".join(cells) + " |")
        if explained.advice:
            advice.setdefault(explained.advice, []).append(number)
    lines += ["", f"## {text(label('what_to_do', language))}", ""]
    for sentence, numbers in advice.items():
        lines.append(f"- ({', '.join(map(str, numbers))}) {text(sentence)}")
    lines.append("")
    return "\n".join(lines)
