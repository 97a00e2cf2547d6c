"""The decisions of the simulated year, read from the definition, and where a year stalls.

Every state a decision leaves (other than withdrawal and the extension decisions) is a
decision step. Its default outcome is ``accept`` - when the definition has an accepting
decision there and no document is owed from that state - so that a programme with a review
anywhere plays through; the scenario names the points that get another outcome
(``screened_out``, ``decisions``, ``returns``). When a step is decided:

==============  ==========================================================================
``screen``      the decision leaving the initial state: on the screening day
``approve``     the decision leaving the state the screening accepts into, before any
                document is owed: on the approval day
``year-end``    an accepting decision into a final state (e.g. 办结): on 12-31
``next-day``    any other: on the first working day after the point reached the state
==============  ==========================================================================

A point the driver cannot move - no body may take its step, or nothing the driver may do
leaves its (non-final) state - is a stall: the year ends with a message naming the step,
the points and their units, and why (``stall_lines``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from engine.definition.index import ProgrammeIndex
from engine.definition.loader import Definition
from engine.definition.schema import ANY_STATE, INSPECTOR, OWNER, Transition
from engine.simulation.narration import month_day

__all__ = [
    "DecisionStep",
    "Stuck",
    "When",
    "decision_steps",
    "decision_text",
    "no_actor_reason",
    "one_decision_text",
    "stall_lines",
    "step_number",
]

When = Literal["screen", "approve", "year-end", "next-day"]

_OUTCOME_WORDS = {"accept": "同意", "reject": "不同意", "return": "退回"}


@dataclass(frozen=True)
class DecisionStep:
    """The decisions leaving ``state``, the default one and when the driver makes it."""

    state: str
    transitions: tuple[Transition, ...]
    default: Transition | None  # the accepting decision made unless the scenario says
    when: When

    def choice(self, task: str, outcome: str) -> Transition | None:
        """The decision of ``task`` with ``outcome`` leaving this state, if any."""
        return next(
            (t for t in self.transitions if t.task_id == task and t.outcome == outcome), None
        )


def _plain_decision(t: Transition, state: str) -> bool:
    return (
        t.takes == "decision"
        and t.extension is None
        and ANY_STATE not in t.source
        and state in t.source
    )


def decision_steps(definition: Definition) -> dict[str, DecisionStep]:
    """State -> its decision step, for every non-final state a decision leaves."""
    index = definition.index
    transitions = definition.programme.points.transitions
    initial = index.initial_state
    screening = next(
        (t for t in transitions if _plain_decision(t, initial) and t.outcome == "accept"), None
    )
    found: dict[str, DecisionStep] = {}
    for state in index.states:
        if state in index.final_states:
            continue
        leaving = tuple(t for t in transitions if _plain_decision(t, state))
        if not leaving:
            continue
        owes_document = any(
            t.takes == "document" and t.extension is None for t in index.transitions_from(state)
        )
        accept = next((t for t in leaving if t.outcome == "accept"), None)
        default = None if owes_document else accept
        when: When
        if state == initial:
            when = "screen"
        elif screening is not None and state == screening.dest and not owes_document:
            when = "approve"
        elif accept is not None and accept.dest in index.final_states:
            when = "year-end"
        else:
            when = "next-day"
        found[state] = DecisionStep(state, leaving, default, when)
    return found


def step_number(definition: Definition, task: str) -> int:
    """The place of a point task (``decide``/``submit --task``) in the life cycle, from 1,
    in the order the definition writes its transitions."""
    tasks = list(dict.fromkeys(t.task_id for t in definition.programme.points.transitions))
    return tasks.index(task) + 1 if task in tasks else 0


def decision_text(
    index: ProgrammeIndex,
    who: str,
    moved: Sequence[tuple[Transition, Sequence[str]]],
) -> str:
    """``省经济和信息化委 初步筛选：入选 50 个突破点，未入选 2 个（a、b）``: one line of a
    step's decisions on one day, the first outcome counted, the others with their points."""
    first, points = moved[0]
    head, _, paren = first.label.partition("（")
    paren = paren.rstrip("）")
    if head.startswith(who) and len(head) > len(who):
        head = head[len(who) :]  # 省政府审定 by 省政府: ``省政府 审定：同意…``
    item = index.programme.programme.item
    if paren:
        text = f"{who} {head}：{paren} {len(points)} 个{item}"
    else:
        text = f"{who} {first.label}（{len(points)} 个{item}）"
    for transition, others in moved[1:]:
        word = transition.label.partition("（")[2].rstrip("）") or _OUTCOME_WORDS.get(
            transition.outcome or "", transition.label
        )
        text += f"，{word} {len(others)} 个（{'、'.join(others)}）"
    return text


def one_decision_text(who: str, transition: Transition, point: str, reason: str) -> str:
    """``市政府督查室 审定实施方案：同意 dev-2（经会议研究同意）``: a decision the scenario dates."""
    head, _, paren = transition.label.partition("（")
    paren = paren.rstrip("）")
    if paren:
        return f"{who} {head}：{paren} {point}（{reason}）"
    return f"{who} {transition.label} {point}（{reason}）"


# --- stalls --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stuck:
    """Why the driver could not move a point: the step (None: none leaves the state)."""

    state: str
    step: Transition | None
    why: str
    what: str = "无人可办"  # what is wrong at the step, in the stall's words


def no_actor_reason(index: ProgrammeIndex, transition: Transition, unit: str) -> str:
    """Why no body may take ``transition`` for a point of ``unit``, in words."""
    if transition.actor == INSPECTOR:
        return f"{index.body_label(unit)}不在任何检查组负责检查的单位之中（inspection_groups 的 inspects）"
    relation = index.relations.get(transition.actor)
    if relation is not None:
        return (
            f"{index.body_label(unit)}在关系 {relation.id}（{relation.label}）中没有对应的单位"
            "（relations 的 pairs）"
        )
    if transition.actor == OWNER:  # pragma: no cover - a point always has its unit
        return f"{index.programme.programme.item}没有所属单位"
    return f"actor {transition.actor} 不是单位，也不是有成员的单位组"


def stall_lines(
    definition: Definition,
    stuck: Mapping[str, Stuck],
    units: Mapping[str, str],
    since: Mapping[str, date],
) -> list[str]:
    """One line per step (or state) and reason: the points stuck there and their units."""
    index = definition.index
    groups: dict[tuple[str, str | None, str, str], list[str]] = {}
    for point, s in stuck.items():
        key = (s.state, s.step.trigger if s.step else None, s.why, s.what)
        groups.setdefault(key, []).append(point)
    lines = []
    for (state, trigger, why, what), points in groups.items():
        names = "、".join(dict.fromkeys(index.body_label(units[p]) for p in points))
        first = min((since[p] for p in points if p in since), default=None)
        when = f"，自 {month_day(first)}起" if first else ""
        who = f"{index.programme.programme.item} {'、'.join(points)}（{names}）"
        if trigger is not None:
            step = index.transitions[trigger]
            number = step_number(definition, step.task_id)
            lines.append(f"第{number}步『{step.label}』{what}：{who}{when}：{why}")
        else:
            label = index.states[state].label if state in index.states else state
            lines.append(f"状态『{label}』之后无事可办：{who}{when}：{why}")
    return lines
