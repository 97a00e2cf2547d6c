from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from jinja2.sandbox import SandboxedEnvironment

from engine.delivery.noticecontext import (
    Addressee,
    InspectionGroupFacts,
    MeetingFacts,
    NoticeContext,
    PointLine,
    StepFacts,
)
from engine.delivery.notices import (
    DEFAULT_DIRECTORY,
    KINDS,
    NoticeRenderer,
    RenderedNotice,
)
from engine.errors import TemplateProblem
from tests.delivery.notice_samples import sample_context

PROGRAMME_TITLE = "关于印发全省产业转型升级突破点工作方案的通知"
DOC_NUMBER = "粤经信技改〔2011〕333号"


@pytest.fixture(scope="module")
def renderer() -> NoticeRenderer:
    return NoticeRenderer()


def make_templates(directory: Path, name: str = "probe", **parts: str) -> NoticeRenderer:
    """Write a kind's three templates (subject, txt, html) into ``directory``."""
    defaults = {"subject": "主题\n", "txt": "正文\n", "html": "<p>正文</p>\n"}
    defaults.update(parts)
    for part, source in defaults.items():
        (directory / f"{name}.{part}.j2").write_text(source, encoding="utf-8")
    return NoticeRenderer(directory)


def render(renderer: NoticeRenderer, kind: str, **changes: Any) -> RenderedNotice:
    return renderer.render(kind, dataclasses.replace(sample_context(kind), **changes))


# --- every kind ------------------------------------------------------------------------------


def test_templates_are_found_in_the_project_notices_folder() -> None:
    assert DEFAULT_DIRECTORY.name == "notices"
    assert (DEFAULT_DIRECTORY / "reminder.txt.j2").is_file()


def test_renderer_uses_jinja_sandbox(renderer: NoticeRenderer) -> None:
    assert isinstance(renderer.env, SandboxedEnvironment)


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_renders_subject_text_and_html(renderer: NoticeRenderer, kind: str) -> None:
    notice = renderer.render(kind, sample_context(kind))
    assert notice.subject
    assert "\n" not in notice.subject
    assert notice.subject in notice.text
    assert notice.html.lstrip().startswith("<!DOCTYPE html>")
    assert notice.subject in notice.html


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_cites_the_source_notice(renderer: NoticeRenderer, kind: str) -> None:
    notice = renderer.render(kind, sample_context(kind))
    cited = f"《{PROGRAMME_TITLE}》（{DOC_NUMBER}）"
    assert cited in notice.text
    assert cited in notice.html


@pytest.mark.parametrize("kind", KINDS)
def test_addressee_line_is_flush_left_and_ends_with_full_width_colon(
    renderer: NoticeRenderer, kind: str
) -> None:
    lines = renderer.render(kind, sample_context(kind)).text.splitlines()
    addressee = lines[2]
    assert addressee.endswith("：")
    assert not addressee[0].isspace()


@pytest.mark.parametrize("kind", KINDS)
def test_signature_date_is_in_chinese_numerals_for_2011(
    renderer: NoticeRenderer, kind: str
) -> None:
    context = sample_context(kind)
    notice = renderer.render(kind, context)
    assert notice.text.rstrip().splitlines()[-1] != ""
    assert f"\n{_chinese(context.today)}\n" in notice.text


def _chinese(day: date) -> str:
    from engine.delivery.gongwen import format_date

    return format_date(day, "chinese")


def test_date_style_arabic_changes_the_signature_date(renderer: NoticeRenderer) -> None:
    notice = render(renderer, "reminder", date_style="arabic")
    assert "\n2011年5月4日\n" in notice.text
    assert "二〇一一" not in notice.text


