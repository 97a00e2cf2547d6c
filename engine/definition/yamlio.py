"""Safe YAML reading that keeps a line mark for every node.

Programmes are written by administrators, so the reader is strict where YAML 1.1 is
surprising and generous with the position of every problem:

- only the safe core tags are constructed (strings, integers, floats, booleans, null,
  dates); a ``!!python/...`` or any unknown tag is an error, never executed;
- ``yes``/``no``/``on``/``off``/``y``/``n`` stay strings (only ``true``/``false`` are booleans),
  so a trigger named ``on`` or an answer ``no`` means what it says;
- a key written twice in one mapping is an error (YAML itself would keep the last silently);
- aliases are expanded with a budget, so an "alias bomb" (a billion laughs) is refused
  instead of eating memory, and a recursive alias is refused.

``read_yaml`` returns plain Python data and a ``Marks`` table that maps each path of keys and
indices (``("points", "transitions", 3, "dest")``) to the line and column it came from.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from engine.errors import DefinitionError, Diagnostic

__all__ = ["MAX_DEPTH", "MAX_NODES", "Marks", "Path", "read_yaml"]

Path = tuple[str | int, ...]

#: The largest number of nodes a programme may expand to (the 2011 programme has ~3,000).
MAX_NODES = 200_000
#: The deepest nesting of lists and mappings accepted (the 2011 programme needs 9). Kept well
#: below Python's recursion limit so that deep input is an error at its place, not a crash.
MAX_DEPTH = 50

_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")

_SAFE_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
}


class _Loader(yaml.SafeLoader):
    """A composer only: nodes are turned into data by ``_Builder``, not by PyYAML."""

    _depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _TooDeep(self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


# Implicit typing is redone by ``_Builder`` (see the module docstring), so PyYAML's own
# YAML 1.1 resolvers for bool (yes/no/on/off) must not tag plain scalars behind our back.
_Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", _BOOL, list("tTfF"))

_CSafeLoader: Any = getattr(yaml, "CSafeLoader", None)
_FastLoader: Any = None
if _CSafeLoader is not None:

    class _LibyamlLoader(_CSafeLoader):
        """libyaml's parser and composer, with the same resolvers as ``_Loader``: about ten
        times faster on a programme file. It has no depth limit of its own, so it is used
        only on input whose nesting was counted first (``_nesting``), and only for input
        that parses: any syntax error is reported by ``_Loader``, in its words."""

    _LibyamlLoader.yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers
    _FastLoader = _LibyamlLoader


def _nesting_within(text: str, limit: int) -> bool:
    """Whether no list or mapping of ``text`` nests deeper than ``limit`` (counted on
    libyaml's event stream, which is flat: no recursion, whatever the input)."""
    depth = 0
    loader = _FastLoader(text)
    try:
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > limit:
                    return False
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    finally:
        loader.dispose()
    return True


def _compose(text: str) -> Node | None:
    """The document's node tree: with libyaml where it is safe, else PyYAML's composer."""
    if _FastLoader is not None:
        try:
            if _nesting_within(text, MAX_DEPTH):
                fast = _FastLoader(text)
                try:
                    node: Node | None = fast.get_single_node()
                    return node
                finally:
                    fast.dispose()
        except yaml.YAMLError:
            pass  # the pure-Python composer below reports it, at its place, in its words
    loader = _Loader(text)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


@dataclass
class Marks:
    """Where each node of a YAML file came from (1-based line and column)."""

    file: str
    positions: dict[Path, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def at(self, path: Sequence[str | int], *, key: bool = False) -> tuple[int, int]:
        """The position of ``path``, or of its nearest ancestor that has one.

        With ``key=True`` the position of the mapping key rather than its value is preferred
        (useful for "unknown key" and "duplicate key" problems).
        """
        probe: Path = tuple(path)
        if key and probe in self.key_positions:
            return self.key_positions[probe]
        while probe:
            if probe in self.positions:
                return self.positions[probe]
            if probe in self.key_positions:
                return self.key_positions[probe]
            probe = probe[:-1]
        return self.positions.get((), (1, 1))

    def diagnostic(
        self,
        path: Sequence[str | int],
        message: str,
        *,
        severity: str = "error",
        key: bool = False,
    ) -> Diagnostic:
        line, column = self.at(path, key=key)
        return Diagnostic(self.file, line, column, message, severity)  # type: ignore[arg-type]


def _mark(node: Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


class _Builder:
    def __init__(self, file: str) -> None:
        self.marks = Marks(file)
        self.problems: list[Diagnostic] = []
        self.count = 0
        self.active: set[int] = set()

    def problem(self, node: Node, message: str) -> None:
        line, column = _mark(node)
        self.problems.append(Diagnostic(self.marks.file, line, column, message))

    def build(self, node: Node, path: Path) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise _TooLarge(node)
        if len(path) > MAX_DEPTH:
            raise _TooDeep(node.start_mark)
        if id(node) in self.active:
            self.problem(node, "别名引用了它自身所在的节点（递归别名），无法展开")
            return None
        self.marks.positions.setdefault(path, _mark(node))
        if node.tag not in _SAFE_TAGS:
            self.problem(
                node,
                f"不允许的 YAML 标签 {node.tag}：工作方案只能使用字符串、数字、日期、列表和映射",
            )
            return None
        if isinstance(node, ScalarNode):
            return self.scalar(node)
        self.active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
            if isinstance(node, MappingNode):
                return self.mapping(node, path)
        finally:
            self.active.discard(id(node))
        self.problem(node, "无法识别的 YAML 节点")  # pragma: no cover - composer yields only these
        return None

    def mapping(self, node: MappingNode, path: Path) -> dict[str, Any]:
        result: dict[str, Any] = {}
        seen: dict[str, tuple[int, int]] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                self.problem(key_node, "不支持合并键 <<：请把需要的键逐一写出")
                continue
            if not isinstance(key_node, ScalarNode):
                self.problem(key_node, "映射的键必须是简单的文字")
                continue
            key = str(key_node.value)
            if key in seen:
                line, _ = seen[key]
                self.problem(key_node, f"键 {key} 重复出现（第 {line} 行已有），请删去其中一个")
                continue
            seen[key] = _mark(key_node)
            self.marks.key_positions[(*path, key)] = _mark(key_node)
            result[key] = self.build(value_node, (*path, key))
        return result

    def scalar(self, node: ScalarNode) -> Any:
        text = node.value
        tag = node.tag
        if tag == "tag:yaml.org,2002:null":
            return None
        if tag == "tag:yaml.org,2002:bool":
            return text.lower() == "true"
        if tag == "tag:yaml.org,2002:int":
            try:
                return int(text.replace("_", ""), 0)
            except ValueError:
                return text  # YAML 1.1 forms such as 1:30 stay as written
        if tag == "tag:yaml.org,2002:float":
            try:
                return float(text.replace("_", ""))
            except ValueError:
                return text
        if tag == "tag:yaml.org,2002:timestamp":
            match = _DATE.match(text)
            if not match:
                return text  # a time of day is not a programme date; checked later as text
            try:
                return date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                self.problem(node, f"日期 {text} 不存在")
                return text
        return text


_TOO_DEEP = f"YAML 嵌套超过 {MAX_DEPTH} 层（或别名展开过深），已拒绝读取"


class _TooDeep(Exception):
    def __init__(self, mark: yaml.Mark) -> None:
        self.mark = mark

    def diagnostic(self, file: str) -> Diagnostic:
        return Diagnostic(file, self.mark.line + 1, self.mark.column + 1, _TOO_DEEP)


def _position(text: str, index: int) -> tuple[int, int]:
    """1-based line and column of character ``index`` of ``text``."""
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


class _TooLarge(Exception):
    def __init__(self, node: Node) -> None:
        self.node = node


def read_yaml(text: str, file: str) -> tuple[Any, Marks]:
    """Parse ``text`` (the contents of ``file``) into plain data and its marks.

    Raises ``DefinitionError`` with every problem found; a YAML syntax error is reported at
    its own line and column.
    """
    builder = _Builder(file)
    try:
        root = _compose(text)
    except _TooDeep as exc:
        raise DefinitionError([exc.diagnostic(file)]) from None
    except RecursionError:  # pragma: no cover - MAX_DEPTH stops well before
        raise DefinitionError([Diagnostic(file, 1, 1, _TOO_DEEP)]) from None
    except yaml.reader.ReaderError as exc:
        line, column = _position(text, exc.position)
        what = (
            f"不允许的字符 U+{exc.character:04X}" if isinstance(exc.character, int) else "无法读取"
        )
        raise DefinitionError([Diagnostic(file, line, column, f"YAML 语法错误：{what}")]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = exc.problem or exc.context or "语法错误"
        raise DefinitionError([Diagnostic(file, line, column, f"YAML 语法错误：{what}")]) from exc
    except yaml.YAMLError as exc:
        raise DefinitionError([Diagnostic(file, 1, 1, f"YAML 语法错误：{exc}")]) from exc
    if root is None:
        raise DefinitionError([Diagnostic(file, 1, 1, "文件是空的：缺少工作方案定义")])
    try:
        data = builder.build(root, ())
    except _TooDeep as exc:
        raise DefinitionError([exc.diagnostic(file)]) from None
    except RecursionError:  # pragma: no cover - MAX_DEPTH stops well before
        raise DefinitionError([Diagnostic(file, 1, 1, _TOO_DEEP)]) from None
    except _TooLarge as exc:
        line, column = _mark(exc.node)
        raise DefinitionError(
            [
                Diagnostic(
                    file,
                    line,
                    column,
                    f"文件展开后超过 {MAX_NODES} 个节点，疑似别名炸弹，已拒绝读取",
                )
            ]
        ) from None
    if builder.problems:
        raise DefinitionError(builder.problems)
    return data, builder.marks
