"""A complete, realistic notice context from the 2011 Guangdong programme, for template tests.

The programme, deadline, contacts and bodies come from 粤经信技改〔2011〕333号; the points
and reporting figures are illustrative (the real list of points is not public) and say so.
With ``kind``, ``recipient``, ``addressees``, ``today`` and ``step`` are those of that kind.
"""

from __future__ import annotations

import dataclasses
from datetime import date

from engine.delivery.noticecontext import (
    Addressee,
    ContactLine,
    InspectionDates,
    InspectionGroupFacts,
    MeetingFacts,
    NoticeContext,
    PointLine,
    ProgrammeFacts,
    StepFacts,
)

__all__ = ["sample_context"]

_BASE = NoticeContext(
    programme=ProgrammeFacts(
        id="gd-2011",
        title="关于印发全省产业转型升级突破点工作方案的通知",
        doc_number="粤经信技改〔2011〕333号",
        issuer="广东省经济和信息化委员会",
        issued=date(2011, 4, 26),
        year=2011,
        topic="全省产业转型升级突破点工作",
        item="突破点",
    ),
    date_style="auto",
    today=date(2011, 5, 4),
    recipient=Addressee("guangzhou", "广州市", "广州市人民政府"),
    addressees=("广州市人民政府", "佛山市人民政府", "肇庆市人民政府"),
    step=StepFacts(
        label="突破点工作方案",
        phrase="5月10日前",
        due=date(2011, 5, 10),
        clause=(
            "各市、省直各有关部门按全省工作方案要求对选定的每个突破点制定工作方案，"
            "于5月10日前报省经济和信息化委、科技厅"
        ),
    ),
    points=(
        PointLine("gz-1", "汽车产业自主品牌与关键零部件突破点（示例）", "待报送工作方案"),
        PointLine("gz-2", "两化融合促进传统制造业提升突破点（示例）", "工作方案已退回修改"),
    ),
    working_days_left=4,
    stage=2,
    makeup_due=date(2011, 5, 17),
    shift=False,
    cc=("广东省科学技术厅", "省产业转型升级工作小组组长"),
    contacts=(
        ContactLine("蓝艾青", "省经信委", "83135836", fax="83133364"),
        ContactLine("郭秀强", "省科技厅", "83163874"),
    ),
    reported=37,
    total=41,
    missing_units=("汕尾市人民政府", "云浮市人民政府", "省旅游局", "省食品药品监管局"),
    group=InspectionGroupFacts(
        name="第一检查组",
        lead="广东省经济和信息化委员会",
        members=("省科技厅", "省财政厅", "省人力资源和社会保障厅", "省国土资源厅"),
    ),
    dates=InspectionDates(first=date(2011, 10, 24), last=date(2011, 10, 28)),
    meeting=MeetingFacts(
        name="全省推进产业转型升级工作现场会",
        date=date(2011, 12, 20),
        place="另行通知",
        attendees="各市、省有关部门分管领导及相关同志",
    ),
)


def sample_context(kind: str | None = None) -> NoticeContext:
    """The 2011 sample, as the notice of ``kind`` would be sent (a reminder or 催报 to a
    unit about its own points: no inspection group)."""
    if kind == "urge":
        return dataclasses.replace(
            _BASE, today=date(2011, 5, 12), working_days_left=-2, group=InspectionGroupFacts()
        )
    if kind == "reminder":
        return dataclasses.replace(_BASE, group=InspectionGroupFacts())
    if kind == "inspection":
        return dataclasses.replace(_BASE, today=date(2011, 10, 12))
    if kind == "meeting":
        return dataclasses.replace(
            _BASE,
            today=date(2011, 11, 28),
            addressees=("各地级以上市人民政府", "顺德区人民政府", "各省直有关部门"),
        )
    if kind == "progress_summary":
        return dataclasses.replace(
            _BASE,
            today=date(2011, 9, 21),
            recipient=Addressee("eic", "省经信委", "广东省经济和信息化委员会"),
            step=StepFacts(
                label="突破点工作推进情况",
                phrase="9月中旬",
                due=date(2011, 9, 20),
                clause="各市、各部门9月中旬向省经济和信息化委、科技厅报送工作推进情况",
            ),
        )
    return _BASE