@pytest.mark.parametrize("kind", ["reminder", "urge", "inspection", "meeting"])
def test_contact_line_gives_names_and_phones(renderer: NoticeRenderer, kind: str) -> None:
    notice = renderer.render(kind, sample_context(kind))
    expected = (
        "（联系人及联系方式：省经信委 蓝艾青，电话：83135836，传真：83133364；"
        "省科技厅 郭秀强，电话：83163874）"
    )
    assert expected in notice.text
    assert expected in notice.html


# --- reminder --------------------------------------------------------------------------------


def test_reminder_lists_the_units_points_and_step(renderer: NoticeRenderer) -> None:
    notice = render(renderer, "reminder")
    assert notice.subject == "关于按时报送突破点工作方案的提醒"
    assert "广州市人民政府：" in notice.text
    for point in sample_context("reminder").points:
        assert point.title in notice.text
        assert point.state_label in notice.text


def test_reminder_lists_only_the_units_own_points_without_a_group(
    renderer: NoticeRenderer,
) -> None:
    notice = render(renderer, "reminder")
    assert "你单位以下突破点尚未报送突破点工作方案：" in notice.text
    assert "组长单位" not in notice.text


@pytest.mark.parametrize(
    ("kind", "sentence"),
    [
        (
            "reminder",
            "你单位作为第五检查组组长单位，负责检查的以下突破点尚未报送检查工作书面报告：",
        ),
        ("urge", "你单位作为第五检查组组长单位，仍有以下负责检查的突破点未报送检查工作书面报告："),
    ],
)
def test_a_notice_to_an_inspection_lead_names_its_group_and_each_points_unit(
    renderer: NoticeRenderer, kind: str, sentence: str
) -> None:
    context = dataclasses.replace(
        sample_context(kind),
        group=InspectionGroupFacts(name="第五检查组", lead="省国土资源厅"),
        step=StepFacts(
            "检查工作书面报告",
            "10月底前",
            date(2011, 10, 31),
            "由各检查组组长单位提交检查工作书面报告",
        ),
        points=(PointLine("zhanjiang-1", "钢铁基地配套产业", "工作进展已报送", "湛江市"),),
    )
    notice = renderer.render(kind, context)
    assert sentence in notice.text
    assert "1. 湛江市：钢铁基地配套产业（工作进展已报送）" in notice.text
    assert "湛江市：钢铁基地配套产业" in notice.html


def test_reminder_gives_deadline_as_written_and_as_date_and_days_left(
    renderer: NoticeRenderer,
) -> None:
    notice = render(renderer, "reminder")
    assert "报送期限为5月10日前（即2011年5月10日）" in notice.text
    assert "还有4个工作日" in notice.text


def test_reminder_on_the_due_day_says_so(renderer: NoticeRenderer) -> None:
    notice = render(renderer, "reminder", working_days_left=0)
    assert "今日即为报送期限" in notice.text


# --- urge ------------------------------------------------------------------------------------


def test_urge_gives_makeup_deadline_and_says_it_does_not_shift(renderer: NoticeRenderer) -> None:
    notice = render(renderer, "urge")
    assert "于2011年5月17日前补报" in notice.text
    assert "遇节假日不顺延" in notice.text


def test_urge_says_when_the_deadline_shifts(renderer: NoticeRenderer) -> None:
    notice = render(renderer, "urge", shift=True)
    assert "遇节假日顺延" in notice.text
    assert "不顺延" not in notice.text


def test_urge_names_the_original_deadline_and_missing_points(renderer: NoticeRenderer) -> None:
    notice = render(renderer, "urge")
    assert "原定报送期限（5月10日前，即2011年5月10日）已过" in notice.text
    assert "汽车产业自主品牌与关键零部件突破点（示例）" in notice.text


def test_urge_second_stage_is_marked_in_subject_and_body(renderer: NoticeRenderer) -> None:
    notice = render(renderer, "urge", stage=2)
    assert notice.subject == "关于催报突破点工作方案的通知（第二次催报）"
    assert "此为第二次催报" in notice.text


