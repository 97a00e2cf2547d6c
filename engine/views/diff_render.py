"""A definition comparison (``engine.views.diff``) as text for the terminal and as HTML."""

from __future__ import annotations

import html
from typing import Any

__all__ = ["render_diff_html", "render_diff_text"]

_NUMERALS = "一二三四五六七八九十"


def _summary_line(result: dict[str, Any]) -> str:
    if result["changed"]:
        return f"共 {result['count']} 处变化。"
    if result["identical_files"]:
        return "没有变化：两个文件内容完全相同。"
    return "没有变化：两个方案的定义内容相同（文件只在注释或排版上不同）。"


def _numeral(n: int) -> str:
    return _NUMERALS[n - 1] if n <= len(_NUMERALS) else str(n)


def render_diff_text(result: dict[str, Any]) -> str:
    old, new = result["old"], result["new"]
    lines = [
        f"比较：{old['file']}（{old['id']}，{old['year']} 年）",
        f"  与：{new['file']}（{new['id']}，{new['year']} 年）",
        _summary_line(result),
    ]
    for n, section in enumerate(result["sections"], 1):
        lines += ["", f"{_numeral(n)}、{section['title']}"]
        lines += [f"  · {c['text']}" for c in section["changes"]]
    return "\n".join(lines)


_CSS = """
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif;
       margin: 2em auto; max-width: 60em; line-height: 1.6; color: #222; padding: 0 1em; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; border-bottom: 1px solid #ccc; }
table.files td { padding: 0 1em 0 0; } .summary { font-weight: bold; }
li.added::marker { content: "＋ "; color: #1a7f37; }
li.removed::marker { content: "－ "; color: #cf222e; }
li.changed::marker { content: "～ "; color: #9a6700; }
"""


def render_diff_html(result: dict[str, Any]) -> str:
    esc = html.escape
    old, new = result["old"], result["new"]
    title = f"工作方案定义比较：{old['id']} → {new['id']}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{esc(title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        f"<h1>{esc(title)}</h1>",
        '<table class="files">',
    ]
    for label, side in (("原方案", old), ("新方案", new)):
        number = f"{esc(side['doc_number'])}，" if side["doc_number"] else ""
        parts.append(
            f"<tr><th>{label}</th><td>{esc(side['title'])}（{number}"
            f"{side['year']} 年）</td><td><code>{esc(side['file'])}</code></td></tr>"
        )
    parts.append("</table>")
    parts.append(f'<p class="summary">{esc(_summary_line(result))}</p>')
    for n, section in enumerate(result["sections"], 1):
        parts.append(f"<h2>{_numeral(n)}、{esc(section['title'])}</h2>")
        parts.append("<ul>")
        parts += [f'<li class="{esc(c["kind"])}">{esc(c["text"])}</li>' for c in section["changes"]]
        parts.append("</ul>")
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)
