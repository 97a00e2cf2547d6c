"""The Chinese face of click: usage errors, help headings and the help option.

click writes its own messages in English ("Missing option '--unit'", "Usage:", "Options:").
The people who run docflow read Chinese, so the command group below formats click's usage
errors itself - by the exception's type and the parameter's type, not by matching English
text where that can be avoided - and its help pages use Chinese headings. Exit statuses stay
click's: 2 for a usage error, 1 for docflow's own errors (see ``engine.cli``).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Sequence
from typing import Any

import click

from engine.errors import DocflowError, os_reason
from engine.views.texttable import display_width

__all__ = ["ITEM_KEY", "Group", "command", "group", "remember_item", "usage_message"]

#: Where a command keeps the item noun of the programme it loaded (``click.Context.meta``,
#: shared by the nested contexts), so that an error is worded with it at the edge.
ITEM_KEY = "docflow.item"


def remember_item(item: str) -> None:
    """Word every error this command shows with the programme's noun for its items."""
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.meta[ITEM_KEY] = item


_HEADINGS = {"Options": "选项", "Commands": "命令", "Positional arguments": "参数"}
_CJK = re.compile(r"[\u4e00-\u9fff]")

# click's generic usage errors carry only a message; these are the ones a user meets.
_GENERIC = (
    (re.compile(r"^No such command '(.+)'\.$"), "没有命令 {0}"),
    (re.compile(r"^Got unexpected extra arguments? \((.+)\)$"), "多余的参数：{0}"),
    (re.compile(r"^Missing command\.$"), "缺少命令"),
    (re.compile(r"^Option '(.+)' requires an argument\.$"), "选项 {0} 后面须给出值"),
    (re.compile(r"^Option '(.+)' requires (\d+) arguments\.$"), "选项 {0} 后面须给出 {1} 个值"),
    (re.compile(r"^Option '(.+)' does not take a value\.$"), "选项 {0} 不带值"),
)
_PATH = (
    (re.compile(r" '(.+)' does not exist\.$"), "{0} 不存在"),
    (re.compile(r" '(.+)' is a directory\.$"), "{0} 是目录，这里须给出文件"),
    (re.compile(r" '(.+)' is a file\.$"), "{0} 是文件，这里须给出目录"),
    (re.compile(r" '(.+)' is not readable\.$"), "{0} 不可读"),
    (re.compile(r" '(.+)' is not writable\.$"), "{0} 不可写"),
)


def _hint(exc: click.UsageError) -> str:
    hint = getattr(exc, "param_hint", None)
    if isinstance(hint, str):
        return hint
    if isinstance(hint, Sequence) and hint:
        return " / ".join(str(h) for h in hint)
    param = getattr(exc, "param", None)
    if param is not None:
        return str(param.get_error_hint(exc.ctx))
    return ""


def _range_words(kind: click.IntRange | click.FloatRange) -> str:
    """``须大于 0``, ``须在 2000 至 2100 之间``: a number option's range in words."""
    low = None if kind.min is None else f"{kind.min:g}"
    high = None if kind.max is None else f"{kind.max:g}"
    above = f"大于 {low}" if kind.min_open else f"不小于 {low}"
    below = f"小于 {high}" if kind.max_open else f"不大于 {high}"
    if low is not None and high is not None:
        return (
            f"须{above}且{below}"
            if kind.min_open or kind.max_open
            else f"须在 {low} 至 {high} 之间"
        )
    return f"须{above}" if low is not None else f"须{below}"


def _bad_value(exc: click.BadParameter) -> str:
    message = exc.message
    if _CJK.search(message):  # docflow's own BadParameter messages are already Chinese
        return message
    kind = exc.param.type if exc.param is not None else None
    if "is not a valid" in message:  # not a number at all
        if isinstance(kind, click.IntRange) or kind is click.INT:
            return "须为整数"
        if isinstance(kind, click.FloatRange) or kind is click.FLOAT:
            return "须为数字"
    if isinstance(kind, click.Choice):
        return "可选值为：" + "、".join(str(c) for c in kind.choices)
    if isinstance(kind, click.IntRange | click.FloatRange):
        return _range_words(kind)
    if isinstance(kind, click.Path):
        for pattern, text in _PATH:
            found = pattern.search(message)
            if found:
                return text.format(*found.groups())
    return message


