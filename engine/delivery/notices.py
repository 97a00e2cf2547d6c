"""Rendering the notices docflow sends: reminders, 催报, inspection and meeting notices.

Templates live in the project's top-level ``notices/`` folder so that administrators can edit
them (an installed wheel carries that folder as package data); a programme folder may hold a
``notices/`` folder whose templates replace the defaults of the same name
(``NoticeRenderer.for_programme``, see ``engine.definition.noticefiles``). A notice *kind*
(``reminder``, ``urge`` ...) is three files::

    notices/{kind}.subject.j2   one line: the e-mail subject, which is also the notice's title
    notices/{kind}.txt.j2       the plain-text body (no autoescaping)
    notices/{kind}.html.j2      the HTML body (autoescaped)

Files whose names start with ``_`` are shared pieces (``_base.html.j2``, ``_contacts.txt.j2``
...) pulled in with ``{% extends %}`` / ``{% include %}``. Templates run in Jinja's sandbox
with ``StrictUndefined``: a template cannot reach Python internals, and a variable it uses but
is not given is an error, never a silent blank.

Every problem — a missing file, a syntax error, a missing variable, a blocked attribute —
comes out as ``TemplateProblem`` with a Chinese message naming the template file and, where
known, the line.

The context
-----------

One context shape serves every kind; each kind uses a subset (``required_variables(kind)``
lists it). It is ``engine.delivery.noticecontext.NoticeContext``, a frozen dataclass built in
one place for every notice the reminder runner sends; ``check_template`` checks a kind's
templates against its fields. ``render`` also takes a plain mapping of variables, for
templates outside that shape.

The renderer itself adds ``subject`` (the rendered subject line) when it renders the text and
HTML bodies, so that the title is written once.

Filters: ``gongwen_date`` (二〇一一年四月二十六日 / 2012年5月18日, per ``date_style``; an explicit
style wins: ``gongwen_date("arabic")``), ``month_day`` (五月十日 / 5月10日, same rule),
``cn_number`` (2 -> 二) and ``percent`` (``reported|percent(total)`` -> 90.2%).

The shipped templates follow the conventions of the 2011 notice itself: the 成文日期 in the
落款 goes through ``date_style`` (Chinese numerals before 2012), while dates inside the body
are written in Arabic numerals (于5月10日前, 2011年5月17日), as 公文 bodies did then too.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from jinja2 import (
    FileSystemLoader,
    StrictUndefined,
    Template,
    TemplateNotFound,
    TemplateSyntaxError,
    UndefinedError,
    meta,
    pass_context,
    select_autoescape,
)
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context, Undefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from engine.definition.noticefiles import default_notice_folder, kind_files, notice_folders
from engine.delivery.gongwen import chinese_number, format_date, format_month_day
from engine.delivery.noticecontext import NoticeContext, template_attribute_problems
from engine.errors import TemplateProblem

__all__ = [
    "DEFAULT_DIRECTORY",
    "KINDS",
    "NoticeRenderer",
    "RenderedNotice",
]

#: The default templates: the project's ``notices/`` folder (``engine/notices`` in a wheel).
DEFAULT_DIRECTORY = default_notice_folder()

#: The notice kinds docflow ships.
KINDS: tuple[str, ...] = ("reminder", "urge", "inspection", "meeting", "progress_summary")

#: Variables the renderer provides itself; never required from the caller.
RENDERER_VARIABLES = frozenset({"subject"})

_KIND_NAME = re.compile(r"[a-z][a-z0-9_]*")
_UNDEFINED_NAME = re.compile(r"^'(?P<name>[^']+)' is undefined$")
_MISSING_ATTRIBUTE = re.compile(r"^'(?P<owner>[^']+)' has no attribute '(?P<name>[^']+)'$")


@dataclass(frozen=True)
class RenderedNotice:
    """A rendered notice: the subject line and the two bodies."""

    subject: str
    text: str
    html: str


# ---------------------------------------------------------------------------------------------
# Filters


class _FilterProblem(Exception):
    """A filter given a value it cannot write; the message is Chinese, for the user."""


def _require_defined(value: Any) -> None:
    if isinstance(value, Undefined):
        str(value)  # StrictUndefined raises UndefinedError naming the variable


def _date_value(name: str, value: Any) -> date:
    _require_defined(value)
    if not isinstance(value, date):
        raise _FilterProblem(f"过滤器 {name} 需要日期，而所给的值是 {value!r}")
    return value


def _style(ctx: Context, style: str | None) -> Any:
    chosen = style if style is not None else ctx.get("date_style", "auto")
    if chosen not in ("auto", "chinese", "arabic"):
        raise _FilterProblem(
            f"日期写法 date_style 的值 {chosen!r} 无效，应为 auto、chinese 或 arabic"
        )
    return chosen


@pass_context
def _gongwen_date_filter(ctx: Context, value: Any, style: str | None = None) -> str:
    return format_date(_date_value("gongwen_date", value), _style(ctx, style))


@pass_context
def _month_day_filter(ctx: Context, value: Any, style: str | None = None) -> str:
    return format_month_day(_date_value("month_day", value), _style(ctx, style))


def _cn_number_filter(value: Any) -> str:
    _require_defined(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 99:
        raise _FilterProblem(f"过滤器 cn_number 只能写 1 至 99 的整数，而所给的值是 {value!r}")
    return chinese_number(value)


def _percent_filter(part: Any, whole: Any, digits: int = 1) -> str:
    _require_defined(part)
    _require_defined(whole)
    if not whole:
        return "—"
    return f"{100 * part / whole:.{digits}f}%"


# ---------------------------------------------------------------------------------------------
# The renderer


class NoticeRenderer:
    """Renders notice kinds from template folders (the project's ``notices/`` by default).

    With several folders the first holding a template provides it: ``for_programme`` puts
    the programme's own ``notices/`` before the defaults.
    """

    def __init__(self, directory: Path | Sequence[Path] | None = None) -> None:
        if directory is None:
            folders: tuple[Path, ...] = (DEFAULT_DIRECTORY,)
        elif isinstance(directory, Path | str):
            folders = (Path(directory),)
        else:
            folders = tuple(Path(d) for d in directory)
        self.folders = folders
        self.directory = folders[-1]  # the defaults, where a missing template belongs
        self.env = ImmutableSandboxedEnvironment(
            loader=FileSystemLoader([str(f) for f in folders], encoding="utf-8"),
            undefined=StrictUndefined,
            autoescape=select_autoescape(
                enabled_extensions=("html.j2", "htm.j2", "html", "htm"),
                disabled_extensions=("txt.j2", "subject.j2", "txt"),
                default_for_string=True,
                default=False,
            ),
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters["gongwen_date"] = _gongwen_date_filter
        self.env.filters["month_day"] = _month_day_filter
        self.env.filters["cn_number"] = _cn_number_filter
        self.env.filters["percent"] = _percent_filter

    @classmethod
    def for_programme(cls, folder: Path) -> NoticeRenderer:
        """The renderer for the programme in ``folder``: its ``notices/`` over the defaults."""
        return cls(notice_folders(folder))

    # -- public API ---------------------------------------------------------------------------

    def render(self, name: str, context: NoticeContext | Mapping[str, Any]) -> RenderedNotice:
        """Render ``{name}.subject.j2``, ``{name}.txt.j2`` and ``{name}.html.j2``."""
        files = self._files(name)
        values = context.variables() if isinstance(context, NoticeContext) else dict(context)
        subject_file = files[0]
        subject = self._render_file(subject_file, values).strip()
        if not subject:
            raise TemplateProblem(f"通知模板 {self._display(subject_file)} 渲染出的主题为空")
        if len(subject.splitlines()) > 1:
            raise TemplateProblem(
                f"通知模板 {self._display(subject_file)} 渲染出的主题含有换行，主题只能是一行"
            )
        values["subject"] = subject
        text = self._render_file(files[1], values)
        html = self._render_file(files[2], values)
        return RenderedNotice(subject=subject, text=text, html=html)

    def required_variables(self, name: str) -> set[str]:
        """Top-level variables the kind's three templates (and what they pull in) use."""
        problems: list[str] = []
        found = self._scan_kind(name, problems)
        if problems:
            raise TemplateProblem("\n".join(problems))
        used: set[str] = set()
        for variables in found.values():
            used |= variables
        return used - RENDERER_VARIABLES

    def check_template(
        self, name: str, provided: Iterable[str] | type[NoticeContext] = NoticeContext
    ) -> list[str]:
        """Problems with a kind's templates, in Chinese; an empty list means none.

        Reports missing files, syntax errors (with file and line) and, per file, the
        variables it uses that are not among ``provided``: the fields of ``NoticeContext``
        (the default), whose attribute lookups are checked against the fields' types too,
        or a set of variable names.
        """
        try:
            self._check_name(name)
        except TemplateProblem as exc:
            return [exc.message]
        typed = isinstance(provided, type)
        names = NoticeContext.field_names() if typed else set(provided)  # type: ignore[arg-type]
        given = set(names) | RENDERER_VARIABLES
        problems: list[str] = []
        asts: dict[str, Any] = {}
        found = self._scan_kind(name, problems, asts)
        for template_name, variables in found.items():
            unknown = sorted(variables - given)
            if unknown:
                problems.append(
                    f"通知模板 {self._display(template_name)} 使用了未提供的变量："
                    + "、".join(unknown)
                )
            if typed:
                for line, lookup in template_attribute_problems(asts[template_name]):
                    problems.append(
                        f"通知模板 {self._display(template_name)} 第 {line} 行使用了 {lookup}，"
                        f"而所给数据中没有这一字段"
                    )
        return problems

    def check_all(self, kinds: Iterable[str] = KINDS) -> list[str]:
        """Check each kind against ``NoticeContext``; for ``docflow validate`` and the tests."""
        problems: list[str] = []
        for kind in kinds:
            problems.extend(self.check_template(kind))
        return problems

    # -- internals ----------------------------------------------------------------------------

    def _check_name(self, name: str) -> None:
        if not isinstance(name, str) or not _KIND_NAME.fullmatch(name):
            raise TemplateProblem(
                f"通知类型名称 {name!r} 无效：只能由小写字母、数字和下划线组成，以字母开头"
            )

    def _files(self, name: str) -> list[str]:
        self._check_name(name)
        return list(kind_files(name))

    def _display(self, template_name: str) -> str:
        """The file that provides a template; a missing one is shown among the defaults."""
        for folder in self.folders:
            if (folder / template_name).is_file():
                return str(folder / template_name)
        return str(self.directory / template_name)

    def _render_file(self, template_name: str, values: Mapping[str, Any]) -> str:
        template = self._load(template_name)
        try:
            return template.render(values)
        except TemplateProblem:
            raise
        except Exception as exc:
            raise TemplateProblem(self._runtime_message(template_name, exc)) from exc

    def _load(self, template_name: str) -> Template:
        try:
            return self.env.get_template(template_name)
        except TemplateNotFound as exc:
            raise TemplateProblem(self._not_found_message(template_name, exc)) from exc
        except TemplateSyntaxError as exc:
            raise TemplateProblem(self._syntax_message(exc)) from exc
        except Exception as exc:  # unreadable file, bad encoding ...
            raise TemplateProblem(
                f"通知模板 {self._display(template_name)} 无法读取：{exc}"
            ) from exc

    def _scan_kind(
        self, name: str, problems: list[str], asts: dict[str, Any] | None = None
    ) -> dict[str, set[str]]:
        try:
            files = self._files(name)
        except TemplateProblem as exc:
            problems.append(exc.message)
            return {}
        seen: set[str] = set()
        found: dict[str, set[str]] = {}
        parsed = asts if asts is not None else {}
        for template_name in files:
            self._scan(template_name, seen, found, problems, parsed, parent=None)
        return found

    def _scan(
        self,
        template_name: str,
        seen: set[str],
        found: dict[str, set[str]],
        problems: list[str],
        asts: dict[str, Any],
        parent: str | None,
    ) -> None:
        """Collect the undeclared variables of a template and of those it includes/extends."""
        if template_name in seen:
            return
        seen.add(template_name)
        loader = self.env.loader
        assert loader is not None
        try:
            source, filename, _ = loader.get_source(self.env, template_name)
        except TemplateNotFound:
            where = f"（被 {self._display(parent)} 引用）" if parent else ""
            problems.append(f"缺少通知模板文件 {self._display(template_name)}{where}")
            return
        except Exception as exc:
            problems.append(f"通知模板 {self._display(template_name)} 无法读取：{exc}")
            return
        try:
            ast = self.env.parse(source, template_name, filename)
            # Compiling also catches unknown filters and tests.
            self.env.compile(source, template_name, filename)
        except TemplateSyntaxError as exc:
            problems.append(self._syntax_message(exc))
            return
        found[template_name] = set(meta.find_undeclared_variables(ast))
        asts[template_name] = ast
        for referenced in meta.find_referenced_templates(ast):
            if referenced is not None:
                self._scan(referenced, seen, found, problems, asts, parent=template_name)

    def _not_found_message(self, template_name: str, exc: TemplateNotFound) -> str:
        missing = exc.name if isinstance(exc.name, str) else template_name
        if missing == template_name:
            return f"缺少通知模板文件 {self._display(template_name)}"
        parent = self._display(template_name)
        return f"缺少通知模板文件 {self._display(missing)}（被 {parent} 引用）"

    def _syntax_message(self, exc: TemplateSyntaxError) -> str:
        where = self._display(exc.name) if exc.name else (exc.filename or "（未知模板）")
        return f"通知模板 {where} 第 {exc.lineno} 行语法错误：{exc.message}"

    def _location(self, exc: BaseException, fallback: str) -> str:
        """``file 第 N 行`` from the (Jinja-rewritten) traceback, innermost template frame."""
        for frame in reversed(traceback.extract_tb(exc.__traceback__)):
            if frame.filename and frame.filename.endswith(".j2"):
                return f"{frame.filename} 第 {frame.lineno} 行"
        return self._display(fallback)

    def _runtime_message(self, template_name: str, exc: Exception) -> str:
        if isinstance(exc, TemplateNotFound):
            return self._not_found_message(template_name, exc)
        if isinstance(exc, TemplateSyntaxError):  # an included template with an error
            return self._syntax_message(exc)
        where = self._location(exc, template_name)
        if isinstance(exc, _FilterProblem):
            return f"通知模板 {where}：{exc}"
        if isinstance(exc, SecurityError):
            return f"通知模板 {where}：试图访问不安全的内容，已被沙箱阻止（{exc}）"
        if isinstance(exc, UndefinedError):
            text = exc.message or str(exc)
            undefined = _UNDEFINED_NAME.match(text)
            if undefined:
                return f"通知模板 {where}：使用了未提供的变量 {undefined['name']}"
            attribute = _MISSING_ATTRIBUTE.match(text)
            if attribute:
                return f"通知模板 {where}：所给数据缺少字段 {attribute['name']}"
            return f"通知模板 {where}：使用了未提供的数据（{text}）"
        return f"通知模板 {where}渲染出错：{type(exc).__name__}: {exc}"
