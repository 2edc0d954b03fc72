"""The dialogue's pieces agree: what the actions set, say and name exists in the domain, and
every flow step has its rules and its question.

A designer who renames a response or a step in domain.yml, or a developer who adds a step in
an action, learns here that the other half is missing, not from a patient stuck mid-flow.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from actions.common import STEP_QUESTIONS

ROOT = Path(__file__).resolve().parents[2]
ACTION_FILES = sorted((ROOT / "actions").glob("*.py"))
PAYLOAD = re.compile(r"^/([a-z_]+)(?:\{.*\})?$")
# Rasa's own intents, which no domain lists.
BUILTIN_INTENTS = {"nlu_fallback", "session_start", "restart", "back", "out_of_scope"}


def _yaml(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


@pytest.fixture(scope="module")
def domain() -> dict[str, Any]:
    return _yaml(ROOT / "domain.yml")


def _trees() -> Iterator[tuple[Path, ast.AST]]:
    for path in ACTION_FILES:
        yield path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _str(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def steps_set_by_actions() -> dict[str, str]:
    """Every `flow_step` value an action sets: set_step("x") or SlotSet("flow_step", "x")."""
    found: dict[str, str] = {}
    for path, tree in _trees():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func.id if isinstance(node.func, ast.Name) else getattr(
                node.func, "attr", "")
            value = None
            if func == "set_step" and node.args:
                value = _str(node.args[0])
            elif func == "SlotSet" and len(node.args) >= 2 and _str(node.args[0]) == "flow_step":
                value = _str(node.args[1])
            if value is not None:
                found[value] = f"{path.name}:{node.lineno}"
    return found


def responses_uttered_by_actions() -> dict[str, str]:
    found: dict[str, str] = {}
    for path, tree in _trees():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                for keyword in node.keywords:
                    if keyword.arg == "response" and (name := _str(keyword.value)):
                        found[name] = f"{path.name}:{node.lineno}"
            # Module constants such as CHECK_RESPONSE = "utter_safety_check".
            if isinstance(node, ast.Assign) and (name := _str(node.value)) and \
                    name.startswith("utter_"):
                found.setdefault(name, f"{path.name}:{node.lineno}")
    return found


def intents_named_by_actions() -> dict[str, str]:
    """Button payloads ("/affirm"), and strings compared with or listed as intents."""
    found: dict[str, str] = {}
    for path, tree in _trees():
        for node in ast.walk(tree):
            if isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    if _str(key) == "payload" and (text := _str(value)) and (
                            match := PAYLOAD.match(text)):
                        found[match.group(1)] = f"{path.name}:{node.lineno}"
            if isinstance(node, ast.Compare) and "intent" in ast.unparse(node.left).lower():
                for comparator in node.comparators:
                    for leaf in ast.walk(comparator):
                        if name := _str(leaf):
                            found[name] = f"{path.name}:{node.lineno}"
            if isinstance(node, ast.Assign) and any(
                    isinstance(t, ast.Name) and ("INTENT" in t.id or t.id == "NEVER_A_TIME")
                    for t in node.targets):
                for leaf in ast.walk(node.value):
                    if name := _str(leaf):
                        found[name] = f"{path.name}:{node.lineno}"
    return found


def steps_in_rules() -> set[str]:
    steps: set[str] = set()
    for path in (ROOT / "data" / "rules").glob("*.yml"):
        for rule in _yaml(path).get("rules") or []:
            for part in (rule.get("condition") or []) + (rule.get("steps") or []):
                for slot in part.get("slot_was_set") or [] if isinstance(part, dict) else []:
                    if isinstance(slot, dict) and slot.get("flow_step"):
                        steps.add(str(slot["flow_step"]))
    return steps


def test_the_scan_finds_what_it_looks_for() -> None:
    """A scan that found nothing would pass every check below."""
    assert {"reschedule_pick", "refill_confirm", "plan_pick"} <= set(steps_set_by_actions())
    assert {"utter_emergency", "utter_safety_check"} <= set(responses_uttered_by_actions())
    assert {"affirm", "deny", "human_handoff", "emergency"} <= set(intents_named_by_actions())


def test_every_step_an_action_sets_is_a_domain_value(domain: dict[str, Any]) -> None:
    values = set(domain["slots"]["flow_step"]["values"])
    missing = {s: at for s, at in steps_set_by_actions().items() if s not in values}
    assert not missing, f"flow_step values set by actions but not in domain.yml: {missing}"


def test_every_domain_step_is_set_by_an_action(domain: dict[str, Any]) -> None:
    unused = set(domain["slots"]["flow_step"]["values"]) - set(steps_set_by_actions())
    assert not unused, f"flow_step values no action sets: {sorted(unused)}"


def test_every_step_has_rules_and_a_question(domain: dict[str, Any]) -> None:
    ruled = steps_in_rules()
    for step, at in steps_set_by_actions().items():
        assert step in ruled, f"{step} (set at {at}) has no rule keyed on it in data/rules"
        questions = STEP_QUESTIONS.get(step)
        assert questions, f"{step} (set at {at}) has no question in STEP_QUESTIONS"
        for response in questions:
            assert response in domain["responses"], f"{step}: {response} not in domain.yml"


def test_every_response_an_action_utters_exists(domain: dict[str, Any]) -> None:
    missing = {r: at for r, at in responses_uttered_by_actions().items()
               if r not in domain["responses"]}
    assert not missing, f"responses uttered by actions but not in domain.yml: {missing}"


def test_every_intent_an_action_names_exists(domain: dict[str, Any]) -> None:
    intents = set(domain["intents"]) | BUILTIN_INTENTS
    missing = {i: at for i, at in intents_named_by_actions().items() if i not in intents}
    assert not missing, f"intents named by actions but not in domain.yml: {missing}"


def test_every_custom_action_is_declared(domain: dict[str, Any]) -> None:
    declared = set(domain["actions"]) | set(domain.get("forms") or {})
    named: dict[str, str] = {}
    for path, tree in _trees():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name == "name":
                for leaf in ast.walk(node):
                    if isinstance(leaf, ast.Return) and (name := _str(leaf.value)):
                        named[name] = path.name
    assert named, "no action names found"
    missing = {n: at for n, at in named.items() if n not in declared}
    assert not missing, f"actions not declared in domain.yml: {missing}"