def test_first_urge_has_no_stage_mark(renderer: NoticeRenderer) -> None:
    notice = render(renderer, "urge", stage=1)
    assert notice.subject == "关于催报突破点工作方案的通知"
    assert "次催报" not in notice.text


def test_urge_lists_cc_bodies_in_a_chaosong_line(renderer: NoticeRenderer) -> None:
    notice = render(renderer, "urge", cc=("广东省科学技术厅", "广东省财政厅"))
    assert "抄送：广东省科学技术厅，广东省财政厅。" in notice.text
    assert "抄送：广东省科学技术厅，广东省财政厅。" in notice.html


def test_urge_without_cc_has_no_chaosong_line(renderer: NoticeRenderer) -> None:
    notice = render(renderer, "urge", cc=())
    assert "抄送" not in notice.text
    assert "抄送" not in notice.html


def test_urge_without_makeup_date_asks_for_it_soon(renderer: NoticeRenderer) -> None:
    notice = render(renderer, "urge", makeup_due=None)
    assert "尽快补报" in notice.text


# --- inspection, meeting, progress summary ---------------------------------------------------


def test_inspection_is_issued_by_the_provincial_government_office(
    renderer: NoticeRenderer,
) -> None:
    notice = render(renderer, "inspection")
    assert "\n广东省人民政府办公厅\n" in notice.text
    assert "广州市人民政府，佛山市人民政府，肇庆市人民政府：" in notice.text
    assert "第一检查组，由广东省经济和信息化委员会领导担任组长" in notice.text
    assert "省科技厅、省财政厅、省人力资源和社会保障厅、省国土资源厅" in notice.text
    assert "2011年10月24日至10月28日" in notice.text


def test_meeting_place_can_be_announced_later(renderer: NoticeRenderer) -> None:
    notice = render(renderer, "meeting")
    assert "二、会议地点\n　　另行通知。" in notice.text
    assert "各市、省有关部门分管领导" in notice.text
    assert notice.subject == "关于召开全省推进产业转型升级工作现场会的通知"


def test_meeting_without_date_says_time_follows(renderer: NoticeRenderer) -> None:
    context = dataclasses.replace(
        sample_context("meeting"), meeting=MeetingFacts(date=None, place="广州市")
    )
    notice = renderer.render("meeting", context)
    assert "一、会议时间\n　　另行通知。" in notice.text
    assert "全省推进产业转型升级工作现场会" in notice.text


def test_progress_summary_gives_rate_and_missing_units(renderer: NoticeRenderer) -> None:
    notice = render(renderer, "progress_summary")
    assert "应报单位41个，已报37个，上报率90.2%" in notice.text
    assert "未报4个" in notice.text
    for unit in ["汕尾市人民政府", "云浮市人民政府", "省旅游局", "省食品药品监管局"]:
        assert unit in notice.text
        assert unit in notice.html


def test_progress_summary_when_everyone_reported(renderer: NoticeRenderer) -> None:
    notice = render(renderer, "progress_summary", reported=41, missing_units=())
    assert "上报率100.0%，各单位均已报送。" in notice.text


def test_progress_summary_with_no_units_does_not_divide_by_zero(
    renderer: NoticeRenderer,
) -> None:
    notice = render(renderer, "progress_summary", reported=0, total=0, missing_units=())
    assert "上报率—" in notice.text


# --- escaping --------------------------------------------------------------------------------


def test_html_escapes_markup_in_a_unit_name(renderer: NoticeRenderer) -> None:
    unit = Addressee("x", "某市", "<script>alert(1)</script>某市人民政府")
    notice = render(renderer, "reminder", recipient=unit)
    assert "<script>" not in notice.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;某市人民政府" in notice.html


def test_plain_text_keeps_a_unit_name_as_given(renderer: NoticeRenderer) -> None:
    unit = Addressee("x", "某市", "<script>某市人民政府")
    notice = render(renderer, "reminder", recipient=unit)
    assert "<script>某市人民政府：" in notice.text


