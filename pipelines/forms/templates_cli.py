"""Write the blank return forms of a reporting year: `make templates YEAR=2023`.

    python -m pipelines.forms.templates_cli --year 2023 --out DIR [--languages EN FR] [--states [ISO3 ...]]

writes DIR/return-form-<YEAR>-<LANG>.xlsx for each language (default: the form's four), and with
`--states` also one form per member State with its Cover prefilled, DIR/states/<ISO3>_<YEAR>_<LANG>.xlsx
(every member State when no code follows `--states`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipelines.forms.template import write_template
from pipelines.reference import countries, form

STATES_FOLDER = "states"


def write_forms(
    year: int, out_dir: Path, languages: tuple[str, ...] | None = None, states: tuple[str, ...] = ()
) -> list[Path]:
    """Write the blank forms (and the per-State forms of `states`) and return their paths."""
    languages = languages or form.languages()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = [write_template(year, language, out_dir) for language in languages]
    if states:
        state_dir = out_dir / STATES_FOLDER
        state_dir.mkdir(exist_ok=True)
        written += [write_template(year, lang, state_dir, iso3) for iso3 in states for lang in languages]
    return written


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pipelines.forms.templates_cli",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--year", type=int, required=True, help="the reporting year, e.g. 2023")
    parser.add_argument("--out", type=Path, required=True, help="folder to write the forms into")
    parser.add_argument(
        "--languages", nargs="+", choices=form.languages(), help="languages to write (default: all four)"
    )
    parser.add_argument(
        "--states",
        nargs="*",
        metavar="ISO3",
        help="also write one form per member State with the Cover prefilled (all States if none named)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    states: tuple[str, ...] = ()
    if args.states is not None:
        members = countries.member_states()
        states = tuple(code.upper() for code in args.states) or members
        unknown = [code for code in states if code not in members]
        if unknown:
            print(f"not UN member States (ISO3 codes expected): {', '.join(unknown)}", file=sys.stderr)
            return 2
    paths = write_forms(args.year, args.out, tuple(args.languages or ()) or None, states)
    for path in paths[:8]:
        print(path)
    if len(paths) > 8:
        print(f"... {len(paths)} forms in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
