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
from collections.abc import Sequence
from typing import Any

import click

from engine.errors import DocflowError, os_reason

__all__ = ["Group", "usage_message"]

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


class _Formatter(click.HelpFormatter):
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


class _Command(click.Command):
    context_class = _Context

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

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        return _chinese_help_option(super().get_help_option(ctx))

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DocflowError as exc:
            from engine.hints import explain  # only when there is an error to show

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