def test_html_escapes_markup_in_the_subject_title(renderer: NoticeRenderer) -> None:
    given = sample_context("reminder").step
    assert given is not None
    notice = render(renderer, "reminder", step=dataclasses.replace(given, label="<b>方案</b>"))
    assert "<b>" in notice.subject
    assert "<b>" not in notice.html
    assert "&lt;b&gt;方案&lt;/b&gt;" in notice.html


# --- problems --------------------------------------------------------------------------------


def test_missing_variable_is_a_template_problem_naming_it(renderer: NoticeRenderer) -> None:
    context = sample_context("reminder").variables()
    del context["points"]
    with pytest.raises(TemplateProblem) as caught:
        renderer.render("reminder", context)
    message = caught.value.message
    assert "points" in message
    assert "reminder.txt.j2" in message
    assert "行" in message


def test_missing_field_of_a_mapping_is_named(renderer: NoticeRenderer) -> None:
    context = sample_context("reminder").variables()
    context["contacts"] = [{"name": "蓝艾青", "body": "省经信委"}]
    with pytest.raises(TemplateProblem, match="phone"):
        renderer.render("reminder", context)


def test_error_messages_carry_no_traceback(renderer: NoticeRenderer) -> None:
    context = sample_context("reminder").variables()
    del context["recipient"]
    with pytest.raises(TemplateProblem) as caught:
        renderer.render("reminder", context)
    assert "Traceback" not in caught.value.message
    assert "recipient" in caught.value.message


def test_unknown_kind_names_the_missing_file(renderer: NoticeRenderer) -> None:
    with pytest.raises(TemplateProblem, match=r"nonexistent\.subject\.j2"):
        renderer.render("nonexistent", sample_context())


@pytest.mark.parametrize("name", ["../etc/passwd", "Reminder", "", "a/b"])
def test_kind_names_that_are_not_plain_words_are_refused(
    renderer: NoticeRenderer, name: str
) -> None:
    with pytest.raises(TemplateProblem, match="通知类型名称"):
        renderer.render(name, sample_context())


def test_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    probe = make_templates(tmp_path, txt="第一行\n{% if x %}\n没有结束\n")
    with pytest.raises(TemplateProblem) as caught:
        probe.render("probe", {"x": True})
    assert "probe.txt.j2" in caught.value.message
    assert "语法错误" in caught.value.message


def test_sandbox_blocks_access_to_python_internals(tmp_path: Path) -> None:
    probe = make_templates(tmp_path, txt="{{ ''.__class__.__mro__ }}\n")
    with pytest.raises(TemplateProblem) as caught:
        probe.render("probe", {})
    assert "沙箱" in caught.value.message
    assert "probe.txt.j2" in caught.value.message


def test_sandbox_blocks_changing_the_callers_data(tmp_path: Path) -> None:
    probe = make_templates(tmp_path, txt="{{ points.append('x') }}\n")
    points: list[str] = []
    with pytest.raises(TemplateProblem):
        probe.render("probe", {"points": points})
    assert points == []


def test_subject_that_renders_to_two_lines_is_refused(tmp_path: Path) -> None:
    probe = make_templates(tmp_path, subject="{{ title }}\n")
    with pytest.raises(TemplateProblem, match="换行"):
        probe.render("probe", {"title": "第一行\n第二行"})


def test_subject_is_stripped_of_surrounding_whitespace(tmp_path: Path) -> None:
    probe = make_templates(tmp_path, subject="  关于催报的通知  \n")
    assert probe.render("probe", {}).subject == "关于催报的通知"


def test_txt_templates_are_not_autoescaped_but_html_ones_are(tmp_path: Path) -> None:
    probe = make_templates(tmp_path, txt="{{ v }}\n", html="{{ v }}\n")
    notice = probe.render("probe", {"v": "A&B"})
    assert notice.text == "A&B\n"
    assert notice.html == "A&amp;B\n"


