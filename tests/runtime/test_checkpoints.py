"""Signed checkpoints: ``docflow audit checkpoint`` signs the chain's head with a key kept
outside the store, and ``audit verify --checkpoints`` catches what someone who can write the
database can hide from the chain alone: a recomputed chain, a rewound head, a forged event
before a checkpoint - and a checkpoint file edited or checked with the wrong key."""

from __future__ import annotations

import json
import sqlite3
import stat
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from engine.app import Programme, checkpoint_store, generate_audit_keys, verify_store
from engine.clock import FixedClock
from engine.errors import (
    CheckpointBroken,
    InputFileError,
    KeyFileError,
    OutputFileError,
    TrailBroken,
)
from engine.runtime.chain import GENESIS_HASH, event_hash
from engine.runtime.checkpoints import CheckpointReport, read_checkpoints
from engine.runtime.store import open_store
from engine.runtime.store.schema import EVENT_COLUMNS
from engine.runtime.trail import verify as verify_chain
from tests.runtime.gd2011 import EIC, Year, moment, raw_sql, run_cli


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Year:
    year = Year(tmp_path_factory.mktemp("template"))
    year.at("2011-03-02T09:00").submit(EIC, "call-for-points")
    year.at("2011-03-15T10:00").enrol_example()
    year.at("2011-04-06T10:00").decide("screen", ["guangzhou-1", "guangzhou-2"], reason="ok-1")
    year.at("2011-04-20T10:00").decide("approve", ["guangzhou-1", "guangzhou-2"], reason="ok-2")
    year.at("2011-05-05T10:00").submit("guangzhou", "work-plan")
    year.close()
    return year


@pytest.fixture
def year(template: Year, tmp_path: Path) -> Iterator[Year]:
    with Year.copy_of(template, tmp_path / "store") as copy:
        yield copy


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, Path]:
    """A key pair kept outside the store's folder: (private, public)."""
    (tmp_path / "keys").mkdir()
    made = generate_audit_keys(tmp_path / "keys" / "audit.key")
    return made.private, made.public


def cli(year: Year, *args: str, **env: str) -> tuple[int, str, str]:
    result = run_cli(args, year.env(**env))
    assert result.exception is None, result.exception
    return result.exit_code, result.stdout, result.stderr


def checkpoint(year: Year, key: Path, out: Path, at: str) -> None:
    code, said, err = cli(
        year, "audit", "checkpoint", "--key", str(key), "--out", str(out), DOCFLOW_NOW=at
    )
    assert (code, err) == (0, ""), err
    assert said.startswith("已签发检查点：留痕第 ")


def audit(year: Year, marks: Path, public: Path) -> tuple[int, str, str]:
    return cli(year, "audit", "verify", "--checkpoints", str(marks), "--public-key", str(public))


def head(year: Year) -> int:
    return len(year.events())


def recompute_chain(db: Path) -> None:
    """What a tamperer who can write the database does after editing events: renumber the
    events, re-hash the whole chain and move trail_head, so the chain verifies again."""
    with closing(sqlite3.connect(db)) as conn, conn:
        rows = conn.execute(
            f"SELECT {', '.join(EVENT_COLUMNS)} FROM events ORDER BY seq"
        ).fetchall()
        conn.execute("DELETE FROM events")
        prev = GENESIS_HASH
        for seq, row in enumerate(rows, start=1):
            values = (seq, *row[1:-2], prev)
            prev = event_hash(values)
            marks = ", ".join("?" * len(EVENT_COLUMNS))
            conn.execute(f"INSERT INTO events VALUES ({marks})", (*values, prev))
        conn.execute("UPDATE trail_head SET seq = ?, hash = ? WHERE id = 1", (len(rows), prev))


def chain_alone_passes(year: Year) -> bool:
    """The unkeyed chain and documents alone, without checkpoints or the tables' replay."""
    with open_store(str(year.db), year.documents, create=False) as store:
        return verify_chain(store, tables=False).ok


# --- what passes ----------------------------------------------------------------------------


def test_a_valid_chain_with_checkpoints_passes_and_says_what_no_checkpoint_covers(
    year: Year, keys: tuple[Path, Path], tmp_path: Path
) -> None:
    private, public = keys
    marks = tmp_path / "auditor" / "checkpoints.jsonl"
    marks.parent.mkdir()
    checkpoint(year, private, marks, "2011-05-05T18:00")
    year.at("2011-05-06T10:00").decide("screen", ["shenzhen-1"])
    checkpoint(year, private, marks, "2011-05-06T18:00")
    year.at("2011-05-07T10:00").decide("screen", ["shenzhen-2"])
    covered = head(year) - 1

    code, out, err = audit(year, marks, public)

    assert (code, err) == (0, "")
    first, second = out.strip().splitlines()
    assert first.startswith("留痕校验通过：")
    assert second == (
        f"检查点核对通过：2 个检查点的签名有效，留痕与之相符；最后一个检查点"
        f"（2011-05-06 18:00，留痕第 {covered} 条）之后的 1 条留痕尚无检查点担保："
        "其后伪造追加的事件，单凭检查点无法发现。"
    )
    assert len(marks.read_text(encoding="utf-8").splitlines()) == 2