def usage_message(exc: click.UsageError) -> str:
    """One line in Chinese saying what was wrong with the command line."""
    if isinstance(exc, click.MissingParameter):
        kinds = {"argument": "参数", "option": "选项"}
        param_type = exc.param_type or (exc.param.param_type_name if exc.param else "")
        return f"缺少{kinds.get(param_type, '参数')} {_hint(exc)}"
    if isinstance(exc, click.NoSuchOption):
        text = f"没有选项 {exc.option_name}"
        if exc.possibilities:
            text += f"（是否要用 {'、'.join(sorted(exc.possibilities))}？）"
        return text
    if isinstance(exc, click.BadParameter):
        hint = _hint(exc)
        return f"{hint} 的值无效：{_bad_value(exc)}" if hint else f"值无效：{_bad_value(exc)}"
    message = exc.message
    for pattern, text in _GENERIC:
        found = pattern.match(message)
        if found:
            return text.format(*found.groups())
    return message


_TOKENS = re.compile(r"[!-~]+|\s+|.", re.S)  # ASCII words stay whole; CJK breaks anywhere
_NO_LINE_START = set("，。、；：？！）》」』”’")


def _wrap(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` display columns: Chinese may break between any
    two characters, ASCII words are kept whole, and no line starts with closing punctuation."""
    lines: list[str] = []
    line, used = "", 0
    for token in _TOKENS.findall(text):
        w = display_width(token)
        if used + w > width and line.strip() and token not in _NO_LINE_START:
            lines.append(line.rstrip())
            line, used = "", 0
            if token.isspace():
                continue
        line += token
        used += w
    if line.strip():
        lines.append(line.rstrip())
    return lines


class _Formatter(click.HelpFormatter):
    def write_dl(
        self, rows: Iterable[tuple[str, str]], col_max: int = 30, col_spacing: int = 2
    ) -> None:
        """click's definition list, with columns measured in display width (wide characters
        count 2), so that Chinese metavars and help line up."""
        rows = list(rows)
        first_col = min(max((display_width(a) for a, _b in rows), default=0), col_max)
        first_col += col_spacing
        indent = " " * self.current_indent
        for term, text in rows:
            self.write(f"{indent}{term}")
            if not text:
                self.write("\n")
                continue
            used = display_width(term)
            if used <= first_col - col_spacing:
                self.write(" " * (first_col - used))
            else:
                self.write("\n" + " " * (first_col + self.current_indent))
            lines = _wrap(text, max(self.width - first_col - self.current_indent, 20)) or [""]
            self.write(lines[0] + "\n")
            for line in lines[1:]:
                self.write(" " * (first_col + self.current_indent) + line + "\n")

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, "用法：" if prefix is None else prefix)

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{_HEADINGS.get(heading, heading)}：\n")


class _Context(click.Context):
    formatter_class = _Formatter


def _chinese_help_option(option: click.Option | None) -> click.Option | None:
    if option is not None:
        option.help = "显示本帮助并退出。"
    return option


# What a value is, in the help's metavars: click's own type names are English.
_TYPE_METAVARS = {
    "text": "文本",
    "integer": "整数",
    "float": "数字",
    "integer range": "整数",
    "float range": "数字",
    "path": "路径",
    "file": "文件",
    "directory": "目录",
    "boolean": "是否",
}
# Arguments by their parameter names, so that help says 工作方案 instead of PROGRAMME.
_ARGUMENT_METAVARS = {
    "programme": "工作方案",
    "path": "方案或文件",
    "old": "原方案",
    "new": "新方案",
}


class _Option(click.Option):
    """An option whose help line says 默认、必填、环境变量 and names its value in Chinese."""

    def make_metavar(self, ctx: click.Context) -> str:
        if self.metavar is not None:
            return self.metavar
        if isinstance(self.type, click.Path):
            kind = (
                "目录" if not self.type.file_okay else "文件" if not self.type.dir_okay else "路径"
            )
        elif isinstance(self.type, click.Choice):
            return "[" + "|".join(str(c) for c in self.type.choices) + "]"
        else:
            kind = _TYPE_METAVARS.get(self.type.name, self.type.name)
        return kind + ("..." if self.nargs != 1 else "")

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        record = super().get_help_record(ctx)
        if record is None:
            return None
        spec, _english = record
        extra = self.get_help_extra(ctx)
        items = []
        if "envvars" in extra:
            items.append("环境变量 " + "、".join(extra["envvars"]))
        if "default" in extra:
            items.append(f"默认 {extra['default']}")
        if isinstance(self.type, click.IntRange | click.FloatRange):
            items.append(_range_words(self.type))
        if "required" in extra:
            items.append("必填")
        text = self.help or ""
        if items:
            text = f"{text}（{'；'.join(items)}）" if text else f"（{'；'.join(items)}）"
        return spec, text


class _Argument(click.Argument):
    def make_metavar(self, ctx: click.Context) -> str:
        if self.metavar is not None:
            return self.metavar
        name = _ARGUMENT_METAVARS.get(self.name or "", (self.name or "").upper())
        if not self.required:
            name = f"[{name}]"
        return name + ("..." if self.nargs != 1 else "")


def _chinese_params(command: click.Command) -> None:
    """Give a command's parameters their Chinese help; the options keep every behaviour."""
    for param in command.params:
        if type(param) is click.Option:
            param.__class__ = _Option
        elif type(param) is click.Argument:
            param.__class__ = _Argument


class _Command(click.Command):
    context_class = _Context

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("options_metavar", "[选项]")
        super().__init__(*args, **kwargs)
        _chinese_params(self)

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        return _chinese_help_option(super().get_help_option(ctx))


class Group(click.Group):
    """The command group: Chinese usage errors and help, ``DocflowError`` as its message.

    Every ``DocflowError`` is printed once, at the edge, without a traceback, and becomes its
    exit status. Subcommands and subgroups made with ``@group.command()`` / ``@group.group()``
    are of the same Chinese kind.
    """

    context_class = _Context
    command_class = _Command
    group_class = type  # subgroups are Groups too

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("options_metavar", "[选项]")
        kwargs.setdefault("subcommand_metavar", "命令 [参数]...")
        super().__init__(*args, **kwargs)
        _chinese_params(self)

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        return _chinese_help_option(super().get_help_option(ctx))

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DocflowError as exc:
            from engine.hints import explain  # only when there is an error to show

            item = ctx.meta.get(ITEM_KEY)
            if item is not None:
                exc.worded(item)
            click.echo(explain(exc), err=True)
            ctx.exit(exc.exit_code)

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            result = super().main(args, prog_name, complete_var, False, **extra)
        except click.UsageError as exc:
            click.echo(f"错误：{usage_message(exc)}", err=True)
            if exc.ctx is not None:
                click.echo(exc.ctx.get_usage(), err=True)
                click.echo(f"用 {exc.ctx.command_path} -h 查看帮助。", err=True)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            click.echo(f"错误：{exc.format_message()}", err=True)
            sys.exit(exc.exit_code)
        except OSError as exc:  # a path given on the command line that cannot be used
            where = f" {exc.filename}" if exc.filename else ""
            click.echo(f"错误：无法读写{where}：{os_reason(exc)}", err=True)
            sys.exit(1)
        except click.Abort:  # Ctrl-C: click turns KeyboardInterrupt into Abort
            click.echo("已中断。", err=True)
            sys.exit(130)
        sys.exit(result if isinstance(result, int) else 0)


def command(name: str | None = None, **attrs: Any) -> Any:
    """``@click.command`` for a docflow command: Chinese help and usage."""
    return click.command(name, cls=_Command, **attrs)


def group(name: str | None = None, **attrs: Any) -> Any:
    """``@click.group`` for a docflow command group: Chinese help, usage and errors."""
    return click.group(name, cls=Group, **attrs)