def test_trailing_newline_is_kept(tmp_path: Path) -> None:
    probe = make_templates(tmp_path, txt="正文\n")
    assert probe.render("probe", {}).text.endswith("\n")


# --- required_variables / check_template -----------------------------------------------------


def test_required_variables_of_the_reminder(renderer: NoticeRenderer) -> None:
    assert renderer.required_variables("reminder") == {
        "programme",
        "today",
        "recipient",
        "step",
        "points",
        "group",
        "working_days_left",
        "contacts",
        "rectify",
        "send_to",
        "desk_url",
    }


def test_required_variables_follow_includes(tmp_path: Path) -> None:
    (tmp_path / "_part.txt.j2").write_text("{{ from_include }}\n", encoding="utf-8")
    probe = make_templates(tmp_path, txt='{{ own }}\n{% include "_part.txt.j2" %}\n')
    assert probe.required_variables("probe") == {"own", "from_include"}


def test_required_variables_do_not_include_the_renderer_provided_subject(
    renderer: NoticeRenderer,
) -> None:
    assert "subject" not in renderer.required_variables("urge")


@pytest.mark.parametrize("kind", KINDS)
def test_the_notice_context_provides_everything_each_kind_needs(
    renderer: NoticeRenderer, kind: str
) -> None:
    assert renderer.required_variables(kind) <= NoticeContext.field_names()


def test_check_template_reports_unknown_variables(tmp_path: Path) -> None:
    probe = make_templates(tmp_path, txt="{{ recipient.name }}{{ unheard_of }}\n")
    problems = probe.check_template("probe", {"recipient"})
    assert len(problems) == 1
    assert "unheard_of" in problems[0]
    assert "probe.txt.j2" in problems[0]


def test_check_template_reports_a_missing_file(tmp_path: Path) -> None:
    probe = make_templates(tmp_path)
    (tmp_path / "probe.html.j2").unlink()
    problems = probe.check_template("probe", set())
    assert problems == [f"缺少通知模板文件 {tmp_path / 'probe.html.j2'}"]


def test_check_template_reports_a_syntax_error_with_its_line(tmp_path: Path) -> None:
    probe = make_templates(tmp_path, html="<p>\n{{ broken( }}\n</p>\n")
    problems = probe.check_template("probe", set())
    assert len(problems) == 1
    assert "probe.html.j2 第 2 行语法错误" in problems[0]


def test_check_template_reports_an_unknown_filter(tmp_path: Path) -> None:
    probe = make_templates(tmp_path, txt="{{ today|no_such_filter }}\n")
    problems = probe.check_template("probe", {"today"})
    assert len(problems) == 1
    assert "no_such_filter" in problems[0]


def test_check_template_is_clean_when_everything_is_provided(renderer: NoticeRenderer) -> None:
    assert renderer.check_template("urge") == []
    assert renderer.check_template("urge", NoticeContext.field_names()) == []


def test_shipped_templates_pass_the_full_check(renderer: NoticeRenderer) -> None:
    assert renderer.check_all() == []


# --- sample context --------------------------------------------------------------------------


def test_sample_context_is_the_2011_programme() -> None:
    context = sample_context()
    assert context.programme.doc_number == DOC_NUMBER
    assert context.programme.issued == date(2011, 4, 26)
    assert context.step is not None
    assert context.step.due == date(2011, 5, 10)


def test_sample_points_say_they_are_illustrative() -> None:
    for point in sample_context().points:
        assert "示例" in point.title


def test_a_context_cannot_be_changed_by_whoever_renders_it() -> None:
    first = sample_context()
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.points = ()  # type: ignore[misc]
    assert sample_context().points


def test_a_bad_date_style_is_a_template_problem_in_chinese(renderer: NoticeRenderer) -> None:
    with pytest.raises(TemplateProblem, match="date_style"):
        render(renderer, "reminder", date_style="roman")


