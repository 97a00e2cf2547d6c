"""``relations:`` and the actors and recipients that name them, as validate checks them.

Each case changes one thing in the city programme of ``tests/runtime/roles_city`` and expects
the error at its line, naming the unit and the relation.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine.definition.loader import load_definition
from engine.errors import DefinitionError

ROLES_DIR = Path(__file__).parents[1] / "runtime" / "roles_city"
PAIRS = "pairs: {housing: vm-wang, transport: vm-wang, education: vm-li, county-a: vm-li, county-b: vm-li}"


def _errors(tmp_path: Path, old: str, new: str) -> list[str]:
    folder = tmp_path / "city"
    shutil.copytree(ROLES_DIR, folder)
    path = folder / "programme.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(DefinitionError) as raised:
        load_definition(folder)
    lines = text.replace(old, new, 1).splitlines()
    found = []
    for d in raised.value.errors:
        assert d.file == str(path)
        found.append(f"{lines[d.line - 1].strip()} -> {d.message}")
    return found


def test_the_city_programme_validates_and_resolves_the_leader_per_unit() -> None:
    definition = load_definition(ROLES_DIR)
    index = definition.index
    assert index.bodies_acting("leader", "housing") == ["vm-wang"]
    assert index.bodies_acting("leader", "education") == ["vm-li"]
    assert index.bodies_acting("co", "housing", ("finance", "land")) == ["finance", "land"]
    assert index.recipients_of(("leader", "co"), "education", ()) == ["vm-li"]
    # ``actor: lead`` is the owner: the code reads one spelling.
    assert index.transitions["submit-plan"].actor == "owner"
    assert index.units_acted_for(index.transitions["review-accept"], "vm-li") == {
        "education",
        "county-a",
        "county-b",
    }


def test_a_relation_without_a_pair_for_a_proposer_is_refused_at_each_use(tmp_path: Path) -> None:
    found = _errors(tmp_path, ", county-b: vm-li}", "}")
    # The plan's recipients and the two review decisions (the return is written on one line).
    assert [f.split(" -> ")[0] for f in found] == [
        "recipients: [leader, co]",
        "actor: leader",
        "dest: assigned, actor: leader, takes: decision, outcome: return}",
    ]
    for f in found:
        assert "leader（分管市领导）对单位 county-b（西县政府）找不到对应的单位" in f
        assert f.endswith("请在 relations 的 leader 的 pairs 中写 county-b: <单位 id>")


def test_a_pair_naming_no_body_is_refused(tmp_path: Path) -> None:
    found = _errors(tmp_path, "education: vm-li,", "education: vm-zhao,")
    assert found == [
        f"{PAIRS.replace('education: vm-li', 'education: vm-zhao')} -> 关系 leader 中与 "
        "education 对应的 vm-zhao 未定义（请在 bodies 中定义，如一位分管领导）"
    ]


def test_a_relation_id_must_be_its_own(tmp_path: Path) -> None:
    found = _errors(tmp_path, "  - id: leader\n", "  - id: housing\n")
    assert "- id: housing -> 关系 housing 与一个单位或组同名，请换一个 id" in found
    reserved = _errors(tmp_path / "2", "  - id: leader\n", "  - id: co\n")
    assert any("关系 co 与内置的角色名重名" in f for f in reserved)


def test_an_unknown_actor_names_what_it_may_be(tmp_path: Path) -> None:
    found = _errors(tmp_path, "      actor: leader\n", "      actor: leaders\n")
    assert found == [
        "actor: leaders -> 未定义的单位或组 leaders：actor应为 bodies、groups 中的单位或组，"
        "relations 中的关系（已定义：leader），或 owner、lead、co、inspector"
    ]


def test_actor_co_is_refused_with_what_to_write_instead(tmp_path: Path) -> None:
    found = _errors(tmp_path, "      actor: lead\n", "      actor: co\n")
    assert len(found) == 1
    assert found[0].startswith("actor: co -> submit-plan 的 actor 为 co（各责任单位）")
    assert "在 recipients 中写 co" in found[0]


def test_a_relation_where_no_item_is_at_hand_is_refused(tmp_path: Path) -> None:
    found = _errors(
        tmp_path,
        "     leadership_at_last: false}",
        "     leadership_at_last: false, cc: [leader]}",
    )
    assert found == [
        "leadership_at_last: false, cc: [leader]} -> leader 按每个任务的牵头单位确定，"
        "只能写在任务的事项（points.transitions）的 actor 或 recipients 中；"
        "此处请写 bodies 或 groups 中的单位或组"
    ]


def test_an_inspector_recipient_needs_an_inspection_group_for_every_proposer(
    tmp_path: Path,
) -> None:
    found = _errors(tmp_path, "recipients: [leader, co]", "recipients: [leader, inspector]")
    assert len(found) == 5  # one per proposer: the programme has no inspection group
    assert (
        "recipients: [leader, inspector] -> 报送对象 inspector（检查组组长单位）对单位 housing"
        "（市住建局）找不到对应的单位：该单位不在任何检查组的检查范围内（inspection_groups 的 inspects）"
    ) in found