def test_a_checkpoint_names_the_store_its_programmes_the_head_and_the_time(
    year: Year, keys: tuple[Path, Path], tmp_path: Path
) -> None:
    marks = tmp_path / "checkpoints.jsonl"
    checkpoint(year, keys[0], marks, "2011-05-05T18:00")
    last = year.events()[-1]

    record = json.loads(marks.read_text(encoding="utf-8"))

    assert record["checkpoint"] == {
        "format": "docflow-checkpoint/1",
        "store": str(year.db),
        "programmes": ["gd-2011"],
        "seq": last.seq,
        "hash": last.hash,
        "at": "2011-05-05T18:00:00+08:00",
    }
    assert record["key"].startswith("ed25519:")
    assert set(record) == {"checkpoint", "key", "signature"}


def test_without_out_the_checkpoint_line_goes_to_standard_output(
    year: Year, keys: tuple[Path, Path]
) -> None:
    code, out, err = cli(year, "audit", "checkpoint", "--key", str(keys[0]))

    assert code == 0
    assert json.loads(out)["checkpoint"]["seq"] == head(year)
    assert err.startswith("已签发检查点：")


def test_the_key_may_come_from_the_environment(year: Year, keys: tuple[Path, Path]) -> None:
    code, out, _ = cli(year, "audit", "checkpoint", DOCFLOW_AUDIT_KEY=str(keys[0]))

    assert code == 0
    assert json.loads(out)["checkpoint"]["seq"] == head(year)


def test_the_application_layer_takes_and_checks_checkpoints(
    year: Year, keys: tuple[Path, Path], tmp_path: Path
) -> None:
    marks = tmp_path / "checkpoints.jsonl"
    gd = Programme(year.definition, year.store, FixedClock(moment("2011-05-05T18:00")))

    signed = gd.checkpoint(keys[0], marks)
    report = gd.verify(checkpoints=marks, public_key=keys[1])

    assert signed.checkpoint.seq == head(year)
    assert report.ok
    assert (report.checkpoints.checked, report.checkpoints.vouched_seq) == (1, head(year))
    assert report.checkpoints.unvouched == 0


def test_checkpoint_store_signs_at_the_given_clock(
    year: Year, keys: tuple[Path, Path], tmp_path: Path
) -> None:
    year.close()
    signed = checkpoint_store(
        keys[0], db=str(year.db), clock=FixedClock(moment("2011-06-01T08:00"))
    )

    assert signed.checkpoint.at == "2011-06-01T08:00:00+08:00"


# --- what is caught -------------------------------------------------------------------------


def test_an_edited_event_with_the_chain_recomputed_is_caught_by_the_checkpoint(
    year: Year, keys: tuple[Path, Path], tmp_path: Path
) -> None:
    marks = tmp_path / "checkpoints.jsonl"
    checkpoint(year, keys[0], marks, "2011-05-05T18:00")
    last = head(year)
    (edited,) = [e.seq for e in year.events("guangzhou-2") if e.trigger == "approve"]
    raw_sql(year.db, "UPDATE events SET reason = 'ok-3' WHERE seq = ?", edited)
    recompute_chain(year.db)
    assert chain_alone_passes(year)  # the unkeyed chain cannot see it

    code, out, err = audit(year, marks, keys[1])

    assert (code, out) == (TrailBroken.exit_code, "")
    assert err.splitlines()[1] == (
        f"检查点文件第 1 行（2011-05-05 18:00，留痕第 {last} 条）：库中事件 #{last} 的哈希为 "
        f"{year.events()[-1].hash[:12]}…，检查点记录为 {_hash_in(marks)[:12]}…："
        f"第 {last} 条及之前的留痕被改动、插入或删除后重算了链条；改动在事件 #1～#{last} 之间"
    )


def _hash_in(marks: Path, line: int = 0) -> str:
    text = marks.read_text(encoding="utf-8").splitlines()[line]
    return str(json.loads(text)["checkpoint"]["hash"])


