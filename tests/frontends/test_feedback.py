"""The SQLite feedback log: records, hashing, upserts, export, thread safety."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import threading

import pytest

from bot.frontends.discord.feedback import COLUMNS, FeedbackLog, export_feedback
from bot.settings import Settings

USER_ID = 387654321098765432  # a Discord snowflake: 18 digits


@pytest.fixture
def log(tmp_path):
    fb = FeedbackLog(tmp_path / "sub" / "feedback.sqlite3")
    yield fb
    fb.close()


def test_record_and_rows(log):
    log.record(question="Q?", answer="A [1]", doc_ids=["d1", "d2"], vote=1, user_id=USER_ID, message_id=1001)
    log.record(question="Q2?", answer="B", doc_ids=[], vote=-1, user_id=43, message_id=1002)
    rows = log.rows()
    assert [(r["question"], r["vote"], r["doc_ids"], r["message_id"]) for r in rows] == [
        ("Q?", 1, ["d1", "d2"], 1001), ("Q2?", -1, [], 1002)]
    assert rows[0]["time"].endswith("+00:00") and "T" in rows[0]["time"]
    assert rows[0]["user_hash"] == log.hash_user(USER_ID) and len(rows[0]["user_hash"]) == 64
    assert str(USER_ID) not in rows[0]["user_hash"]  # a 64-hex digest cannot hold 18 digits by chance


def test_a_user_changing_their_vote_replaces_it(log):
    for vote in (1, -1):
        log.record(question="Q", answer="A", doc_ids=[], vote=vote, user_id=7, message_id=5)
    log.record(question="Q", answer="A", doc_ids=[], vote=1, user_id=8, message_id=5)
    assert [(r["vote"], r["user_hash"]) for r in log.rows()] == [(-1, log.hash_user(7)), (1, log.hash_user(8))]


def test_invalid_vote_is_rejected(log):
    with pytest.raises(ValueError):
        log.record(question="Q", answer="A", doc_ids=[], vote=0, user_id=1)


def test_salt_is_random_per_database_and_kept(tmp_path):
    a = FeedbackLog(tmp_path / "a.db")
    b = FeedbackLog(tmp_path / "b.db")
    assert a.hash_user(1) != b.hash_user(1)
    a_hash = a.hash_user(1)
    a.close(), b.close()
    again = FeedbackLog(tmp_path / "a.db")
    assert again.hash_user(1) == a_hash
    salt = sqlite3.connect(tmp_path / "a.db").execute("SELECT value FROM meta WHERE key='salt'").fetchone()[0]
    assert len(salt) == 32
    again.close()


def test_export_csv_and_jsonl(log, tmp_path):
    log.record(question='Say "hi", ok?', answer="line1\nline2", doc_ids=["x"], vote=1, user_id=1,
               message_id=1234567890123456789)
    out = tmp_path / "fb.csv"
    assert log.export(out, "csv") == 1
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert list(rows[0]) == list(COLUMNS)
    assert rows[0]["question"] == 'Say "hi", ok?' and json.loads(rows[0]["doc_ids"]) == ["x"]
    buf = io.StringIO()
    log.export(buf, "jsonl")
    data = json.loads(buf.getvalue())
    assert data["answer"] == "line1\nline2" and data["message_id"] == "1234567890123456789" and data["vote"] == 1
    with pytest.raises(ValueError):
        log.export(buf, "xml")


def test_export_to_stdout(log, capsys):
    log.record(question="Q", answer="A", doc_ids=[], vote=-1, user_id=1, message_id=9)
    log.export("-", "jsonl")
    assert json.loads(capsys.readouterr().out)["vote"] == -1


def test_export_feedback_from_settings(tmp_path):
    settings = Settings(feedback_db=tmp_path / "fb.sqlite3")
    with pytest.raises(FileNotFoundError):
        export_feedback(settings, "csv", tmp_path / "out.csv")
    fb = FeedbackLog(settings.feedback_path)
    fb.record(question="Q", answer="A", doc_ids=["d"], vote=1, user_id=1, message_id=1)
    fb.close()
    assert export_feedback(settings, "jsonl", tmp_path / "out.jsonl") == 1
    assert json.loads((tmp_path / "out.jsonl").read_text())["doc_ids"] == ["d"]


def test_thread_safe_writes(log):
    def worker(t: int) -> None:
        for i in range(25):
            log.record(question=f"q{t}-{i}", answer="a", doc_ids=[], vote=1, user_id=t, message_id=t * 1000 + i)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(log.rows()) == 200
