"""The programme definition: what a work programme requires, of whom, by when, and why.

The shape is checked here (pydantic v2, frozen, unknown keys rejected); what the shape cannot
say - references between parts, reachability, the order of deadlines, quotes found in the
source notice - is checked by ``engine.definition.checks``. Field descriptions are in Chinese:
they become the hover text administrators see in their editor through ``docflow schema``.

Layout of a programme file (``programme.yaml``)::

    programme:          header: title, year, 发文字号, issuer, documents, contacts, calendar
    bodies:             every body that acts, receives or is inspected
    groups:             named groups of bodies (the 19 departments, the cities, ...)
    relations:          pairs of bodies, such as each unit's 分管领导 (leader in charge)
    working_group:      the leading group (组长, 副组长, 成员, 日常工作)
    inspection_groups:  the inspection groups, their lead bodies and the units they visit
    phases:             the phases with their windows (3月-4月, 4-9月, 10月, 11月)
    points:             who proposes points, how many, and the life cycle of one point
    tasks:              work that is not one point's: a unit's or the programme's
    reports:            recurring reports (每月28日前, 每季度末), each occurrence its own duty
    reminder_policies:  when to remind and 催报, whom to copy
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
)
from pydantic_core import PydanticCustomError

from engine.definition.textvalues import Email, Line
from engine.errors import DEFAULT_ITEM

__all__ = [
    "ANY_STATE",
    "CO",
    "DEFAULT_ITEM",
    "INSPECTOR",
    "LEAD",
    "OWNER",
    "Amendment",
    "Body",
    "CalendarSettings",
    "Contact",
    "Deadline",
    "Enrolment",
    "Group",
    "Header",
    "HolidayEntry",
    "InspectionGroup",
    "Lifecycle",
    "Phase",
    "Programme",
    "Relation",
    "ReminderPolicy",
    "Report",
    "SourceDocument",
    "SourceRef",
    "State",
    "Task",
    "Transition",
    "WorkingGroup",
]

#: ``actor: owner`` - the unit that owns the point fires the transition.
OWNER = "owner"
#: ``actor: lead`` - another name of ``owner``: the point's lead unit (牵头单位).
LEAD = "lead"
#: ``actor: inspector`` - the lead body of the inspection group that visits the point's unit.
INSPECTOR = "inspector"
#: ``recipients: [co]`` - each co-responsible unit (责任单位/配合单位) of the point.
CO = "co"
#: ``source: "*"`` - every state that is not final.
ANY_STATE = "*"

Identifier = Annotated[
    str,
    Field(
        pattern=r"^[a-z][a-z0-9_-]*$",
        max_length=64,
        description="标识符：小写英文字母开头，可含数字、下划线、连字符",
    ),
]
Text = Annotated[str, Field(min_length=1, max_length=2000)]


# A number must be written as a number: lax mode would read ``hour: true`` as 1 and a quoted
# "2011" as 2011 without a word.
Int = StrictInt
Bool = StrictBool

# Bounds of the numbers a definition gives the runtime: beyond them it would count working
# days past the years the calendar knows (``before: [500000000]``), mail a unit hundreds of
# times (``overdue_times: 100000``) or enrol without end. A year has about 250 working days.
MAX_DAYS_BEFORE = 120
MAX_REMINDERS_BEFORE = 10
MAX_OVERDUE_EVERY = 60
MAX_OVERDUE_TIMES = 20
MAX_WARN_DAYS = 120
MAX_MAKEUP_DAYS = 60
MAX_POINTS_PER_UNIT = 1_000_000
# Dates a definition gives (成文日期, listed holidays and working days) lie within these: the
# programme years are 2000-2100, and ``docflow roll`` moves dates by up to a century, which
# from a mistyped 9999 would leave the calendar (a traceback instead of a message).
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2199, 12, 31)


def _sane_day(value: date) -> date:
    if not FIRST_DAY <= value <= LAST_DAY:
        raise PydanticCustomError(
            "date_range",
            "date outside the years a programme uses",
            {"first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()},
        )
    return value


def _bare_number(value: str) -> str:
    if value[:1] in "（(" and value[-1:] in "）)":
        raise PydanticCustomError("bracketed_doc_number", "a 发文字号 in brackets", {})
    return value


#: A 发文字号 as the notice prints it (粤经信技改〔2011〕333号); the brackets around it in
#: a citation are the notices' own, so a number written in brackets would print twice.
DocNumber = Annotated[Line, AfterValidator(_bare_number)]

_ITEM_NOUN = re.compile(r"^[\u4e00-\u9fffA-Za-z]{1,8}$")


def _item_noun(value: str) -> str:
    if not _ITEM_NOUN.match(value):
        raise PydanticCustomError("item_noun", "not a short noun", {})
    return value


#: The programme's word for what moves through it: a short noun (任务, 项目, 事项).
ItemNoun = Annotated[
    str,
    Field(json_schema_extra={"pattern": "^[\\u4e00-\\u9fffA-Za-z]{1,8}$"}),
    AfterValidator(_item_noun),
]

#: A date of the definition, within the years the calendar and ``roll`` handle.
Day = Annotated[date, AfterValidator(_sane_day)]


def _tuple_of(value: Any) -> Any:
    """Accept a single item where a list is expected (``source: approved``)."""
    if isinstance(value, str):
        return (value,)
    return value


# ``json_schema_input_type``: the published JSON Schema must accept the single item too, or
# editors would flag ``source: approved`` in a valid programme.
IdList = Annotated[
    tuple[Identifier, ...],
    BeforeValidator(_tuple_of, json_schema_input_type=Identifier | list[Identifier]),
]
StateRef = Annotated[
    str,
    Field(
        pattern=r"^(?:\*|[a-z][a-z0-9_-]*)$",
        max_length=64,
        description="状态的 id，或「*」表示所有非终止状态",
    ),
]
StateRefs = Annotated[
    tuple[StateRef, ...],
    BeforeValidator(_tuple_of, json_schema_input_type=StateRef | list[StateRef]),
]


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=False)


class SourceRef(Model):
    """Where a rule comes from: a document of the programme, a clause, optionally a quote."""

    document: Identifier = Field(description="出处文件的标识（programme.documents 中的 id）")
    clause: Line = Field(description="条款，如「五、第3项」「三、(一) 1」")
    quote: Text | None = Field(
        default=None, description="原文引语，必须与出处文件逐字一致（校验时忽略空白）"
    )


class Amendment(Model):
    """A later document that changed a deadline; the last amendment governs."""

    phrase: Line = Field(description="改定后的时限表述，如「5月10日前」")
    source: SourceRef
    note: Text | None = Field(default=None, description="说明")


class Deadline(Model):
    """A deadline as the notice writes it, with where it comes from and later amendments."""

    phrase: Line = Field(description="时限表述，按通知原文，如「4月底」「9月中旬」「年底前」")
    starts: Line | None = Field(default=None, description="开始时间的表述（可选），如「国庆节后」")
    source: SourceRef
    amendments: tuple[Amendment, ...] = Field(
        default=(), description="后发文件对时限的改定，按发文先后排列，最后一项为准"
    )

    @property
    def governing_phrase(self) -> str:
        return self.amendments[-1].phrase if self.amendments else self.phrase

    @property
    def governing_source(self) -> SourceRef:
        return self.amendments[-1].source if self.amendments else self.source


class Contact(Model):
    name: Line = Field(description="联系人姓名")
    body: Identifier = Field(description="所在单位（bodies 中的 id）")
    phone: Line = Field(description="电话")
    fax: Line | None = Field(default=None, description="传真")
    email: Email | None = Field(default=None, description="电子邮箱")


class SourceDocument(Model):
    """A document the programme is made of (the cover notice, the programme itself)."""

    id: Identifier
    title: Line = Field(description="文件标题")
    doc_number: DocNumber | None = Field(
        default=None, description="发文字号，如 粤经信技改〔2011〕333号"
    )
    issuer: Identifier = Field(description="发文机关（bodies 中的 id）")
    issued: Day | None = Field(default=None, description="成文日期")
    text_file: Line | None = Field(
        default=None, description="与定义放在同一目录的原文文本文件，用于核对引语"
    )


class HolidayEntry(Model):
    """A holiday listed by the programme itself, for years the holiday data does not cover."""

    key: Literal[
        "new_years_day",
        "spring_festival",
        "tomb_sweeping_day",
        "labour_day",
        "dragon_boat_festival",
        "mid_autumn_festival",
        "national_day",
    ] = Field(description="节日")
    first: Day = Field(description="放假第一天")
    last: Day = Field(description="放假最后一天")


class CalendarSettings(Model):
    """How deadline phrases become dates; the defaults follow DOMAIN conventions."""

    month_start_last_day: Int = Field(
        default=5, ge=1, le=15, description="「月初」的最后一天（默认 1-5 日）"
    )
    month_end_first_day: Int = Field(
        default=25, ge=16, le=28, description="「月底」「月末」的第一天（默认 25 日至月末）"
    )
    midyear: Text | None = Field(
        default=None, description="「年中」按哪个时限理解（无权威定义，须由管理员指定，如「6月」）"
    )
    shift_to_working_day: Bool = Field(
        default=False, description="到期日遇节假日是否顺延至下一工作日（默认不顺延）"
    )
    holidays: tuple[HolidayEntry, ...] = Field(
        default=(), description="节假日（仅在日历库没有该年数据时需要列出）"
    )
    workdays: tuple[Day, ...] = Field(default=(), description="调休上班日（同上）")


class Header(Model):
    """The programme as the notice presents it."""

    id: Identifier = Field(description="工作方案标识，如 gd-2011")
    title: Line = Field(description="工作方案名称")
    year: Int = Field(ge=2000, le=2100, description="年度")
    item: ItemNoun = Field(
        default=DEFAULT_ITEM,
        description="工作方案办理的对象叫什么（通知、状态表、报告、汇总表和提示中都用这个词），"
        "如 突破点（默认）、任务、项目、事项；不超过 8 个汉字或字母，不含空格和标点",
    )
    doc_number: DocNumber | None = Field(
        default=None, description="发文字号（原文未载的不写；写了才在通知和报表中列出）"
    )
    issuer: Identifier = Field(description="发文机关（bodies 中的 id）")
    issued: Day = Field(description="成文日期")
    addressees: tuple[Line, ...] = Field(min_length=1, description="主送机关，按原文")
    attachments: tuple[Line, ...] = Field(default=(), description="附件名称")
    contacts: tuple[Contact, ...] = Field(default=(), description="联系人及联系方式")
    timezone: Literal["Asia/Shanghai"] = Field(default="Asia/Shanghai", description="时区")
    date_style: Literal["auto", "chinese", "arabic"] = Field(
        default="auto",
        description="公文日期写法：auto 为 2012 年以前用汉字（二〇一一年），以后用阿拉伯数字",
    )
    sender_email: Email = Field(description="提醒邮件的发件地址")
    documents: tuple[SourceDocument, ...] = Field(
        min_length=1, description="构成本方案的文件，按发文先后排列"
    )
    calendar: CalendarSettings = Field(default_factory=CalendarSettings)


class Body(Model):
    id: Identifier
    short: Line = Field(description="简称，如 省经济和信息化委")
    name: Line = Field(description="全称，如 广东省经济和信息化委员会")
    kind: Literal[
        "leadership",
        "department",
        "city",
        "district",
        "inspection_group",
        "office",
        "city_government",
        "city_department",
        "county",
        "county_department",
        "township",
        "leader",
        "project_owner",
    ] = Field(
        description="类别：leadership 省领导机构、department 省直部门、city 地级以上市、district 区、"
        "inspection_group 检查组、office 办事机构、city_government 市政府、city_department 市直部门、"
        "county 县区政府、county_department 县区部门、township 乡镇街道、leader 分管领导、"
        "project_owner 项目业主单位"
    )
    email: Email | None = Field(default=None, description="接收通知的电子邮箱")
    leadership_email: Email | None = Field(
        default=None, description="单位分管领导的邮箱（末次催报时抄送）"
    )


class Group(Model):
    id: Identifier
    label: Line = Field(description="名称，如 19个省直有关部门")
    members: IdList = Field(min_length=1, description="成员：单位或其他组的 id")
    source: SourceRef | None = None


class Relation(Model):
    """Pairs of bodies (each unit's 分管领导): as actor or recipient, the lead unit's pair."""

    id: Identifier
    label: Line = Field(description="名称，如 分管市领导")
    pairs: dict[Identifier, Identifier] = Field(
        min_length=1, description="单位 id -> 与之对应的单位 id，如 housing: vm-wang"
    )
    source: SourceRef | None = None


class InspectionGroup(Model):
    id: Identifier
    label: Line = Field(description="名称，如 第一检查组")
    lead: Identifier = Field(description="组长单位（bodies 中的 id）")
    inspects: IdList = Field(min_length=1, description="负责检查的单位或组")
    members: IdList = Field(default=(), description="派员参加的单位（各派一名处级干部）")


class WorkingGroup(Model):
    label: Line = Field(description="名称")
    leader: Line = Field(description="组长，如 佟星副省长")
    deputies: tuple[Line, ...] = Field(default=(), description="副组长")
    members: IdList = Field(default=(), description="成员单位或组")
    daily_work: Identifier = Field(description="承担日常工作的单位")
    source: SourceRef | None = None


class Phase(Model):
    id: Identifier
    label: Line = Field(description="阶段名称，如 第一阶段：确定转型升级突破点，制定工作方案")
    window: Line = Field(description="时段表述，如「3月-4月」「4-9月」「10月」「11月」")
    source: SourceRef


class State(Model):
    id: Identifier
    label: Line = Field(description="状态名称（中文）")
    initial: Bool = Field(default=False, description="是否为初始状态（只能有一个）")
    final: Bool = Field(default=False, description="是否为终止状态")


class Transition(Model):
    """One move of a point, fired by a document (a submission) or a recorded decision."""

    trigger: Identifier = Field(description="触发名，在本方案内唯一")
    task: Identifier | None = Field(
        default=None,
        description="命令行中的事项名（--task），默认同 trigger；同一事项的决定可有多个结果",
    )
    label: Line = Field(description="事项名称（中文）")
    source: StateRefs = Field(min_length=1, description="起始状态；「*」表示所有非终止状态")
    dest: Identifier | None = Field(default=None, description="目标状态；不写表示状态不变")
    # ``actor: lead`` is read as ``actor: owner``: one spelling for the code to compare with.
    actor: Annotated[Identifier, BeforeValidator(lambda v: OWNER if v == LEAD else v)] = Field(
        description="谁可以触发：owner（或 lead）为牵头单位，inspector 为负责该单位的检查组组长单位，"
        "relations 中的关系 id（如 leader：牵头单位的分管领导），或单位、组的 id"
    )
    takes: Literal["document", "decision"] = Field(description="由文件（报送）还是决定触发")
    outcome: Literal["accept", "reject", "return"] | None = Field(
        default=None, description="决定的结果：accept 同意、reject 不同意、return 退回"
    )
    document: Line | None = Field(default=None, description="报送的文件名称，如 突破点工作方案")
    recipients: IdList = Field(
        default=(), description="报送对象：单位、组或关系（如 leader）的 id，或 co（各责任单位）"
    )
    deadline: Deadline | None = None
    reminders: Identifier | None = Field(
        default=None, description="提醒规则（reminder_policies 的 id）"
    )
    phase: Identifier | None = Field(default=None, description="所属阶段")
    phase_exception: Text | None = Field(
        default=None, description="时限不在所属阶段内时的说明（有说明则只作警告）"
    )
    extension: Literal["request", "grant", "refuse"] | None = Field(
        default=None,
        description="延期：request 为申请（须在到期前），grant 为批准（须给出新期限），refuse 为不批准",
    )
    source_clause: SourceRef | None = Field(default=None, description="没有时限的事项的出处")
    rectify_within: Line | None = Field(
        default=None,
        description="退回时的整改期限，从退回之日起算，如 5个工作日内、10日内（仅 outcome: return）",
    )

    @property
    def task_id(self) -> str:
        return self.task or self.trigger


class Enrolment(Model):
    proposers: IdList = Field(min_length=1, description="提出突破点的单位或组")
    min_per_unit: Int = Field(
        default=1,
        ge=0,
        le=MAX_POINTS_PER_UNIT,
        description=f"每个单位至少提出几个（0-{MAX_POINTS_PER_UNIT}）",
    )
    max_per_unit: Int = Field(
        default=2,
        ge=1,
        le=MAX_POINTS_PER_UNIT,
        description=f"每个单位至多提出几个（1-{MAX_POINTS_PER_UNIT}）",
    )
    task: Identifier | None = Field(
        default=None, description="登记突破点即完成的单位事项（tasks 中的 id），如 提出突破点"
    )
    source: SourceRef


class Lifecycle(Model):
    enrolment: Enrolment
    states: tuple[State, ...] = Field(min_length=1)
    transitions: tuple[Transition, ...] = Field(min_length=1)


class Task(Model):
    """Work that is not one point's: a unit's report covering its points, or the programme's."""

    id: Identifier
    label: Line = Field(description="事项名称")
    level: Literal["unit", "programme"] = Field(
        description="unit 为各单位登记突破点即完成的事项（只能是 points.enrolment.task），"
        "programme 为全省层面由一个单位完成"
    )
    responsible: IdList = Field(min_length=1, description="负责单位或组")
    recipients: IdList = Field(default=(), description="报送对象")
    document: Line | None = Field(default=None, description="形成的文件")
    deadline: Deadline | None = None
    waits_for: IdList = Field(
        default=(), description="须等待完成的事项或突破点事项（trigger/task 的 id）"
    )
    reminders: Identifier | None = None
    phase: Identifier | None = None
    phase_exception: Text | None = None
    source_clause: SourceRef | None = None


MonthNumber = Annotated[Int, Field(ge=1, le=12)]


class Report(Model):
    """A recurring report: each occurrence of ``every`` is its own obligation."""

    id: Identifier
    label: Line = Field(description="名称，如 报送任务推进情况")
    owed_by: IdList = Field(min_length=1, description="owner、co 或单位、组的 id")
    per: Literal["item", "unit"] = Field(default="item", description="每项或每个单位每期一份")
    while_: StateRefs = Field(default=(), alias="while", description="这些状态时须报（owner）")
    from_: Line | None = Field(default=None, alias="from", description="第一期，如 2021年3月")
    until: Line | None = Field(default=None, description="最后一期，如 2021年12月")
    every: Line = Field(description="周期性时限，如「每月28日前」「次月10日前」「每季度末」")
    except_: tuple[MonthNumber, ...] = Field(default=(), alias="except", description="不报的月份")
    document: Line | None = Field(default=None, description="报送的文件名称")
    recipients: IdList = Field(default=(), description="报送对象")
    reminders: Identifier | None = Field(default=None, description="提醒规则的 id")
    source: SourceRef | None = Field(default=None, description="出处")


DaysBefore = Annotated[Int, Field(le=MAX_DAYS_BEFORE)]


class ReminderPolicy(Model):
    id: Identifier
    label: Line = Field(description="规则名称")
    before: tuple[DaysBefore, ...] = Field(
        default=(5, 2, 0),
        # The count is checked with the meaning (engine.definition.checks), in Chinese.
        json_schema_extra={"maxItems": MAX_REMINDERS_BEFORE},
        description=f"到期前第几个工作日提醒（0 为到期当天；每项 0-{MAX_DAYS_BEFORE}，"
        f"至多 {MAX_REMINDERS_BEFORE} 项）",
    )
    overdue_every: Int = Field(
        default=2,
        ge=1,
        le=MAX_OVERDUE_EVERY,
        description=f"逾期后每隔几个工作日催报（1-{MAX_OVERDUE_EVERY}）",
    )
    overdue_times: Int = Field(
        default=3, ge=0, le=MAX_OVERDUE_TIMES, description=f"最多催报几次（0-{MAX_OVERDUE_TIMES}）"
    )
    warn_days: Int = Field(
        default=5,
        ge=0,
        le=MAX_WARN_DAYS,
        description=f"到期前几个工作日内亮黄灯（0-{MAX_WARN_DAYS}）",
    )
    hour: Int = Field(default=9, ge=0, le=23, description="发送时刻（北京时间，整点，0-23）")
    cc: IdList = Field(default=(), description="催报时抄送的协调单位")
    copy_from_stage: Int = Field(
        default=2,
        ge=1,
        le=MAX_OVERDUE_TIMES,
        description=f"从第几次催报起抄送（1-{MAX_OVERDUE_TIMES}）",
    )
    leadership_at_last: Bool = Field(default=True, description="末次催报是否抄送单位分管领导")
    leadership: Identifier | None = Field(
        default=None, description="末次催报抄送谁：关系 id（如 leader），不写则抄 leadership_email"
    )
    makeup_days: Int = Field(
        default=3,
        ge=1,
        le=MAX_MAKEUP_DAYS,
        description=f"补报期限：催报后几个工作日（1-{MAX_MAKEUP_DAYS}）",
    )
    notice_before: Identifier = Field(default="reminder", description="临近提醒使用的通知模板")
    notice_overdue: Identifier = Field(default="urge", description="催报使用的通知模板")


class Programme(Model):
    """A whole work programme: immutable once loaded."""

    programme: Header
    bodies: tuple[Body, ...] = Field(min_length=1)
    groups: tuple[Group, ...] = ()
    relations: tuple[Relation, ...] = Field(default=(), description="单位之间的对应关系")
    working_group: WorkingGroup | None = None
    inspection_groups: tuple[InspectionGroup, ...] = ()
    phases: tuple[Phase, ...] = Field(min_length=1)
    points: Lifecycle
    tasks: tuple[Task, ...] = ()
    reports: tuple[Report, ...] = Field(default=(), description="周期性报送，每期各是一项义务")
    reminder_policies: tuple[ReminderPolicy, ...] = ()
    notices: tuple[Identifier, ...] = Field(
        default=(), description="本方案用到的通知模板（notices/ 目录下的名称）"
    )
    unconfirmed: tuple[Text, ...] = Field(
        default=(),
        description="待管理员核对的值（如 docflow roll 移到新年度的日期和发文字号），"
        "以点分路径表示，如 programme.issued；核对一项删去一项，未清空前校验时逐项警告",
    )
