"""The command line's hints: which flag to use, and "did you mean" among a body's names."""

from __future__ import annotations

import pytest

from engine.definition.loader import Definition, load_definition
from engine.errors import Named, StoreError, StoreMissing, StoreNotWritable
from engine.hints import did_you_mean, explain, hint
from engine.refusals import (
    ActorNotAllowed,
    ActorNotGiven,
    MissingInput,
    NoSuchOutcome,
    NotRegistered,
    UnknownTask,
    UnknownUnit,
    WrongCommand,
)
from tests.runtime.gd2011 import PROGRAMME_DIR


@pytest.fixture(scope="module")
def definition() -> Definition:
    return load_definition(PROGRAMME_DIR)


@pytest.mark.parametrize("typed", ["广州", "广州市", "guangzho", "广州市政府"])
def test_a_unit_typed_by_part_of_its_names_is_suggested(definition: Definition, typed: str) -> None:
    assert did_you_mean(typed, definition.index.body_names)[0] == "guangzhou"


def test_nothing_is_suggested_for_a_name_like_no_body(definition: Definition) -> None:
    assert did_you_mean("atlantis", definition.index.body_names) == []


def test_an_unknown_unit_is_hinted_with_its_label_and_id(definition: Definition) -> None:
    error = UnknownUnit("广州", definition.index.body_names)

    assert hint(error) == "是否要找：广州市（guangzhou）"


def test_an_unknown_unit_without_a_close_name_says_what_to_type(definition: Definition) -> None:
    assert "id、简称或全称" in (hint(UnknownUnit("atlantis", definition.index.body_names)) or "")


def test_a_missing_reason_names_the_flag() -> None:
    assert "--reason" in (hint(MissingInput("reason", "decision")) or "")


def test_a_missing_new_due_date_names_the_flag_and_its_form() -> None:
    assert "--until YYYY-MM-DD" in (hint(MissingInput("until", "extension")) or "")


def test_several_possible_deciders_point_to_by() -> None:
    error = ActorNotGiven(Named("screen-in", "初步筛选"), [Named("eic"), Named("dost")])

    assert "--by" in (hint(error) or "")


def test_a_task_done_another_way_names_the_command() -> None:
    assert "docflow submit" in (hint(WrongCommand(Named("meeting"), "submit", "decision")) or "")


def test_an_outcome_the_task_lacks_lists_the_flags_it_has() -> None:
    error = NoSuchOutcome("work-plan", Named("accept", "同意"), [Named("return", "退回")])

    assert hint(error) == "可用的选项：--return"


def test_an_unknown_task_suggests_a_close_one() -> None:
    assert "work-plan" in (hint(UnknownTask("work-plans", ["measures", "work-plan"])) or "")


def test_a_programme_the_store_lacks_points_to_enrol_and_db() -> None:
    text = hint(NotRegistered("gd-2011", "/tmp/x.db")) or ""

    assert "docflow enrol" in text
    assert "--db" in text


def test_a_missing_store_offers_create_only_where_the_command_could_start_one() -> None:
    missing = StoreMissing("/srv/docflwo.db")

    assert hint(missing) == "请用 --db 或环境变量 DOCFLOW_DB 指定已有的存储库"
    assert hint(missing.creatable()) == (
        "请用 --db 或环境变量 DOCFLOW_DB 指定已有的存储库；如要以提交开始一个新的存储库，请加 --create"
    )
    assert missing.creatable().path == "/srv/docflwo.db"
    assert missing.creatable().exit_code == 4


def test_a_store_that_cannot_be_written_points_to_the_commands_that_only_read() -> None:
    error = StoreNotWritable("/mnt/ro/docflow.db", "它所在的文件系统是只读的")

    assert explain(error) == (
        "无法写入存储库 /mnt/ro/docflow.db：它所在的文件系统是只读的；未写入任何内容。"
        "只读的命令（status、log、audit verify、render、export、remind --dry-run）仍可使用；"
        "腾出空间或恢复写权限后再执行本命令"
    )


def test_errors_without_a_hint_are_shown_as_they_are() -> None:
    error = ActorNotAllowed(Named("dost", "省科技厅"), Named("approve", "审定"), [], "decision")

    assert hint(error) is None
    assert explain(error) == error.message
    assert explain(StoreError("存储库已关闭")) == "存储库已关闭"


def test_the_message_and_its_hint_read_as_one_line() -> None:
    assert explain(MissingInput("reason", "decision")) == "决定须说明理由。请用 --reason 说明理由"


def test_domain_messages_name_no_flags(definition: Definition) -> None:
    for error in (
        MissingInput("reason", "decision"),
        MissingInput("until", "extension"),
        MissingInput("points", "decision"),
        ActorNotGiven(Named("screen-in", "初步筛选"), [Named("eic")]),
        NotRegistered("gd-2011", "/tmp/x.db"),
        UnknownUnit("atlantis", definition.index.body_names),
        StoreMissing("/tmp/x.db", may_create=True),
        StoreNotWritable("/tmp/x.db", "它所在的磁盘已满"),
    ):
        assert "--" not in error.message, error.message
        assert "docflow " not in error.message, error.message