def test_checkpoints_on_both_sides_place_the_change_between_them(
    year: Year, keys: tuple[Path, Path], tmp_path: Path
) -> None:
    marks = tmp_path / "checkpoints.jsonl"
    checkpoint(year, keys[0], marks, "2011-05-05T18:00")
    before = head(year)
    (edited,) = year.at("2011-05-06T10:00").decide("screen", ["shenzhen-1"])
    year.at("2011-05-07T10:00").decide("screen", ["shenzhen-2"])
    checkpoint(year, keys[0], marks, "2011-05-07T18:00")
    after = head(year)
    raw_sql(
        year.db, "UPDATE events SET effective_at = ? WHERE seq = ?", "2011-05-05T09:00", edited.seq
    )
    recompute_chain(year.db)

    report = verify_store(str(year.db), year.documents, tmp_path / "checkpoints.jsonl", keys[1])

    assert report.trail.ok
    (failure,) = report.checkpoints.failures
    assert (failure.line, failure.kind, failure.seq) == (2, "changed", after)
    assert failure.message.endswith(
        f"改动在事件 #{before + 1}～#{after} 之间（2011-05-05 18:00 的检查点所记的留痕"
        f"第 {before} 条及之前未变）"
    )
    with pytest.raises(CheckpointBroken) as caught:
        report.raise_if_broken()
    assert caught.value.failures == (failure,)


def test_a_rewound_head_is_caught_and_says_how_many_events_are_missing(
    year: Year, keys: tuple[Path, Path], tmp_path: Path
) -> None:
    marks = tmp_path / "checkpoints.jsonl"
    checkpoint(year, keys[0], marks, "2011-05-05T18:00")
    last, previous = year.events()[-1], year.events()[-2]
    raw_sql(year.db, "DELETE FROM events WHERE seq = ?", last.seq)
    raw_sql(
        year.db, "UPDATE trail_head SET seq = ?, hash = ? WHERE id = 1", previous.seq, previous.hash
    )
    assert chain_alone_passes(year)

    code, _, err = audit(year, marks, keys[1])

    assert code == TrailBroken.exit_code
    # The replay of the tables also sees the point the deleted event had moved; the
    # checkpoint says what happened to the chain.
    assert (
        f"检查点文件第 1 行（2011-05-05 18:00，留痕第 {last.seq} 条）：库中留痕只到第 "
        f"{previous.seq} 条，少于检查点记录的 {last.seq} 条：末尾的事件被删除，链头被回退"
    ) in err.splitlines()


def test_a_forged_event_inserted_before_a_checkpoint_is_caught(
    year: Year, keys: tuple[Path, Path], tmp_path: Path
) -> None:
    marks = tmp_path / "checkpoints.jsonl"
    checkpoint(year, keys[0], marks, "2011-05-05T18:00")
    (screened,) = [e for e in year.events("guangzhou-1") if e.trigger == "screen-in"]
    year.close()
    # A forged copy of an event, slipped into the trail just after the original.
    raw_sql(year.db, "UPDATE events SET seq = seq + 1000 WHERE seq > ?", screened.seq)
    raw_sql(
        year.db,
        "INSERT INTO events SELECT seq + 1, programme_id, point_id, unit_id, trigger,"
        " source_state, dest_state, actor, document_sha256, decision, '伪造', data,"
        " recorded_at, effective_at, prev_hash, hash FROM events WHERE seq = ?",
        screened.seq,
    )
    recompute_chain(year.db)
    assert chain_alone_passes(year)

    report = verify_store(str(year.db), year.documents, marks, keys[1]).checkpoints

    (failure,) = report.failures
    assert failure.kind == "changed"
    assert f"库中事件 #{failure.seq} 的哈希为" in failure.message


def test_an_edited_checkpoint_file_fails_its_signature(
    year: Year, keys: tuple[Path, Path], tmp_path: Path
) -> None:
    marks = tmp_path / "checkpoints.jsonl"
    checkpoint(year, keys[0], marks, "2011-05-05T18:00")
    previous = year.events()[-2]
    # Rewinding the store and editing the checkpoint to match: the signature no longer does.
    record = json.loads(marks.read_text(encoding="utf-8"))
    record["checkpoint"].update(seq=previous.seq, hash=previous.hash)
    marks.write_text(json.dumps(record) + "\n", encoding="utf-8")

    code, _, err = audit(year, marks, keys[1])

    assert code == TrailBroken.exit_code
    assert err.splitlines()[1] == (
        f"检查点文件第 1 行（2011-05-05 18:00，留痕第 {previous.seq} 条）："
        "签名无效：检查点在签名后被改动，或是伪造的"
    )


