"""``docflow validate``'s check of the notice templates a programme names.

Every template named in ``notices`` or by a reminder policy (``notice_before``,
``notice_overdue``) - the programme's own ``notices/`` first, then the defaults - must exist,
parse, and use only the fields of ``NoticeContext`` (``engine.delivery.noticecontext``: what
the reminder runner gives every notice), attribute lookups included. Problems are reported
at the line of the YAML that names the template.
"""

from __future__ import annotations

from pathlib import Path

from engine.definition.noticefiles import notice_kinds
from engine.definition.schema import Programme
from engine.definition.yamlio import Marks
from engine.delivery.notices import NoticeRenderer
from engine.errors import Diagnostic

__all__ = ["check_programme_templates"]


def check_programme_templates(programme: Programme, marks: Marks, folder: Path) -> list[Diagnostic]:
    named = notice_kinds(programme)
    renderer = NoticeRenderer.for_programme(folder)
    found: list[Diagnostic] = []
    for name, path in named.items():
        for problem in renderer.check_template(name):
            found.append(marks.diagnostic(path, f"通知模板 {name}：{problem}"))
    return found
