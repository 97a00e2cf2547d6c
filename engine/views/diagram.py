"""The life cycle of one point as a state diagram, laid out by Graphviz ``dot``.

``lifecycle_dot`` writes the DOT text itself (``transitions.extensions.diagrams`` would need
the ``graphviz`` or ``pygraphviz`` package); ``render_lifecycle`` runs ``dot -Tsvg`` found on
``PATH`` and returns the SVG ready to inline in HTML. When ``dot`` is missing, fails or
hangs, the result carries no SVG but a Chinese note saying why and what to do - never an
exception - and the DOT text, so that the diagram can be drawn elsewhere.

Drawing conventions: states are rounded boxes labelled in Chinese; a black dot points at the
initial state (which is also drawn in bold); final states have a double border. Each
transition is an edge labelled with its step and who fires it (and the deadline phrase for a
document step): blue for a submitted document, green for an accepting decision, red for a
rejecting one, orange dashed for a return. A transition from every non-final state
(``source: "*"``) leaves one dashed box 「任一未终止状态」; transitions that leave the state
unchanged (extensions) are listed in a note.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass

from markupsafe import Markup

from engine.definition.loader import Definition
from engine.definition.schema import ANY_STATE, Transition
from engine.views.wording import actor_label

__all__ = ["Diagram", "lifecycle_dot", "render_lifecycle"]

FONT = "Noto Sans CJK SC"
DOT_TIMEOUT = 60.0  # seconds

_START = "__start"
_ANY = "__any"
_NOTE = "__unchanged"


@dataclass(frozen=True)
class Diagram:
    dot: str  # the DOT source
    svg: Markup | None  # inline SVG, None when it could not be drawn
    problem: str | None = None  # why not, in Chinese


def _q(text: str) -> str:
    """A DOT double-quoted string: backslashes and quotes escaped, newlines as ``\\n``."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    escaped = escaped.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")
    return f'"{escaped}"'


def _node_id(state: str) -> str:
    return _q(f"s_{state}")


def _edge_style(t: Transition) -> dict[str, str]:
    if ANY_STATE in t.source:
        return {"color": "#777777", "fontcolor": "#555555", "style": "dashed"}
    if t.takes == "document":
        return {"color": "#1f4e99", "fontcolor": "#1f3a68"}
    if t.outcome == "accept":
        return {"color": "#2e7d32", "fontcolor": "#1b5e20"}
    if t.outcome == "reject":
        return {"color": "#c62828", "fontcolor": "#8e1b1b"}
    return {"color": "#e67e22", "fontcolor": "#a65a12", "style": "dashed"}


def _attrs(values: dict[str, str]) -> str:
    return ", ".join(f"{k}={_q(v)}" for k, v in values.items())


def _edge_label(definition: Definition, t: Transition) -> str:
    who = actor_label(definition.index, t.actor)
    label = f"{t.label}\n{who}"
    if t.deadline is not None:
        label += f" · {t.deadline.governing_phrase}"
    return label


