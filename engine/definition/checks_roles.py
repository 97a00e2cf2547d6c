"""Who acts and who receives: the actors and recipients of the steps, and the relations.

``role_problems`` is one stage of the meaning checks (``engine.definition.checks`` calls it).
An actor or a recipient is ``owner`` (alias ``lead``: the point's lead unit), ``co`` (a
recipient only: each co-responsible unit of the point), ``inspector``, the id of a relation
(the body paired with the lead unit) or a body or group id. The checks:

- a relation's id is its own (no body, group or other relation has it, and it is none of the
  role names); its label is given; every key and value of its pairs is a body;
- every actor and recipient names something; one naming a relation (or ``inspector``, as a
  recipient) resolves for every unit that can lead a point (each proposer has a pair), else
  the message names the unit; a role or relation written where no point is at hand (a
  task, a group, a policy's cc) is refused with ``per_point_only``'s words;
- ``actor: co`` is refused: a step moves a point once, and the runtime records no share of
  a step per co-responsible unit (the lead files; ``recipients: [co]`` copies them).
"""

from __future__ import annotations

from engine.definition.index import ProgrammeIndex
from engine.definition.paths import PathT
from engine.definition.schema import CO, INSPECTOR, LEAD, OWNER, Programme
from engine.definition.yamlio import Marks
from engine.errors import Diagnostic

__all__ = ["ROLE_NAMES", "per_point_only", "role_problems"]

#: The names an actor or recipient may use beside body, group and relation ids.
ROLE_NAMES = (OWNER, LEAD, CO, INSPECTOR)


def per_point_only(index: ProgrammeIndex, name: str) -> str | None:
    """Why a role or relation cannot stand where no point is at hand (a task's responsible
    body, a group's member, a policy's cc), or None when ``name`` is neither."""
    if name not in ROLE_NAMES and name not in index.relations:
        return None
    item = index.programme.programme.item
    return (
        f"{name} 按每个{item}的牵头单位确定，只能写在{item}的事项（points.transitions）的 actor 或 "
        "recipients 中；此处请写 bodies 或 groups 中的单位或组"
    )


def role_problems(programme: Programme, marks: Marks, index: ProgrammeIndex) -> list[Diagnostic]:
    """Every problem of the relations and of the steps' actors and recipients."""
    check = _Roles(programme, marks, index)
    check.relations()
    check.steps()
    check.policies()
    return check.found


class _Roles:
    def __init__(self, programme: Programme, marks: Marks, index: ProgrammeIndex) -> None:
        self.p = programme
        self.marks = marks
        self.index = index
        self.found: list[Diagnostic] = []

    def error(self, path: PathT, message: str, *, key: bool = False) -> None:
        self.found.append(self.marks.diagnostic(path, message, key=key))

    def relations(self) -> None:
        seen: dict[str, int] = {}
        for i, relation in enumerate(self.p.relations):
            base: PathT = ("relations", i)
            if relation.id in ROLE_NAMES:
                self.error(
                    (*base, "id"),
                    f"关系 {relation.id} 与内置的角色名重名（{'、'.join(ROLE_NAMES)}），请换一个 id",
                )
            elif relation.id in self.index.bodies or relation.id in self.index.groups:
                self.error((*base, "id"), f"关系 {relation.id} 与一个单位或组同名，请换一个 id")
            elif relation.id in seen:
                line, _ = self.marks.at(("relations", seen[relation.id], "id"))
                self.error((*base, "id"), f"关系 {relation.id} 重复定义（第 {line} 行已定义）")
            else:
                seen[relation.id] = i
            for unit, paired in relation.pairs.items():
                where: PathT = (*base, "pairs", unit)
                if unit not in self.index.bodies:
                    self.error(
                        where,
                        f"关系 {relation.id} 的单位 {unit} 未定义（请在 bodies 中定义）",
                        key=True,
                    )
                if paired not in self.index.bodies:
                    self.error(
                        where,
                        f"关系 {relation.id} 中与 {unit} 对应的 {paired} 未定义"
                        "（请在 bodies 中定义，如一位分管领导）",
                    )
            if relation.source is not None and relation.source.document not in self.index.documents:
                self.error(
                    (*base, "source", "document"), f"未定义的出处文件 {relation.source.document}"
                )

    def steps(self) -> None:
        for i, t in enumerate(self.p.points.transitions):
            base: PathT = ("points", "transitions", i)
            if t.actor == CO:
                self.error(
                    (*base, "actor"),
                    f"{t.trigger} 的 actor 为 co（各责任单位）：一个事项只能由一方办理，"
                    "请由牵头单位（owner）报送，并在 recipients 中写 co，让责任单位收到提醒和催报的抄送",
                )
            elif t.actor not in (OWNER, INSPECTOR):
                self.name((*base, "actor"), t.actor, "actor")
            for j, r in enumerate(t.recipients):
                if r == INSPECTOR:
                    self.inspected((*base, "recipients", j))
                elif r not in ROLE_NAMES:
                    self.name((*base, "recipients", j), r, "报送对象")

    def policies(self) -> None:
        """A policy's ``leadership`` names a relation (whose pairs say each unit's leader)."""
        for i, policy in enumerate(self.p.reminder_policies):
            name = policy.leadership
            if name is None or name in self.index.relations:
                continue
            known = "、".join(self.index.relations) or "无"
            self.error(
                ("reminder_policies", i, "leadership"),
                f"末次催报抄送的 {name} 不是 relations 中的关系（已定义：{known}）：请写关系的 id，"
                "如 leader；不写则抄送单位的 leadership_email",
            )

    def inspected(self, path: PathT) -> None:
        """``recipients: [inspector]``: every proposer has an inspection group's lead."""
        for unit in self.index.proposers:
            if unit not in self.index.inspector_of:
                self.error(
                    path,
                    f"报送对象 inspector（检查组组长单位）对单位 {unit}（{self.index.body_label(unit)}）"
                    "找不到对应的单位：该单位不在任何检查组的检查范围内（inspection_groups 的 inspects）",
                )

    def name(self, path: PathT, name: str, what: str) -> None:
        """A body, group or relation id; a relation must pair every proposer."""
        relation = self.index.relations.get(name)
        if relation is None:
            if name not in self.index.bodies and name not in self.index.groups:
                known = "、".join(self.index.relations) or "无"
                self.error(
                    path,
                    f"未定义的单位或组 {name}：{what}应为 bodies、groups 中的单位或组，"
                    f"relations 中的关系（已定义：{known}），或 {'、'.join(ROLE_NAMES)}",
                )
            return
        for unit in self.index.proposers:
            if unit not in relation.pairs:
                self.error(
                    path,
                    f"{what} {name}（{relation.label}）对单位 {unit}（{self.index.body_label(unit)}）"
                    f"找不到对应的单位：请在 relations 的 {name} 的 pairs 中写 {unit}: <单位 id>",
                )