def test_a_filter_given_a_non_date_names_the_file(tmp_path: Path) -> None:
    probe = make_templates(tmp_path, txt="{{ due|gongwen_date }}\n")
    with pytest.raises(
        TemplateProblem, match=r"probe\.txt\.j2 第 1 行：过滤器 gongwen_date 需要日期"
    ):
        probe.render("probe", {"due": "5月10日"})


# --- a programme's own notices/ folder ---------------------------------------------------------


def test_a_programme_notices_folder_overrides_a_default_template_by_name(tmp_path: Path) -> None:
    (tmp_path / "notices").mkdir()
    (tmp_path / "notices" / "urge.subject.j2").write_text("本方案自己的催报标题\n", "utf-8")
    own = NoticeRenderer.for_programme(tmp_path)

    notice = own.render("urge", sample_context("urge"))

    assert notice.subject == "本方案自己的催报标题"
    assert notice.text == NoticeRenderer().render("urge", sample_context("urge")).text.replace(
        "关于催报突破点工作方案的通知（第二次催报）", "本方案自己的催报标题"
    )


def test_a_programme_can_override_a_shared_piece(tmp_path: Path) -> None:
    (tmp_path / "notices").mkdir()
    (tmp_path / "notices" / "_contacts.txt.j2").write_text("（联系人：方案自定）\n", "utf-8")

    text = NoticeRenderer.for_programme(tmp_path).render("reminder", sample_context()).text

    assert "（联系人：方案自定）" in text
    assert "蓝艾青" not in text


def test_a_programme_without_notices_folder_uses_the_defaults(tmp_path: Path) -> None:
    assert NoticeRenderer.for_programme(tmp_path).folders == (DEFAULT_DIRECTORY,)


def test_a_template_in_the_programme_folder_is_named_by_its_own_path(tmp_path: Path) -> None:
    (tmp_path / "notices").mkdir()
    own = tmp_path / "notices" / "urge.txt.j2"
    own.write_text("{{ no_such_thing }}\n", "utf-8")

    problems = NoticeRenderer.for_programme(tmp_path).check_template("urge", {"step", "stage"})

    assert any(str(own) in p and "no_such_thing" in p for p in problems)


# --- templates checked against the typed context --------------------------------------------


def test_check_template_reports_a_field_the_context_does_not_have(tmp_path: Path) -> None:
    probe = make_templates(tmp_path, txt="{{ recipient.name }}\n{{ step.lable }}\n")

    problems = probe.check_template("probe")

    assert problems == [
        f"通知模板 {tmp_path / 'probe.txt.j2'} 第 2 行使用了 step.lable，而所给数据中没有这一字段"
    ]


def test_check_template_follows_loop_variables_to_their_element_type(tmp_path: Path) -> None:
    probe = make_templates(
        tmp_path, txt="{% for p in points %}{{ p.title }}{{ p.titel }}{% endfor %}\n"
    )

    problems = probe.check_template("probe")

    assert len(problems) == 1
    assert "p.titel" in problems[0]


def test_check_template_allows_a_lookup_guarded_by_is_defined(tmp_path: Path) -> None:
    probe = make_templates(
        tmp_path,
        txt="{% for c in contacts %}{% if c.mobile is defined %}{{ c.mobile }}{% endif %}"
        "{% endfor %}\n",
    )

    assert probe.check_template("probe") == []


def test_check_template_reports_a_variable_outside_the_context(tmp_path: Path) -> None:
    probe = make_templates(tmp_path, txt="{{ programme.title }}{{ deadline }}\n")

    problems = probe.check_template("probe")

    assert problems == [f"通知模板 {tmp_path / 'probe.txt.j2'} 使用了未提供的变量：deadline"]


def test_a_context_renders_like_the_mapping_of_its_fields(renderer: NoticeRenderer) -> None:
    context = sample_context("urge")

    assert renderer.render("urge", context) == renderer.render("urge", context.variables())