def lifecycle_dot(definition: Definition) -> str:
    """The DOT text of the point life cycle of a programme."""
    index = definition.index
    lifecycle = definition.programme.points
    lines = [
        f"digraph {_q('lifecycle')} {{",
        f"  graph [rankdir=TB, nodesep=0.5, ranksep=0.55, fontname={_q(FONT)}, "
        f'bgcolor="white", pad=0.2];',
        f'  node [shape=box, style="rounded,filled", fillcolor="#f7f9fc", color="#4a6283", '
        f'fontname={_q(FONT)}, fontsize=13, margin="0.18,0.08"];',
        f"  edge [fontname={_q(FONT)}, fontsize=10, arrowsize=0.8];",
        f'  {_q(_START)} [shape=circle, style=filled, fillcolor=black, color=black, label="", '
        f'width=0.18, height=0.18, fixedsize=true, tooltip="起点", id="lc-start"];',
    ]
    for s in lifecycle.states:
        attrs = {"label": s.label, "id": f"lc-state-{s.id}", "tooltip": f"{s.label}（{s.id}）"}
        if s.initial:
            attrs.update(penwidth="2.2", fillcolor="#dbe8f6", label=f"{s.label}\n（初始状态）")
        if s.final:
            attrs.update(peripheries="2", fillcolor="#e3f1dd", label=f"{s.label}\n（终止状态）")
        lines.append(f"  {_node_id(s.id)} [{_attrs(attrs)}];")
    lines.append(f"  {_q(_START)} -> {_node_id(index.initial_state)} [color=black];")

    unchanged: list[Transition] = []
    any_used = False
    for t in lifecycle.transitions:
        if t.dest is None:
            unchanged.append(t)
            continue
        attrs = {
            "label": _edge_label(definition, t),
            "id": f"lc-edge-{t.trigger}",
            "tooltip": f"{t.label}（{t.trigger}）",
            **_edge_style(t),
        }
        if ANY_STATE in t.source:
            any_used = True
            lines.append(f"  {_q(_ANY)} -> {_node_id(t.dest)} [{_attrs(attrs)}];")
            continue
        for source in t.source:
            lines.append(f"  {_node_id(source)} -> {_node_id(t.dest)} [{_attrs(attrs)}];")
    if any_used:
        lines.append(
            f'  {_q(_ANY)} [label="任一未终止状态", style="dashed,rounded", fillcolor="white", '
            f'id="lc-any"];'
        )
    groups: dict[tuple[str, ...], list[Transition]] = {}
    for t in unchanged:
        groups.setdefault(tuple(index.sources_of(t)), []).append(t)
    for n, (sources, members) in enumerate(groups.items()):
        states = [index.states[s].label for s in sources if s in index.states]
        rows = ["状态不变的事项，可在以下状态办理："]
        rows += ["、".join(states[i : i + 3]) for i in range(0, len(states), 3)]
        rows += [f"· {t.label}（{actor_label(index, t.actor)}）" for t in members]
        note = "\\l".join(_q(r)[1:-1] for r in rows) + "\\l"
        lines.append(
            f'  {_q(f"{_NOTE}{n}")} [shape=note, style=filled, fillcolor="#fffbe6", '
            f'color="#c9b458", fontsize=11, id="lc-unchanged-{n}", label="{note}"];'
        )
        lines.append(f"  {{rank=sink; {_q(f'{_NOTE}{n}')}}}")
    lines.append("}")
    return "\n".join(lines) + "\n"


_PROLOG = re.compile(r"\A.*?(?=<svg\b)", re.DOTALL)


def _inline(svg: str) -> str:
    """The ``<svg>`` element alone: no XML declaration, DOCTYPE or leading comments."""
    return _PROLOG.sub("", svg, count=1).strip()


def render_lifecycle(definition: Definition, *, timeout: float = DOT_TIMEOUT) -> Diagram:
    """Lay the life cycle out with ``dot -Tsvg``; a note in place of the SVG if that fails."""
    source = lifecycle_dot(definition)
    dot = shutil.which("dot")
    if dot is None:
        return Diagram(
            source,
            None,
            "未找到 Graphviz 的 dot 命令，状态图未能生成。请安装 Graphviz（如 apt-get install "
            "graphviz）后重新生成报告；状态图的 DOT 源文件已另存为 lifecycle.dot。",
        )
    try:
        done = subprocess.run(
            [dot, "-Tsvg"],
            input=source.encode("utf-8"),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return Diagram(
            source, None, f"Graphviz 的 dot 命令 {timeout:g} 秒内未完成，状态图未能生成。"
        )
    except OSError as exc:
        return Diagram(source, None, f"无法运行 Graphviz 的 dot 命令（{exc}），状态图未能生成。")
    text = done.stdout.decode("utf-8", errors="replace")
    if done.returncode != 0 or "<svg" not in text:
        detail = done.stderr.decode("utf-8", errors="replace").strip().splitlines()
        reason = f"：{detail[0]}" if detail else ""
        return Diagram(
            source,
            None,
            f"Graphviz 的 dot 命令出错（退出状态 {done.returncode}{reason}），状态图未能生成。",
        )
    # dot escapes every label it writes (&lt; &amp; ...): its output is safe to inline.
    return Diagram(source, Markup(_inline(text)))
