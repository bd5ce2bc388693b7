"""The data validations of a blank form: what Excel and LibreOffice check while a focal point types.

Each rule mirrors a rule the pipeline applies later (shared/spec/return-form.md), so a value the
form lets through without a warning is a value the pipeline accepts:

- coded columns: a dropdown of the labels in the form's language, refusing anything else;
- multi-code columns (Standards applied): the same dropdown, but a warning instead of a refusal, so
  that several labels typed with `;` between them can be kept (an Excel list holds one choice);
- counts: whole numbers >= 0, `of which women` <= the total; outcome values: any number;
- dates: real dates, bounded by the reporting year where the spec bounds them;
- Activity IDs: unique in their column; related activity IDs: from the Activities sheet (warning);
- Prisons cells: a number >= 0 or one of form.json's marks, optionally qualified (`1200 (e)`).

Formulas are written in the file's (English, comma-separated) syntax; a relative reference in them
(`H2`) is relative to the first cell of the range the rule covers, as in Excel's own files.
Excel refuses to open a file whose validation texts or formulas exceed its limits without a repair,
so `_checked` enforces them.
"""

from __future__ import annotations

from openpyxl.worksheet.datavalidation import DataValidation

from pipelines.forms.instructions import messages
from pipelines.forms.template_lists import defined_name
from pipelines.reference import form

# Excel's limits for a data validation (beyond them it "repairs" the file by dropping the rule).
TITLE_MAX = 32
TEXT_MAX = 255
FORMULA_MAX = 255


def _string(text: str) -> str:
    """A string literal in an Excel formula."""
    return '"' + text.replace('"', '""') + '"'


def _checked(validation: DataValidation) -> DataValidation:
    limits = {"promptTitle": TITLE_MAX, "errorTitle": TITLE_MAX, "prompt": TEXT_MAX, "error": TEXT_MAX}
    limits |= {"formula1": FORMULA_MAX, "formula2": FORMULA_MAX}
    for name, limit in limits.items():
        value = getattr(validation, name)
        if value is not None and len(value) > limit:
            raise ValueError(f"data validation {name} longer than Excel's {limit} characters: {value!r}")
    return validation


class Rules:
    """Builds the validations of one form (language, reporting year); `title` is the column's header."""

    def __init__(self, language: str, year: int) -> None:
        self.text = messages(language, year)
        self.year = year

    def _rule(self, title: str, prompt: str, error: str | None = None, *, warn: bool = False, **kwargs):
        validation = DataValidation(
            allow_blank=True,
            showInputMessage=True,
            promptTitle=title[:TITLE_MAX],
            prompt=self.text[prompt],
            showErrorMessage=error is not None,
            **kwargs,
        )
        if error is not None:
            validation.errorStyle = "warning" if warn else "stop"
            validation.errorTitle = self.text["check" if warn else "invalid"][:TITLE_MAX]
            validation.error = self.text[error]
        return _checked(validation)

    # ---- lists ------------------------------------------------------------------------------
    def dropdown(self, title: str, list_name: str) -> DataValidation:
        return self._rule(title, "choose", "choose_error", type="list", formula1=defined_name(list_name))

    def dropdown_many(self, title: str, list_name: str) -> DataValidation:
        """One label from the list, or several typed with `;` between them (kept after a warning)."""
        return self._rule(
            title,
            "choose_many",
            "choose_many_error",
            warn=True,
            type="list",
            formula1=defined_name(list_name),
        )

    def related_activity(self, title: str, ids_range: str) -> DataValidation:
        """The Activity IDs typed in the Activities sheet; another ID is kept after a warning (the
        activity may be added later)."""
        return self._rule(title, "related_id", "related_id_error", warn=True, type="list", formula1=ids_range)

    # ---- numbers ----------------------------------------------------------------------------
    def whole(self, title: str) -> DataValidation:
        return self._rule(
            title, "whole", "whole_error", type="whole", operator="greaterThanOrEqual", formula1="0"
        )

    def whole_not_above(self, title: str, total_cell: str) -> DataValidation:
        """A whole number from 0 to the total in `total_cell` (any size when the total is empty)."""
        return self._rule(
            title,
            "not_above_total",
            "not_above_total_error",
            type="whole",
            operator="between",
            formula1="0",
            formula2=f"IF(ISNUMBER({total_cell}),{total_cell},1E+15)",
        )

    def number(self, title: str) -> DataValidation:
        """Any number: an outcome value may be negative (a percentage that fell); Excel's `decimal`
        rule needs bounds, so these are its own."""
        return self._rule(
            title,
            "number",
            "number_error",
            type="decimal",
            operator="between",
            formula1="-1E+307",
            formula2="1E+307",
        )

    # ---- dates ------------------------------------------------------------------------------
    def _year_day(self, month: int, day: int) -> str:
        return f"DATE({self.year},{month},{day})"

    def start_date(self, title: str) -> DataValidation:
        """Not after the reporting year: the activity must overlap it."""
        return self._rule(
            title,
            "start_date",
            "start_date_error",
            type="date",
            operator="lessThanOrEqual",
            formula1=self._year_day(12, 31),
        )

    def end_date(self, title: str, start_cell: str) -> DataValidation:
        """Not before the start date, nor before the reporting year (an empty start counts as 0)."""
        return self._rule(
            title,
            "end_date",
            "end_date_error",
            type="date",
            operator="greaterThanOrEqual",
            formula1=f"MAX({start_cell},{self._year_day(1, 1)})",
        )

    def submission_date(self, title: str) -> DataValidation:
        return self._rule(
            title,
            "submission_date",
            "submission_date_error",
            type="date",
            operator="between",
            formula1=self._year_day(1, 1),
            formula2="TODAY()",
        )

    # ---- text -------------------------------------------------------------------------------
    def email(self, title: str, cell: str) -> DataValidation:
        return self._rule(
            title, "email", "email_error", type="custom", formula1=f'ISNUMBER(SEARCH("?@?",{cell}))'
        )

    def unique_in_column(self, title: str, column_range: str, cell: str) -> DataValidation:
        return self._rule(
            title, "unique_id", "unique_id_error", type="custom", formula1=f"COUNTIF({column_range},{cell})=1"
        )

    def note(self, title: str, prompt: str) -> DataValidation:
        """A prompt only: any value is accepted."""
        return self._rule(title, prompt)

    # ---- Prisons ----------------------------------------------------------------------------
    def prison_cell(self, title: str, cell: str) -> DataValidation:
        """A number >= 0, a mark (`..`, `n.a.`), or a number followed by a qualifier (`1200 (e)`)."""
        prisons = form.prisons_vocabulary()
        marks = [f"{cell}={_string(mark)}" for mark in prisons["marks"]]
        suffixes = {len(q) + 1 for q in prisons["qualifiers"]}
        if len(suffixes) != 1:
            raise ValueError("the Prisons qualifiers must have one length for the form's cell rule")
        n = suffixes.pop()
        qualified = ",".join(f"RIGHT({cell},{n})={_string(' ' + q)}" for q in prisons["qualifiers"])
        formula = (
            f"OR(AND(ISNUMBER({cell}),{cell}>=0),{','.join(marks)},"
            f"AND(OR({qualified}),ISNUMBER(-LEFT({cell},LEN({cell})-{n}))))"
        )
        return self._rule(title, "prison_cell", "prison_cell_error", type="custom", formula1=formula)
