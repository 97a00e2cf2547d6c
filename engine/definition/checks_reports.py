"""The meaning of the ``reports:`` rules (recurring reports).

One stage of the meaning checks (``engine.definition.checks`` calls it); every problem at
its place, in Chinese, saying what to do:

- ids are unique and differ from every task and step name (``submit --task`` names them);
- ``owed_by`` names ``owner`` or a body or group; ``recipients`` bodies or groups;
  ``reminders`` a reminder policy; ``while`` states of the life cycle, and only for
  ``owner`` (a named body owes independently of items);
- ``every`` is a recurring phrase; ``from`` and ``until`` name periods, ``from`` not after
  ``until``; the rule has at least one occurrence in the programme year, and its ``except``
  months do not leave none.
"""

from __future__ import annotations

from collections.abc import Callable

from engine.definition.deadlines import DeadlineResolver
from engine.definition.index import ProgrammeIndex
from engine.definition.paths import PathT
from engine.definition.reports import expand, recurrence_of, span_day
from engine.definition.schema import ANY_STATE, CO, OWNER, Programme, Report
from engine.definition.yamlio import Marks
from engine.errors import CalendarError, Diagnostic, PhraseError

__all__ = ["report_problems"]

_Error = Callable[[PathT, str], None]


def report_problems(
    programme: Programme, marks: Marks, index: ProgrammeIndex, resolver: DeadlineResolver
) -> list[Diagnostic]:
    """Every problem of the recurring report rules of ``programme``."""
    found: list[Diagnostic] = []

    def error(path: PathT, message: str) -> None:
        found.append(marks.diagnostic(path, message))

    names = set(index.tasks) | set(index.transitions) | set(index.point_tasks)
    seen: dict[str, int] = {}
    for i, report in enumerate(programme.reports):
        base: PathT = ("reports", i)
        if report.id in seen:
            line, _ = marks.at(("reports", seen[report.id], "id"))
            error((*base, "id"), f"周期性报送 {report.id} 重复定义（第 {line} 行已定义）")
        seen.setdefault(report.id, i)
        if report.id in names:
            error((*base, "id"), f"周期性报送 {report.id} 与事项同名，命令行无法区分，请改名")
        _references(report, base, index, error, programme.programme.item)
        _occurrences(report, base, programme.programme.year, resolver, error)
    return found


def _references(
    report: Report, base: PathT, index: ProgrammeIndex, error: _Error, item: str
) -> None:
    unknown = False
    for j, party in enumerate(report.owed_by):
        if party not in (OWNER, CO) and party not in index.bodies and party not in index.groups:
            unknown = True
            error(
                (*base, "owed_by", j),
                f"未定义的报送单位 {party}：请写 owner（各{item}的牵头单位）、co（责任单位），"
                "或 bodies、groups 中定义的 id",
            )
    for j, party in enumerate(report.recipients):
        if party not in index.bodies and party not in index.groups:
            error(
                (*base, "recipients", j),
                f"未定义的单位或组 {party}（请在 bodies 或 groups 中定义）",
            )
    if report.source is not None and report.source.document not in index.documents:
        known = "、".join(index.documents) or "（无）"
        error(
            (*base, "source", "document"),
            f"未定义的出处文件 {report.source.document}（已定义：{known}）",
        )
    if report.reminders is not None and report.reminders not in index.policies:
        known = "、".join(index.policies) or "（无）"
        error((*base, "reminders"), f"未定义的提醒规则 {report.reminders}（已定义：{known}）")
    if report.while_ and not {OWNER, CO} & set(report.owed_by) and not unknown:
        error(
            (*base, "while"),
            f"while 只用于 owner、co：固定单位的报送与{item}的状态无关，请删去 while 或改为 owner",
        )
    for j, state in enumerate(report.while_):
        if state != ANY_STATE and state not in index.states:
            known = "、".join(index.states)
            error((*base, "while", j), f"未定义的状态 {state}（已定义：{known}）")


def _occurrences(
    report: Report, base: PathT, year: int, resolver: DeadlineResolver, error: _Error
) -> None:
    calendar, conventions = resolver.calendar, resolver.conventions
    try:
        recurrence_of(report)
    except PhraseError as exc:
        error((*base, "every"), exc.message)
        return
    spans = {}
    for key, text in (("from", report.from_), ("until", report.until)):
        if text is None:
            continue
        try:
            spans[key] = span_day(text, year, calendar, conventions)
        except (PhraseError, CalendarError) as exc:
            error((*base, key), exc.message)
    if len(spans) < (report.from_ is not None) + (report.until is not None):
        return
    if "from" in spans and "until" in spans and spans["from"][0] > spans["until"][1]:
        error(
            (*base, "until"),
            f"最后一个报送期（{report.until}，至 {spans['until'][1]}）早于第一个"
            f"（{report.from_}，自 {spans['from'][0]}），请对调或改正",
        )
        return
    try:
        found = expand(report, year, calendar, conventions)
    except (PhraseError, CalendarError) as exc:
        error((*base, "every"), exc.message)
        return
    if found:
        return
    if report.except_:
        unexcepted = expand(report.model_copy(update={"except_": ()}), year, calendar, conventions)
        if unexcepted:
            error(
                (*base, "except"),
                f"except 除去了 {year} 年全部 {len(unexcepted)} 期，这项报送一期也不用报："
                "请减少 except 中的月份",
            )
            return
    error(
        (*base, "every"),
        f"「{report.every}」在 {year} 年的报送期间内一期也没有"
        + (f"（自 {report.from_}）" if report.from_ else "")
        + (f"（至 {report.until}）" if report.until else "")
        + "：请检查 from、until",
    )
