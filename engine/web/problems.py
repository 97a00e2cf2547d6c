"""The one exception the desk's routes raise to refuse a request, with its page's words."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engine.definition.loader import Definition
    from engine.errors import DocflowError

__all__ = ["PageError", "refused", "small_number"]


class PageError(Exception):
    """A request the desk refuses: ``status`` (403, 404, 413, ...) and what to say."""

    def __init__(self, status: int, message: str, title: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.title = title or _TITLES.get(status, "无法完成")


_TITLES = {
    400: "无法完成",
    403: "无权访问",
    404: "找不到页面",
    405: "不支持的操作",
    409: "未能办理",
    411: "缺少文件大小",
    413: "文件过大",
    429: "操作过于频繁",
}


def small_number(text: str | None, default: int, digits: int) -> int:
    """``text`` as a number of at most ``digits - 1`` ASCII digits, else ``default`` (a
    page number, a day count, a trail seq from a query or form)."""
    if text and text.isascii() and text.isdigit() and len(text) < digits:
        return int(text)
    return default


def refused(status: int, exc: DocflowError, definition: Definition) -> PageError:
    """The page for an error the engine raised, worded with the programme's item noun."""
    return PageError(status, exc.worded(definition.programme.programme.item).message)