def test_a_checkpoint_checked_with_another_public_key_names_both_fingerprints(
    year: Year, keys: tuple[Path, Path], tmp_path: Path
) -> None:
    marks = tmp_path / "checkpoints.jsonl"
    checkpoint(year, keys[0], marks, "2011-05-05T18:00")
    other = generate_audit_keys(tmp_path / "other.key")
    signer = json.loads(marks.read_text(encoding="utf-8"))["key"]

    code, _, err = audit(year, marks, other.public)

    assert code == TrailBroken.exit_code
    assert err.splitlines()[1] == (
        f"检查点文件第 1 行（2011-05-05 18:00，留痕第 {head(year)} 条）：由指纹为 {signer} "
        f"的密钥签名，与所给公钥的指纹 {other.fingerprint} 不符：公钥给错了，或检查点是伪造的"
    )


def test_a_checkpoint_forged_with_the_tamperers_own_key_is_refused(
    year: Year, keys: tuple[Path, Path], tmp_path: Path
) -> None:
    marks = tmp_path / "checkpoints.jsonl"
    forger = generate_audit_keys(tmp_path / "forger.key")
    checkpoint(year, forger.private, marks, "2011-05-05T18:00")
    record = json.loads(marks.read_text(encoding="utf-8"))
    record["key"] = json.loads(cli(year, "audit", "checkpoint", "--key", str(keys[0]))[1])["key"]
    marks.write_text(json.dumps(record) + "\n", encoding="utf-8")

    report = verify_store(str(year.db), year.documents, marks, keys[1]).checkpoints

    assert [f.kind for f in report.failures] == ["bad-signature"]


def test_an_unreadable_line_of_the_checkpoints_file_is_named(
    year: Year, keys: tuple[Path, Path], tmp_path: Path
) -> None:
    marks = tmp_path / "checkpoints.jsonl"
    checkpoint(year, keys[0], marks, "2011-05-05T18:00")
    with marks.open("a", encoding="utf-8") as handle:
        handle.write('{"checkpoint": {"format": "docflow-checkpoint/1"}}\nnot json\n')

    report = verify_store(str(year.db), year.documents, marks, keys[1]).checkpoints

    assert [(f.line, f.kind) for f in report.failures] == [(2, "unreadable"), (3, "unreadable")]
    assert report.failures[0].message == "检查点文件第 2 行：缺少字段 store"
    assert report.failures[1].message == "检查点文件第 3 行：不是有效的 JSON"


def test_the_json_audit_carries_every_checkpoint_failure(
    year: Year, keys: tuple[Path, Path], tmp_path: Path
) -> None:
    marks = tmp_path / "checkpoints.jsonl"
    checkpoint(year, keys[0], marks, "2011-05-05T18:00")
    other = generate_audit_keys(tmp_path / "other.key")

    code, out, _ = cli(
        year,
        "audit",
        "verify",
        "--json",
        "--checkpoints",
        str(marks),
        "--public-key",
        str(other.public),
    )

    assert code == 1
    data = json.loads(out)
    assert (data["ok"], data["checkpoints"]["ok"]) == (False, False)
    assert [f["kind"] for f in data["checkpoints"]["failures"]] == ["wrong-key"]


def test_a_broken_chain_is_not_signed(year: Year, keys: tuple[Path, Path], tmp_path: Path) -> None:
    raw_sql(year.db, "UPDATE events SET reason = 'x' WHERE seq = 2")
    marks = tmp_path / "checkpoints.jsonl"

    code, _, err = cli(year, "audit", "checkpoint", "--key", str(keys[0]), "--out", str(marks))

    assert code == TrailBroken.exit_code
    assert err.startswith("留痕校验未通过：事件 #2 的内容与其哈希不符")
    assert not marks.exists()


def test_an_event_forged_after_the_last_checkpoint_is_beyond_its_reach(
    year: Year, keys: tuple[Path, Path], tmp_path: Path
) -> None:
    """The limit a checkpoint has, stated rather than hidden: what comes after it is
    reported as not vouched for, not as verified."""
    marks = tmp_path / "checkpoints.jsonl"
    checkpoint(year, keys[0], marks, "2011-05-05T18:00")
    year.at("2011-05-06T10:00").decide("screen", ["shenzhen-1"])  # stands for a forged one

    report: CheckpointReport = verify_store(
        str(year.db), year.documents, marks, keys[1]
    ).checkpoints

    assert report.ok
    assert report.unvouched == 1
    assert "单凭检查点无法发现" in report.summary()


# --- keys -----------------------------------------------------------------------------------


