"""Every rule a finding can carry, and how the code words it, gathered from where findings are made.

Suite rules are the `meta.rule`s of expectations/*.json. Rules of the receive and parse steps are
string literals in code, found by reading the code's syntax tree: calls of any exception class
whose `__init__(self, rule, message)` carries a rule (`NotAReturn`, `Refused`, ...), the rule and
message arguments of `note(...)` and `Finding(...)`, and tuples appended to a sheet's `notes` or
`set_aside`; a rule may also be a module-level constant (`NO_COVER = "no_cover"`) of any of those
sources.
A rule or a wording added there shows up here without anyone listing it.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXPECTATIONS = ROOT / "expectations"
STEP_SOURCES = ("pipelines/received", "pipelines/parsed", "pipelines/warehouse")
VALUE = "<value>"  # stands in a sample message where the code puts a value
# (rule position, message position) in the calls that make a finding
_NOTE = (2, 3)  # note(severity, action, rule, message, ...)
_FINDING = (4, 5)  # Finding(submission_id, stage, severity, action, rule, message, ...)
_RULE_CARRIER = (0, 1)  # SomeError(rule, message)


@dataclass(frozen=True)
class Wording:
    rule: str
    sample: str | None  # the message with each value replaced by VALUE; None: not written in place
    where: str


def suite_rules() -> set[str]:
    rules = set()
    for path in sorted(EXPECTATIONS.glob("*.json")):
        for expectation in json.loads(path.read_text(encoding="utf-8"))["expectations"]:
            rule = (expectation.get("meta") or {}).get("rule")
            if rule:
                rules.add(rule)
    return rules


def _sample(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(part.value if isinstance(part, ast.Constant) else VALUE for part in node.values)
    return None


def _name(func: ast.AST) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _rule_carriers(trees: list[ast.AST]) -> set[str]:
    """Classes constructed as `Class(rule, message)`: their __init__ takes (self, rule, message)."""
    carriers = set()
    for tree in trees:
        for node in ast.walk(tree):
            if not isinstance(node, ast.ClassDef):
                continue
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == "__init__":
                    names = [arg.arg for arg in item.args.args]
                    if names[1:3] == ["rule", "message"]:
                        carriers.add(node.name)
    return carriers


def _positional(args: list[ast.AST], positions: tuple[int, int]) -> tuple[ast.AST | None, ast.AST | None]:
    rule, message = positions
    return (args[rule] if len(args) > rule else None, args[message] if len(args) > message else None)


def _string_constants(trees: list[ast.AST]) -> dict[str, str]:
    """Module-level `NAME = "text"` of the sources: a rule named once and used by name."""
    constants = {}
    for tree in trees:
        for node in getattr(tree, "body", []):
            if (
                isinstance(node, ast.Assign)
                and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
                and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)
            ):
                constants[node.targets[0].id] = node.value.value
    return constants


def _wordings_in(tree: ast.AST, carriers: set[str], constants: dict[str, str], where: str) -> list[Wording]:
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name, args = _name(node.func), node.args
        rule = message = None
        if name in carriers:
            rule, message = _positional(args, _RULE_CARRIER)
        elif name == "note":
            rule, message = _positional(args, _NOTE)
        elif name == "Finding":
            rule, message = _positional(args, _FINDING)
            keywords = {k.arg: k.value for k in node.keywords}
            rule, message = keywords.get("rule", rule), keywords.get("message", message)
        elif (
            name == "append"
            and isinstance(node.func, ast.Attribute)
            and _name(node.func.value) in ("notes", "set_aside")
            and args
            and isinstance(args[0], ast.Tuple)
        ):
            rule, message = _positional(args[0].elts, _RULE_CARRIER)
        if isinstance(rule, ast.Name) and rule.id in constants:
            rule = ast.Constant(constants[rule.id])
        literal = _sample(rule) if rule is not None and not isinstance(rule, ast.JoinedStr) else None
        if literal:
            found.append(Wording(literal, _sample(message), f"{where}:{node.lineno}"))
    return found


def step_wordings() -> list[Wording]:
    files = [path for folder in STEP_SOURCES for path in sorted((ROOT / folder).rglob("*.py"))]
    trees = {path: ast.parse(path.read_text(encoding="utf-8"), str(path)) for path in files}
    carriers = _rule_carriers(list(trees.values()))
    constants = _string_constants(list(trees.values()))
    return [
        wording
        for path, tree in trees.items()
        for wording in _wordings_in(tree, carriers, constants, str(path.relative_to(ROOT)))
    ]


def step_rules() -> set[str]:
    return {wording.rule for wording in step_wordings()}
