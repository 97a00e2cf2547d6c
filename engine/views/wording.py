"""How the parts of a programme read in Chinese: actors, recipients, sources, policies.

Shared by the HTML report and its state diagram. Pure functions over a loaded definition;
they return plain text (escaping is the caller's business: Jinja's autoescape for HTML,
``engine.views.diagram`` for DOT).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from engine.definition.index import ProgrammeIndex
from engine.definition.labels import OUTCOME_LABELS
from engine.definition.schema import (
    CO,
    INSPECTOR,
    LEAD,
    OWNER,
    ReminderPolicy,
    SourceRef,
    Transition,
)
from engine.definition.workcal import weekday_name
from engine.delivery.gongwen import format_month_day

__all__ = [
    "OUTCOME_LABELS",
    "actor_label",
    "ids_label",
    "month_day",
    "policy_in_words",
    "source_document_label",
    "transition_how",
    "weekday",
]


weekday = weekday_name  # 星期一 .. 星期日


def month_day(d: date) -> str:
    """5月10日 (Arabic numerals, as dates inside a 公文 body are written)."""
    return format_month_day(d, "arabic")


def _name(index: ProgrammeIndex, ident: str) -> str:
    """A body's short name or a group's label; the id itself when it names neither."""
    if ident in index.bodies:
        return index.bodies[ident].short
    if ident in index.groups:
        return index.groups[ident].label
    if ident in index.relations:
        return f"牵头单位的{index.relations[ident].label}"
    return _ROLE_NAMES.get(ident, ident)


#: Role names a step's recipients may use, as a notice lists them.
_ROLE_NAMES = {OWNER: "牵头单位", LEAD: "牵头单位", CO: "各责任单位", INSPECTOR: "检查组组长单位"}


def ids_label(index: ProgrammeIndex, ids: Iterable[str]) -> str:
    """Bodies and groups as the notice would list them: 省经济和信息化委、省科技厅."""
    names = [_name(index, i) for i in ids]
    return "、".join(names) if names else "—"


def actor_label(index: ProgrammeIndex, actor: str) -> str:
    """Who fires a transition: the point's own unit, the inspecting lead body, or a body."""
    if actor == OWNER:
        return f"{index.programme.programme.item}所属单位"
    if actor == INSPECTOR:
        return "检查组组长单位"
    return _name(index, actor)


def transition_how(t: Transition) -> str:
    """报送文件 / 作出决定（同意） and the like."""
    if t.extension == "request":
        return "报送延期申请"
    if t.extension == "grant":
        return "作出决定：批准延期"
    if t.extension == "refuse":
        return "作出决定：不批准延期"
    if t.takes == "document":
        return "报送文件"
    return f"作出决定：{OUTCOME_LABELS.get(t.outcome or '', '')}".rstrip("：")


def source_document_label(index: ProgrammeIndex, source: SourceRef) -> str:
    """《title》（发文字号） of the document a source cites."""
    doc = index.programme.programme.documents
    found = next((d for d in doc if d.id == source.document), None)
    if found is None:
        return source.document
    number = f"（{found.doc_number}）" if found.doc_number else ""
    return f"《{found.title}》{number}"


def _ordinal_days(days: Iterable[int]) -> str:
    parts = []
    for n in sorted(set(days), reverse=True):
        parts.append("到期当天" if n == 0 else f"到期前第{n}个工作日")
    return "、".join(parts)


def policy_in_words(index: ProgrammeIndex, policy: ReminderPolicy) -> str:
    """A reminder policy as one paragraph an administrator can check against the notice."""
    sentences = []
    if policy.before:
        sentences.append(f"{_ordinal_days(policy.before)}{policy.hour}时发出临近提醒")
    else:
        sentences.append("到期前不提醒")
    if policy.overdue_times:
        urge = f"逾期后每{policy.overdue_every}个工作日催报一次，最多{policy.overdue_times}次"
        extras = []
        if policy.cc:
            extras.append(f"第{policy.copy_from_stage}次催报起抄送{ids_label(index, policy.cc)}")
        if policy.leadership_at_last:
            extras.append("末次催报抄送单位分管领导")
        extras.append(f"补报期限为催报后{policy.makeup_days}个工作日")
        sentences.append("，".join([urge, *extras]))
    else:
        sentences.append("逾期后不催报")
    sentences.append(f"到期前{policy.warn_days}个工作日内亮黄灯")
    return f"{policy.label}：" + "；".join(sentences) + "。"
