"""What the command line adds to an error: the flag or command to use, and "did you mean".

Domain messages (``engine.errors``, ``engine.refusals``) say what was refused and name no
command-line flags; ``hint(error)`` says what to type instead, and ``explain(error)`` is
the one line the CLI prints. Pure functions over the errors' attributes: no click, no I/O.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping

from engine.errors import (
    ITEM,
    DefinitionChanged,
    DocflowError,
    OutsideTheTrail,
    StoreMissing,
    StoreNotWritable,
)
from engine.refusals import (
    ActorNotGiven,
    InputNotAllowed,
    LaterEvents,
    MissingInput,
    NoSuchOutcome,
    NotRegistered,
    OutOfSeason,
    UnknownTask,
    UnknownUnit,
    WrongCommand,
)

__all__ = ["did_you_mean", "explain", "hint"]

_FLAG_FOR = {
    "reason": "请用 --reason 说明理由",
    "points": f"请用 --point 指明{ITEM}",
    "file": "请用 --file 给出报送的文件",
    "title": f"请用 --title 给出{ITEM}名称",
    "until": "请用 --until YYYY-MM-DD 给出新的期限",
    "out": "请用 --out 指定输出文件",
    "decision_reason": "请用 --decision-reason 给出更正后的决定理由",
    "kind": "请给出 --withdraw、--file 或 --decision-reason 之一",
}

_COMMAND_FOR = {
    "decide": "请用 docflow decide 作出决定",
    "submit": "请用 docflow submit 报送文件",
    "enrol": f"请使用 docflow enrol 登记{ITEM}",
}


def did_you_mean(word: str, names: Mapping[str, Iterable[str]], limit: int = 3) -> list[str]:
    """Ids whose id, short name or full name is close to ``word``, best first.

    A name that contains the word, or that the word contains (广州 in 广州市, 广州市 in
    广州市人民政府), counts as close; otherwise ``difflib``'s similarity decides.
    """
    typed = word.strip().casefold()
    if not typed:
        return []
    found: dict[str, float] = {}
    for ident, others in names.items():
        best = 0.0
        for name in (ident, *others):
            known = name.casefold()
            if typed in known or known in typed:
                score = 1.0 + min(len(typed), len(known)) / max(len(typed), len(known))
            else:
                score = difflib.SequenceMatcher(None, typed, known).ratio()
            best = max(best, score)
        if best >= 0.6:
            found[ident] = best
    return sorted(found, key=lambda i: (-found[i], i))[:limit]


def _suggest(word: str, names: Mapping[str, Iterable[str]], label: Mapping[str, str]) -> str:
    close = did_you_mean(word, names)
    if not close:
        return ""
    return "是否要找：" + "、".join(
        f"{label[i]}（{i}）" if label.get(i, i) != i else i for i in close
    )


def hint(error: DocflowError) -> str | None:
    """The flag or command to use, or the close names, for ``error``; ``None`` if none."""
    if isinstance(error, MissingInput):
        return _FLAG_FOR.get(error.what)
    if isinstance(error, DefinitionChanged):
        return (
            f"如确需改用新定义，请执行 docflow migrate {error.programme} --reason 理由"
            "（迁移将记入留痕）"
        )
    if isinstance(error, StoreMissing):
        found = "请用 --db 或环境变量 DOCFLOW_DB 指定已有的存储库"
        return found + ("；如要以提交开始一个新的存储库，请加 --create" if error.may_create else "")
    if isinstance(error, StoreNotWritable):
        return (
            "只读的命令（status、log、audit verify、render、export、remind --dry-run）"
            "仍可使用；腾出空间或恢复写权限后再执行本命令"
        )
    if isinstance(error, ActorNotGiven):
        return "请用 --by 指明作出决定的单位"
    if isinstance(error, InputNotAllowed):
        return "请去掉 --point" if error.what == "points" else "请去掉 --until"
    if isinstance(error, WrongCommand):
        return _COMMAND_FOR.get(error.needs)
    if isinstance(error, NoSuchOutcome):
        return "可用的选项：" + "、".join(f"--{o}" for o in error.available)
    if isinstance(error, NotRegistered) and error.location is not None:
        return f"请先用 docflow enrol 登记{ITEM}，或用 --db 指定正确的存储库"
    if isinstance(error, LaterEvents):
        return f"请先用 docflow correct --event {error.later[-1]} --withdraw 撤回最新的一条"
    if isinstance(error, OutOfSeason):
        return (
            "演练请用 docflow simulate，或 serve 的 --speed 与 --virtual-start，"
            "或 remind --now 指定方案年度内的时间"
        )
    if isinstance(error, OutsideTheTrail):
        later = "；要显示现状并按以后的时间判断期限和灯色，请用 --now" if error.later else ""
        return f"请用 --at 给出 {error.earliest} 至 {error.latest} 之间的时间{later}"
    if isinstance(error, UnknownUnit):
        labels = {i: names[0] for i, names in error.known.items() if names}
        found = _suggest(error.unit, error.known, labels)
        return found or "请使用工作方案 bodies 中单位的 id、简称或全称"
    if isinstance(error, UnknownTask):
        return _suggest(error.task, dict.fromkeys(error.known, ()), {}) or None
    return None


def explain(error: DocflowError) -> str:
    """The error's message with its hint, as one line for the command line."""
    extra = hint(error)
    if extra:
        extra = extra.replace(ITEM, error.item)
    return f"{error.message}。{extra}" if extra else error.message
