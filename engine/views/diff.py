"""What changed between two programme definitions, in words an auditor can read.

``diff_programmes(old, new)`` loads both definitions and compares them part by part: the
header (title, year, 发文字号, dates, addressees, documents, calendar settings), bodies,
groups, inspection groups and relations (each unit's paired body), phases, enrolment,
states, steps (point transitions and tasks: who, to whom, which document, the deadline
phrase as written and its date resolved each for its own year, amendments, reminder policy)
and reminder policies. The result is a
plain, JSON-able dict; ``render_diff_text`` and ``render_diff_html`` (escaped) present it.

Every change is one sentence such as::

    事项 submit-plan（报送突破点工作方案）：时限表述未变（5月10日前），日期 2011-05-10 → 2012-05-10
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.definition.deadlines import DeadlineResolver
from engine.definition.index import ProgrammeIndex, Step
from engine.definition.labels import BODY_KIND_LABELS as _KIND_LABELS
from engine.definition.labels import EXTENSION_LABELS as _EXTENSIONS
from engine.definition.labels import OUTCOME_LABELS as _OUTCOMES
from engine.definition.labels import TAKES_LABELS as _TAKES
from engine.definition.loader import Definition, load_definition
from engine.errors import DocflowError
from engine.views.diff_render import render_diff_html, render_diff_text
from engine.views.diffbase import (
    _LEVELS,
    DiffRecorder,
    _deadline_parts,
    _file_hash,
    _fmt,
    _names,
    _rows,
    _source,
)

__all__ = ["diff_definitions", "diff_programmes", "render_diff_html", "render_diff_text"]


class _Diff(DiffRecorder):
    """Compares two definitions section by section."""

    def header(self) -> None:
        a, b = self.a.programme, self.b.programme
        self.fields(
            "方案",
            a,
            b,
            [
                ("id", "标识"),
                ("title", "名称"),
                ("year", "年度"),
                ("item", "办理对象的名称"),
                ("doc_number", "发文字号"),
                ("issuer", "发文机关"),
                ("issued", "成文日期"),
                ("timezone", "时区"),
                ("date_style", "公文日期写法"),
                ("sender_email", "提醒邮件发件地址"),
            ],
        )
        for attr, name in (("addressees", "主送机关"), ("attachments", "附件")):
            before, after = getattr(a, attr), getattr(b, attr)
            if before != after:
                self.add("changed", name, f"{name}：{_fmt(before)} → {_fmt(after)}")
        self.keyed(
            "联系人",
            a.contacts,
            b.contacts,
            lambda c: c.name,
            lambda c, ix: f"{ix.body_label(c.body)}，电话 {c.phone}",
            lambda k, x, y: self.fields(
                f"联系人 {k}",
                x,
                y,
                [("body", "单位"), ("phone", "电话"), ("fax", "传真"), ("email", "电子邮箱")],
            ),
        )
        self.keyed(
            "文件",
            a.documents,
            b.documents,
            lambda d: d.id,
            lambda d, _ix: f"《{d.title}》{d.doc_number or ''}",
            lambda k, x, y: self.fields(
                f"文件 {k}（《{y.title}》）",
                x,
                y,
                [
                    ("title", "标题"),
                    ("doc_number", "发文字号"),
                    ("issuer", "发文机关"),
                    ("issued", "成文日期"),
                    ("text_file", "原文文件"),
                ],
            ),
        )
        self.text_files()
        unconfirmed_a = tuple(getattr(self.a, "unconfirmed", ()))
        unconfirmed_b = tuple(getattr(self.b, "unconfirmed", ()))
        if unconfirmed_a != unconfirmed_b:
            added = [p for p in unconfirmed_b if p not in unconfirmed_a]
            removed = [p for p in unconfirmed_a if p not in unconfirmed_b]
            parts = []
            if added:
                parts.append(f"增加 {'、'.join(added)}")
            if removed:
                parts.append(f"已核实（删去）{'、'.join(removed)}")
            self.add("changed", "待确认", "待确认项：" + "；".join(parts))

    def text_files(self) -> None:
        """Whether the source text of a document kept under the same id has changed."""
        old_docs = {d.id: d for d in self.a.programme.documents}
        for doc in self.b.programme.documents:
            before = old_docs.get(doc.id)
            if before is None or before.text_file is None or doc.text_file is None:
                continue
            old_hash = _file_hash(self.old.folder / before.text_file)
            new_hash = _file_hash(self.new.folder / doc.text_file)
            if old_hash and new_hash and old_hash != new_hash:
                self.add(
                    "changed",
                    f"文件 {doc.id}",
                    f"文件 {doc.id}（《{doc.title}》）的原文 {doc.text_file} 内容有变化",
                )

    def calendar(self) -> None:
        a, b = self.a.programme.calendar, self.b.programme.calendar
        self.fields(
            "日历设置",
            a,
            b,
            [
                ("month_start_last_day", "「月初」的最后一天"),
                ("month_end_first_day", "「月底」的第一天"),
                ("midyear", "「年中」按"),
                ("shift_to_working_day", "遇节假日顺延"),
            ],
        )
        before = [f"{h.key} {h.first}～{h.last}" for h in a.holidays]
        after = [f"{h.key} {h.first}～{h.last}" for h in b.holidays]
        if before != after:
            self.add("changed", "节假日", f"方案列出的节假日：{_fmt(before)} → {_fmt(after)}")
        if a.workdays != b.workdays:
            self.add(
                "changed", "调休上班日", f"调休上班日：{_fmt(a.workdays)} → {_fmt(b.workdays)}"
            )

    # -- bodies and groups -----------------------------------------------------------------

    def bodies(self) -> None:
        before = {x.id: x for x in self.a.bodies}
        after = {x.id: x for x in self.b.bodies}
        removed = [k for k in before if k not in after]
        added = [k for k in after if k not in before]
        # An id changed but the full name kept: one renamed body, not a removal and an addition.
        by_name = {after[k].name: k for k in added}
        for k in list(removed):
            twin = by_name.get(before[k].name)
            if twin is not None:
                removed.remove(k)
                added.remove(twin)
                self.add(
                    "changed",
                    f"单位 {twin}",
                    f"单位 {before[k].name} 的标识由 {k} 改为 {twin}",
                )
                self.body_fields(twin, before[k], after[twin])
        for k in removed:
            self.add("removed", f"单位 {k}", f"删除单位 {k}（{before[k].name}）")
        for k in added:
            kind = _KIND_LABELS.get(after[k].kind, after[k].kind)
            self.add("added", f"单位 {k}", f"新增单位 {k}（{after[k].name}，{kind}）")
        for k in before:
            if k in after and before[k] != after[k]:
                self.body_fields(k, before[k], after[k])

    def body_fields(self, k: str, x: Any, y: Any) -> None:
        subject = f"单位 {k}（{y.short}）"
        if (x.short, x.name) != (y.short, y.name):
            self.add(
                "changed",
                subject,
                f"{subject}更名：{x.short}（{x.name}）→ {y.short}（{y.name}）",
            )
        self.fields(
            subject,
            x,
            y,
            [("kind", "类别"), ("email", "电子邮箱"), ("leadership_email", "分管领导邮箱")],
            labels={"kind": _KIND_LABELS},
        )

    def groups(self) -> None:
        self.keyed(
            "单位组",
            self.a.groups,
            self.b.groups,
            lambda g: g.id,
            lambda g, ix: f"{g.label}：{_names(ix, g.members)}",
            lambda k, x, y: self.fields(
                f"单位组 {k}（{y.label}）",
                x,
                y,
                [("label", "名称"), ("members", "成员"), ("source", "出处")],
                ids=("members",),
            ),
        )
        wa, wb = self.a.working_group, self.b.working_group
        if wa != wb:
            if wa is None or wb is None:
                what = "新增" if wa is None else "删除"
                self.add("changed", "工作小组", f"{what}工作小组")
            else:
                self.fields(
                    "工作小组",
                    wa,
                    wb,
                    [
                        ("label", "名称"),
                        ("leader", "组长"),
                        ("deputies", "副组长"),
                        ("members", "成员"),
                        ("daily_work", "承担日常工作的单位"),
                    ],
                    ids=("members", "daily_work"),
                )
        self.keyed(
            "检查组",
            self.a.inspection_groups,
            self.b.inspection_groups,
            lambda g: g.id,
            lambda g, ix: f"{g.label}，组长单位 {ix.body_label(g.lead)}",
            lambda k, x, y: self.fields(
                f"检查组 {k}（{y.label}）",
                x,
                y,
                [
                    ("label", "名称"),
                    ("lead", "组长单位"),
                    ("inspects", "检查范围"),
                    ("members", "派员单位"),
                ],
                ids=("lead", "inspects", "members"),
            ),
        )

        self.keyed(
            "关系",
            self.a.relations,
            self.b.relations,
            lambda r: r.id,
            lambda r, ix: f"{r.label}，{len(r.pairs)} 个单位",
            self.relation_pairs,
        )

    def relation_pairs(self, k: str, x: Any, y: Any) -> None:
        """A relation's label and each unit whose paired body changed: 市住建局 王副市长 → 李副市长."""
        subject = f"关系 {k}（{y.label}）"
        parts = self.changed_fields(x, y, [("label", "名称"), ("source", "出处")])
        for unit in dict.fromkeys([*x.pairs, *y.pairs]):
            before, after = x.pairs.get(unit), y.pairs.get(unit)
            if before != after:
                name = (self.ib if unit in self.ib.bodies else self.ia).body_label(unit)
                was = self.ia.body_label(before) if before else "（无）"
                now = self.ib.body_label(after) if after else "（无）"
                parts.append(f"{name} {was} → {now}")
        if parts:
            self.add("changed", subject, f"{subject}：" + "；".join(parts))

    # -- phases, enrolment, states ---------------------------------------------------------

    def phases(self) -> None:
        resolver_a = DeadlineResolver(self.a.programme.calendar, self.a.programme.year)
        resolver_b = DeadlineResolver(self.b.programme.calendar, self.b.programme.year)

        def window(resolver: DeadlineResolver, phrase: str) -> str | None:
            try:
                w = resolver.window(phrase)
            except DocflowError:
                return None
            return f"{w.first.isoformat()}～{w.due.isoformat()}"

        before = {p.id: p for p in self.a.phases}
        for phase in self.b.phases:
            old = before.get(phase.id)
            if old is None:
                self.add(
                    "added",
                    f"阶段 {phase.id}",
                    f"新增阶段 {phase.id}（{phase.label}，{phase.window}）",
                )
                continue
            subject = f"阶段 {phase.id}（{phase.label}）"
            parts = []
            if old.label != phase.label:
                parts.append(f"名称 {old.label} → {phase.label}")
            dates_a, dates_b = window(resolver_a, old.window), window(resolver_b, phase.window)
            if old.window != phase.window:
                parts.append(f"时段表述 {old.window} → {phase.window}")
                if dates_a != dates_b:
                    parts.append(f"日期 {dates_a or '—'} → {dates_b or '—'}")
            elif dates_a != dates_b:
                parts.append(
                    f"时段表述未变（{phase.window}），日期 {dates_a or '—'} → {dates_b or '—'}"
                )
            if old.source != phase.source:
                parts.append(f"出处 {_source(old.source)} → {_source(phase.source)}")
            if parts:
                self.add("changed", subject, f"{subject}：" + "；".join(parts))
        after = {p.id for p in self.b.phases}
        for phase in self.a.phases:
            if phase.id not in after:
                self.add("removed", f"阶段 {phase.id}", f"删除阶段 {phase.id}（{phase.label}）")

    def enrolment(self) -> None:
        self.fields(
            f"{self.b.programme.item}登记",
            self.a.points.enrolment,
            self.b.points.enrolment,
            [
                ("proposers", "提出单位"),
                ("min_per_unit", "每个单位至少"),
                ("max_per_unit", "每个单位至多"),
                ("task", "对应事项"),
                ("source", "出处"),
            ],
            ids=("proposers",),
        )

    def states(self) -> None:
        def describe(s: Any, _ix: ProgrammeIndex) -> str:
            flags = "，初始状态" if s.initial else "，终止状态" if s.final else ""
            return f"{s.label}{flags}"

        self.keyed(
            "状态",
            self.a.points.states,
            self.b.points.states,
            lambda s: s.id,
            describe,
            lambda k, x, y: self.fields(
                f"状态 {k}（{y.label}）",
                x,
                y,
                [("label", "名称"), ("initial", "初始状态"), ("final", "终止状态")],
            ),
        )

    # -- steps -----------------------------------------------------------------------------

    def steps(self) -> None:
        rows_a = _rows(self.old)
        rows_b = _rows(self.new)
        before = {s.id: s for s in self.ia.steps()}
        after = {s.id: s for s in self.ib.steps()}
        for k, step in before.items():
            if k not in after:
                self.add("removed", f"事项 {k}", f"删除事项 {k}（{step.label}）")
        for k, step in after.items():
            if k not in before:
                due = rows_b.get(k)
                when = f"，时限 {due['phrase']}（{due['due']}）" if due else ""
                self.add("added", f"事项 {k}", f"新增事项 {k}（{step.label}{when}）")
        for k, old in before.items():
            new = after.get(k)
            if new is None:
                continue
            self.step(k, old, new, rows_a.get(k), rows_b.get(k))

    def step(
        self,
        k: str,
        old: Step,
        new: Step,
        row_a: dict[str, Any] | None,
        row_b: dict[str, Any] | None,
    ) -> None:
        subject = f"事项 {k}（{new.label}）"
        parts: list[str] = []
        if old.kind != new.kind:
            kinds = {"transition": f"{self.b.programme.item}事项", "task": "单位或全省事项"}
            parts.append(f"类型 {kinds[old.kind]} → {kinds[new.kind]}")
        elif old.transition is not None and new.transition is not None:
            parts += self.changed_fields(
                old.transition,
                new.transition,
                [
                    ("label", "名称"),
                    ("task", "命令行事项名"),
                    ("source", "起始状态"),
                    ("dest", "目标状态"),
                    ("actor", "办理单位"),
                    ("takes", "方式"),
                    ("outcome", "决定结果"),
                    ("document", "报送文件"),
                    ("recipients", "报送对象"),
                    ("extension", "延期"),
                    ("source_clause", "出处"),
                ],
                ids=("actor", "recipients"),
                labels={"takes": _TAKES, "outcome": _OUTCOMES, "extension": _EXTENSIONS},
            )
        elif old.task is not None and new.task is not None:
            parts += self.changed_fields(
                old.task,
                new.task,
                [
                    ("label", "名称"),
                    ("level", "层级"),
                    ("responsible", "负责单位"),
                    ("recipients", "报送对象"),
                    ("document", "形成文件"),
                    ("waits_for", "须等待"),
                    ("source_clause", "出处"),
                ],
                ids=("responsible", "recipients"),
                labels={"level": _LEVELS},
            )
        if old.phase != new.phase:
            parts.append(f"所属阶段 {_fmt(old.phase)} → {_fmt(new.phase)}")
        if old.phase_exception != new.phase_exception:
            parts.append(f"阶段例外说明 {_fmt(old.phase_exception)} → {_fmt(new.phase_exception)}")
        if old.reminders != new.reminders:
            parts.append(f"提醒规则 {_fmt(old.reminders)} → {_fmt(new.reminders)}")
        parts += _deadline_parts(old.deadline, new.deadline, row_a, row_b)
        if parts:
            self.add("changed", subject, f"{subject}：" + "；".join(parts))

    # -- reminder policies and the rest ----------------------------------------------------

    def policies(self) -> None:
        self.keyed(
            "提醒规则",
            self.a.reminder_policies,
            self.b.reminder_policies,
            lambda p: p.id,
            lambda p, _ix: p.label,
            lambda k, x, y: self.fields(
                f"提醒规则 {k}（{y.label}）",
                x,
                y,
                [
                    ("label", "名称"),
                    ("before", "到期前提醒（第几个工作日）"),
                    ("overdue_every", "催报间隔（工作日）"),
                    ("overdue_times", "最多催报次数"),
                    ("warn_days", "黄灯（到期前工作日数）"),
                    ("hour", "发送时刻（时）"),
                    ("cc", "催报抄送"),
                    ("copy_from_stage", "从第几次催报起抄送"),
                    ("leadership_at_last", "末次催报抄送分管领导"),
                    ("makeup_days", "补报期限（工作日）"),
                    ("notice_before", "提醒模板"),
                    ("notice_overdue", "催报模板"),
                ],
                ids=("cc",),
            ),
        )
        if self.a.notices != self.b.notices:
            self.add(
                "changed",
                "通知模板",
                f"通知模板：{_fmt(self.a.notices)} → {_fmt(self.b.notices)}",
            )


