"""Pure checks of a taxonomy: the shape of the tree and of each playbook."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from murphy.core.errors import ValidationFailed
from murphy.taxonomy.schemas import Level, StepIn, TypeIn

LEVELS = (Level.CATEGORY, Level.TYPE, Level.SUBTYPE)


@dataclass(frozen=True)
class Node:
    """A type placed in the tree: its parent's code and its level."""

    spec: TypeIn
    parent: str | None
    level: Level


def flatten(categories: Iterable[TypeIn]) -> list[Node]:
    """The tree as a list, parents before children; too deep a tree is refused."""
    out: list[Node] = []

    def walk(spec: TypeIn, parent: str | None, depth: int) -> None:
        if depth >= len(LEVELS):
            raise ValidationFailed(
                f"type {spec.code!r} is nested too deep: category → type → subtype at most"
            )
        out.append(Node(spec, parent, LEVELS[depth]))
        for child in spec.children:
            walk(child, spec.code, depth + 1)

    for category in categories:
        walk(category, None, 0)
    check_unique(n.spec.code for n in out)
    for node in out:
        check_playbook(node.spec.code, node.spec.playbook)
    return out


def check_unique(codes: Iterable[str]) -> None:
    """Every code appears once."""
    seen: set[str] = set()
    for code in codes:
        if code in seen:
            raise ValidationFailed(f"duplicate type code {code!r}: each code must be unique")
        seen.add(code)


def order_flat(parents: dict[str, str | None]) -> list[str]:
    """Codes of a flat list (code → parent code) ordered parents first.

    A parent that is not in the list, or a cycle, is a clear error naming the codes.
    """
    for code, parent in parents.items():
        if parent is not None and parent not in parents:
            raise ValidationFailed(f"type {code!r} names an unknown parent {parent!r}")
    ordered: list[str] = []
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def visit(code: str, path: list[str]) -> None:
        if state.get(code) == 2:
            return
        if state.get(code) == 1:
            loop = " → ".join([*path[path.index(code) :], code])
            raise ValidationFailed(f"the types form a cycle: {loop}")
        state[code] = 1
        parent = parents[code]
        if parent is not None:
            visit(parent, [*path, code])
        state[code] = 2
        ordered.append(code)

    for code in parents:
        visit(code, [])
    return ordered


def depth(code: str, parents: dict[str, str | None]) -> int:
    """How many ancestors a code has in a flat list (already checked for cycles)."""
    n = 0
    parent = parents[code]
    while parent is not None:
        n += 1
        parent = parents[parent]
    return n


def check_playbook(code: str, steps: list[StepIn]) -> None:
    """Step keys are unique; a branch refers to an earlier yes/no question."""
    questions: set[str] = set()
    keys: set[str] = set()
    for step in steps:
        if step.key in keys:
            raise ValidationFailed(f"playbook of {code!r}: step {step.key!r} appears twice")
        keys.add(step.key)
        if step.when is not None and step.when.step not in questions:
            raise ValidationFailed(
                f"playbook of {code!r}: step {step.key!r} depends on {step.when.step!r}, "
                "which must be an earlier step with a question"
            )
        if step.question:
            questions.add(step.key)


def walk_steps(steps: list[StepIn], answers: dict[str, bool]) -> Iterator[StepIn]:
    """The steps that apply given the answers so far (branches not yet answered wait)."""
    for step in steps:
        if step.when is None or answers.get(step.when.step) is step.when.answer:
            yield step
