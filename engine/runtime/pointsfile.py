"""Reading many points to enrol at once: ``docflow enrol PROGRAMME --from points.yaml|.csv``.

YAML::

    points:
      - {unit: guangzhou, title: 汽车产业链提升, id: guangzhou-1, file: docs/gz-1.pdf}
      - {unit: housing, title: 老旧小区改造, co: [finance, land]}
      - {unit: counties, title: 农村人居环境整治}      # a group: one point per member

CSV (UTF-8, a header row; ``id``, ``file`` and ``co`` optional; ``co`` separated by 、 or ;)::

    unit,title,id,file,co
    guangzhou,汽车产业链提升,,,
    housing,老旧小区改造,,,finance;land

``unit`` is the lead unit (牵头单位) or a group of them (``engine.runtime.enrolling``), ``co``
the co-responsible units (责任单位).

Relative ``file`` paths are taken from the folder of the points file, and a ``file`` must
stay inside that folder (no ``..`` out of it, no absolute path elsewhere, no link leading
out) and be a regular file: a points file handed over by a unit cannot make docflow copy
``/etc/shadow`` or read ``/dev/zero`` into the documents store. Ids keep to a safe alphabet
and titles, ids and unit names hold no control, bidirectional or invisible characters.
Every problem names the file and line.
"""

from __future__ import annotations

import csv
import os
import re
import stat
from pathlib import Path

from engine.errors import ITEM, InputFileError
from engine.runtime.service import NewPoint
from engine.runtime.userinput import check_point_id, check_text

__all__ = ["MAX_FIELD", "MAX_POINTS_FILE", "read_points_file"]

_KEYS = {"unit", "title", "id", "file", "co"}
_CO_SEPARATORS = re.compile(r"[、;；,，\s]+")
#: The longest CSV field read (bytes); csv's own limit is 128 KiB and raises in English.
MAX_FIELD = 128 * 1024 - 1
#: The largest points file read (bytes): a million points fit in far less.
MAX_POINTS_FILE = 256 * 1024 * 1024


def read_points_file(path: Path) -> list[NewPoint]:
    if path.is_dir():
        raise InputFileError(str(path), "这是一个目录，不是文件")
    if not path.exists():
        raise InputFileError(str(path), "文件不存在")
    _require_regular(path, str(path))
    if path.stat().st_size > MAX_POINTS_FILE:
        raise InputFileError(str(path), f"文件过大（上限 {MAX_POINTS_FILE >> 20} MB）")
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
            f"未知的字段 {'、'.join(sorted(unknown))}（可用：unit、title、id、file、co）",
        )
    where = f"{path}:{line}"
    unit = str(item.get("unit") or "").strip()
    title = str(item.get("title") or "").strip()
    if not unit or not title:
        raise InputFileError(where, f"每个{ITEM}须有 unit（牵头单位或组的 id）和 title（名称）")
    check_text(unit, f"{where} 的 unit")
    check_text(title, f"{where} 的 title")
    point_id = str(item["id"]).strip() if item.get("id") else None
    if point_id is not None:
        check_point_id(point_id, f"{where} 的 id")
    file = _confined(path, where, str(item["file"])) if item.get("file") else None
    co = _co_units(where, item.get("co"))
    return NewPoint(unit=unit, title=title, file=file, point_id=point_id, co=co)


def _co_units(where: str, value: object) -> tuple[str, ...]:
    """``co``: a list of units, or one text of units separated by 、 or ; (CSV)."""
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        names = [n for n in _CO_SEPARATORS.split(value) if n]
    elif isinstance(value, list) and all(isinstance(n, str) for n in value):
        names = [n.strip() for n in value if n.strip()]
    else:
        raise InputFileError(where, "co（责任单位）应是单位 id 的列表，如 [finance, land]")
    for name in names:
        check_text(name, f"{where} 的 co")
    return tuple(names)


def _confined(points_file: Path, where: str, name: str) -> Path:
    """The file a points file names, which must lie inside the points file's folder."""
    check_text(name, f"{where} 的 file")
    folder = points_file.parent.resolve()
    given = Path(name)
    candidate = given if given.is_absolute() else folder / given
    try:
        real = candidate.resolve(strict=False)
    except (OSError, RuntimeError):  # a loop of links
        raise InputFileError(where, f"无法解析文件路径 {name}") from None
    if not real.is_relative_to(folder):
        raise InputFileError(
            where, f"文件 {name} 不在批量登记文件所在的目录 {folder} 之内：只能引用该目录中的文件"
        )
    if not real.exists():
        raise InputFileError(where, f"文件 {name} 不存在")
    _require_regular(real, f"{where} 的文件 {name}")
    return candidate


def _require_regular(path: Path, where: str) -> None:
    """Refuse a directory, device, FIFO or socket: only regular files are read."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise InputFileError(where, f"无法读取（{exc.strerror or exc}）") from None
    if stat.S_ISDIR(mode):
        raise InputFileError(where, "这是一个目录，不是文件")
    if not stat.S_ISREG(mode):
        raise InputFileError(where, "不是普通文件（设备、管道或套接字），不能读取")


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
    try:
        fieldnames = reader.fieldnames
    except csv.Error as exc:
        raise _csv_problem(path, 1, exc) from None
    if fieldnames is None or not {"unit", "title"} <= set(fieldnames):
        raise InputFileError(f"{path}:1", "CSV 的表头应至少有 unit 和 title 两列")
    points = []
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:  # raised before the failing line is counted
            raise _csv_problem(path, reader.line_num + 1, exc) from None
        cleaned = {k: v for k, v in row.items() if k is not None and v not in (None, "")}
        points.append(_point(path, reader.line_num, cleaned))
    if not points:
        raise InputFileError(str(path), f"没有任何{ITEM}")
    return points


def _csv_problem(path: Path, line: int, exc: csv.Error) -> InputFileError:
    if "field larger than field limit" in str(exc):
        return InputFileError(
            f"{path}:{line}", f"有一个字段超过 {(MAX_FIELD + 1) >> 10} KB，不是批量登记的数据"
        )
    return InputFileError(f"{path}:{line}", f"CSV 格式有误（{exc}）")