def test_keygen_writes_both_keys_owner_only_and_never_prints_them(tmp_path: Path) -> None:
    result = run_cli(["audit", "keygen", "--out", str(tmp_path / "audit.key")], {})

    assert result.exit_code == 0
    private, public = tmp_path / "audit.key", tmp_path / "audit.key.pub"
    for path in (private, public):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert private.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert public.read_text().startswith("-----BEGIN PUBLIC KEY-----")
    for path in (private, public):
        body = "".join(path.read_text().splitlines()[1:-1])
        assert body not in result.stdout + result.stderr
    assert "指纹 ed25519:" in result.stdout


@pytest.mark.parametrize("existing", ["audit.key", "audit.key.pub"])
def test_keygen_refuses_to_overwrite_either_file(tmp_path: Path, existing: str) -> None:
    (tmp_path / existing).write_text("kept", encoding="utf-8")

    with pytest.raises(OutputFileError) as caught:
        generate_audit_keys(tmp_path / "audit.key")

    assert caught.value.path == str(tmp_path / existing)
    assert (tmp_path / existing).read_text(encoding="utf-8") == "kept"
    assert sorted(p.name for p in tmp_path.iterdir()) == [existing]


def test_signing_and_checking_never_print_the_key(
    year: Year, keys: tuple[Path, Path], tmp_path: Path
) -> None:
    marks = tmp_path / "checkpoints.jsonl"
    outputs = [
        cli(year, "audit", "checkpoint", "--key", str(keys[0]), "--out", str(marks)),
        audit(year, marks, keys[1]),
        cli(
            year,
            "audit",
            "verify",
            "--json",
            "--checkpoints",
            str(marks),
            "--public-key",
            str(keys[0]),
        ),
    ]

    secret = "".join(keys[0].read_text().splitlines()[1:-1])
    for _, out, err in outputs:
        assert secret not in out + err
        assert "PRIVATE KEY" not in out + err


def test_a_missing_key_file_is_a_clear_error(year: Year, tmp_path: Path) -> None:
    code, out, err = cli(year, "audit", "checkpoint", "--key", str(tmp_path / "none.key"))

    assert (code, out) == (1, "")
    assert err.strip() == f"私钥文件 {tmp_path / 'none.key'} 无法使用：文件不存在"


def test_a_key_file_that_is_a_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError) as caught:
        checkpoint_store(tmp_path, db=str(tmp_path / "none.db"))

    assert caught.value.reason == "这是一个目录"
    assert not (tmp_path / "none.db").exists()


def test_a_file_that_holds_no_key_is_named_without_its_content(
    year: Year, keys: tuple[Path, Path], tmp_path: Path
) -> None:
    wrong = tmp_path / "notes.txt"
    wrong.write_text("秘密内容 secret", encoding="utf-8")
    marks = tmp_path / "checkpoints.jsonl"
    checkpoint(year, keys[0], marks, "2011-05-05T18:00")

    code, _, err = audit(year, marks, wrong)

    assert code == 1
    assert err.strip() == f"公钥文件 {wrong} 无法使用：不是 PEM 格式的公钥"


def test_no_key_given_is_a_usage_error(year: Year, tmp_path: Path) -> None:
    code, _, err = cli(year, "audit", "checkpoint")
    assert code == 2
    assert "DOCFLOW_AUDIT_KEY" in err

    code, _, err = cli(year, "audit", "verify", "--checkpoints", str(tmp_path / "c.jsonl"))
    assert code == 2
    assert "--public-key" in err


def test_a_missing_checkpoints_file_is_a_clear_error(
    year: Year, keys: tuple[Path, Path], tmp_path: Path
) -> None:
    with pytest.raises(InputFileError) as caught:
        list(read_checkpoints(tmp_path / "none.jsonl"))
    assert caught.value.reason == "检查点文件不存在"

    code, _, err = audit(year, tmp_path / "none.jsonl", keys[1])
    assert code == 1
    assert "检查点文件不存在" in err


def test_a_checkpoint_line_is_checked_before_any_of_it_is_shown(
    year: Year, keys: tuple[Path, Path], tmp_path: Path
) -> None:
    """The file is not trusted: a fingerprint carrying a terminal escape is not echoed."""
    marks = tmp_path / "checkpoints.jsonl"
    checkpoint(year, keys[0], marks, "2011-05-05T18:00")
    record = json.loads(marks.read_text(encoding="utf-8"))
    record["key"] = "\x1b]0;owned\x07"
    marks.write_text(json.dumps(record) + "\n", encoding="utf-8")

    report = verify_store(str(year.db), year.documents, marks, keys[1]).checkpoints

    (failure,) = report.failures
    assert (failure.kind, failure.message) == (
        "unreadable",
        "检查点文件第 1 行：字段的类型或写法不对",
    )