# --- entry points --------------------------------------------------------------------------


def diff_definitions(old: Definition, new: Definition) -> dict[str, Any]:
    """Compare two loaded definitions (see the module docstring)."""
    diff = _Diff(old, new)
    diff.section("header", "方案信息", diff.header)
    diff.section("calendar", "日历设置", diff.calendar)
    diff.section("bodies", "单位", diff.bodies)
    diff.section("groups", "单位组、工作小组、检查组和关系", diff.groups)
    diff.section("phases", "阶段", diff.phases)
    diff.section("enrolment", f"{new.programme.programme.item}登记", diff.enrolment)
    diff.section("states", "状态", diff.states)
    diff.section("steps", "事项和时限", diff.steps)
    diff.section("reminders", "提醒规则和通知模板", diff.policies)
    sections = [s for s in diff.sections if s["changes"]]
    count = sum(len(s["changes"]) for s in sections)

    def side(d: Definition) -> dict[str, Any]:
        h = d.programme.programme
        return {
            "file": str(d.file),
            "id": h.id,
            "title": h.title,
            "year": h.year,
            "doc_number": h.doc_number,
            "sha256": d.sha256,
        }

    return {
        "old": side(old),
        "new": side(new),
        "identical_files": old.sha256 == new.sha256,
        "changed": count > 0,
        "count": count,
        "sections": sections,
    }


def diff_programmes(old: str | Path, new: str | Path) -> dict[str, Any]:
    """Load two programmes (folders or YAML files) and compare them."""
    return diff_definitions(load_definition(old), load_definition(new))
