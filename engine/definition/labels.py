"""Every label a code stands for, in one table beside the schema's Literals.

The definition's codes (a body's ``kind``, a decision's ``outcome`` ...) and the engine's own
(colours, the triggers the engine writes, the kinds of notice) are shown to people only by
these labels; ``tests/definition/test_labels.py`` checks that every Literal value has one.
"""

from __future__ import annotations

__all__ = [
    "BODY_KIND_LABELS",
    "COLOUR_LABELS",
    "COLOUR_LAMPS",
    "COLOUR_MEANINGS",
    "COLOUR_NAMES",
    "ENGINE_TRIGGER_LABELS",
    "EXTENSION_LABELS",
    "NOTICE_KIND_LABELS",
    "OUTCOME_LABELS",
    "TAKES_LABELS",
    "engine_trigger_label",
]

BODY_KIND_LABELS = {
    "leadership": "省领导机构",
    "department": "省直部门",
    "city": "地级以上市",
    "district": "区",
    "inspection_group": "检查组",
    "office": "办事机构",
    "city_government": "市政府",
    "city_department": "市直部门",
    "county": "县区政府",
    "county_department": "县区部门",
    "township": "乡镇街道",
    "leader": "分管领导",
    "project_owner": "项目业主单位",
}
OUTCOME_LABELS = {"accept": "同意", "reject": "不同意", "return": "退回"}
TAKES_LABELS = {"document": "报送文件", "decision": "作出决定"}
EXTENSION_LABELS = {"request": "延期申请", "grant": "批准延期", "refuse": "不批准延期"}

COLOUR_NAMES = {"green": "绿", "blue": "蓝", "yellow": "黄", "red": "红"}
COLOUR_LAMPS = {code: f"{name}灯" for code, name in COLOUR_NAMES.items()}
COLOUR_MEANINGS = {"green": "已办结", "blue": "未到期", "yellow": "临近到期", "red": "已逾期"}
COLOUR_LABELS = {code: f"{COLOUR_LAMPS[code]}（{COLOUR_MEANINGS[code]}）" for code in COLOUR_NAMES}

#: Triggers the engine itself writes into the trail (see ``engine.runtime.service``);
#: ``{item}`` is the programme's noun for its items (``engine_trigger_label``).
ENGINE_TRIGGER_LABELS = {
    "enrol": "登记{item}",
    "migrate-definition": "迁移工作方案定义",
    "correction.withdraw": "撤回记录",
    "correction.amend": "更正记录",
    "register-programme": "登记工作方案",
    "notify": "发出提醒",
}


def engine_trigger_label(trigger: str, item: str) -> str:
    """What an engine-written event did (``登记任务``), worded with the programme's ``item``;
    a trigger of no step and not the engine's is shown as it is."""
    return ENGINE_TRIGGER_LABELS.get(trigger, trigger).format(item=item)


#: Notice templates by kind, as a reminder run names them.
NOTICE_KIND_LABELS = {
    "reminder": "临近提醒",
    "urge": "催报通知",
    "progress_summary": "汇总提醒",
    "inspection": "检查工作通知",
    "meeting": "现场会通知",
}
