"""Reading many points to enrol at once: ``docflow enrol PROGRAMME --from points.yaml|.csv``.

YAML::

    points:
      - {unit: guangzhou, title: 汽车产业链提升, id: guangzhou-1, file: docs/gz-1.pdf}

CSV (UTF-8, a header row; ``id`` and ``file`` optional)::

    unit,title,id,file
    guangzhou,汽车产业链提升,,

Relative ``file`` paths are taken from the folder of the points file. Every problem names the
file and line.
"""

from __future__ import annotations

import csv
from pathlib import Path

from engine.errors import InputFileError
from engine.runtime.service import NewPoint

__all__ = ["read_points_file"]

_KEYS = {"unit", "title", "id", "file"}


def read_points_file(path: Path) -> list[NewPoint]:
    if path.is_dir():
        raise InputFileError(str(path), "这是一个目录，不是文件")
    if not path.is_file():
        raise InputFileError(str(path), "文件不存在")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(str(path), f"无法以 UTF-8 读取（{exc.__class__.__name__}）") from None
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return _from_yaml(path, text)
    if suffix == ".csv":
        return _from_csv(path, text)
    raise InputFileError(str(path), "只支持 .yaml、.yml 或 .csv 文件")


def _point(path: Path, line: int, item: dict[str, object]) -> NewPoint:
    unknown = set(item) - _KEYS
    if unknown:
        raise InputFileError(
            f"{path}:{line}",
            f"未知的字段 {'、'.join(sorted(unknown))}（可用：unit、title、id、file）",
        )
    unit = str(item.get("unit") or "").strip()
    title = str(item.get("title") or "").strip()
    if not unit or not title:
        raise InputFileError(f"{path}:{line}", "每个突破点须有 unit（单位 id）和 title（名称）")
    point_id = str(item["id"]).strip() if item.get("id") else None
    file = Path(str(item["file"])) if item.get("file") else None
    if file is not None and not file.is_absolute():
        file = path.parent / file
    return NewPoint(unit=unit, title=title, file=file, point_id=point_id)


def _from_yaml(path: Path, text: str) -> list[NewPoint]:
    from engine.definition.yamlio import read_yaml
    from engine.errors import DefinitionError

    try:
        data, marks = read_yaml(text, str(path))
    except DefinitionError as exc:
        first = exc.diagnostics[0]
        raise InputFileError(f"{first.file}:{first.line}:{first.column}", first.message) from None
    items = data.get("points") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        raise InputFileError(str(path), "应有一个非空的 points 列表")
    points = []
    for i, item in enumerate(items):
        line, _ = marks.at(("points", i))
        if not isinstance(item, dict):
            raise InputFileError(f"{path}:{line}", "每一项应是映射（unit、title 等）")
        points.append(_point(path, line, item))
    return points


def _from_csv(path: Path, text: str) -> list[NewPoint]:
    reader = csv.DictReader(text.splitlines())
    if reader.fieldnames is None or not {"unit", "title"} <= set(reader.fieldnames):
        raise InputFileError(f"{path}:1", "CSV 的表头应至少有 unit 和 title 两列")
    points = []
    for row in reader:
        cleaned = {k: v for k, v in row.items() if k is not None and v not in (None, "")}
        points.append(_point(path, reader.line_num, cleaned))
    if not points:
        raise InputFileError(str(path), "没有任何突破点")
    return points
