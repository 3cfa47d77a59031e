"""The 👍/👎 feedback log: one SQLite table, user ids stored only as salted hashes."""

from __future__ import annotations

import csv
import hashlib
import json
import secrets
import sqlite3
import sys
import threading
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator, Sequence, TextIO

from ...settings import Settings

COLUMNS = ("id", "time", "question", "answer", "doc_ids", "vote", "user_hash", "message_id")
FORMATS = ("csv", "jsonl")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY,
    time TEXT NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    doc_ids TEXT NOT NULL,
    vote INTEGER NOT NULL CHECK (vote IN (1, -1)),
    user_hash TEXT NOT NULL,
    message_id INTEGER,
    UNIQUE (message_id, user_hash)
);
"""


class FeedbackLog:
    """Votes on answers, in a SQLite file. Safe to share between threads.

    A user's later vote on the same answer message replaces the earlier one, so counts
    per answer are one per user. The salt for hashing user ids is random per database.
    """

    def __init__(self, path: str | Path, *, create: bool = True) -> None:
        self.path = Path(path)
        if not create and not self.path.is_file():
            raise FileNotFoundError(f"no feedback recorded yet: {self.path} does not exist")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.path, check_same_thread=False, timeout=10)
        with self._transaction() as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(_SCHEMA)
            conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('salt', ?)", (secrets.token_hex(16),))
            self._salt = conn.execute("SELECT value FROM meta WHERE key = 'salt'").fetchone()[0]

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock, self._conn:
            yield self._conn

    def hash_user(self, user_id: int | str) -> str:
        """sha256(salt + user id), hex."""
        return hashlib.sha256(f"{self._salt}{user_id}".encode()).hexdigest()

    def record(self, *, question: str, answer: str, doc_ids: Sequence[str], vote: int, user_id: int | str,
               message_id: int | None = None) -> None:
        """Store one vote (+1 or -1) on an answer."""
        if vote not in (1, -1):
            raise ValueError("vote must be +1 or -1")
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        row = (now, question, answer, json.dumps(list(doc_ids)), vote, self.hash_user(user_id), message_id)
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO feedback (time, question, answer, doc_ids, vote, user_hash, message_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (message_id, user_hash) DO UPDATE SET "
                "time = excluded.time, vote = excluded.vote", row)

    def rows(self) -> list[dict]:
        """Every vote, oldest first, with `doc_ids` as a list."""
        with self._transaction() as conn:
            cursor = conn.execute(f"SELECT {', '.join(COLUMNS)} FROM feedback ORDER BY id")
            return [dict(zip(COLUMNS, r), doc_ids=json.loads(r[4])) for r in cursor.fetchall()]

    def export(self, out: str | Path | TextIO, fmt: str = "csv") -> int:
        """Write every vote as CSV or JSON Lines to a path, "-" (stdout) or an open file; returns the count."""
        if fmt not in FORMATS:
            raise ValueError(f"format must be one of {', '.join(FORMATS)}")
        rows = self.rows()
        if isinstance(out, (str, Path)) and str(out) != "-":
            with open(out, "w", encoding="utf-8", newline="") as fh:
                _write(rows, fh, fmt)
        else:
            _write(rows, sys.stdout if isinstance(out, (str, Path)) else out, fmt)
        return len(rows)

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._conn.close()


def _write(rows: list[dict], fh: TextIO, fmt: str) -> None:
    if fmt == "jsonl":
        for row in rows:
            fh.write(json.dumps(dict(row, message_id=_str_or_none(row["message_id"])), ensure_ascii=False) + "\n")
        return
    writer = csv.DictWriter(fh, fieldnames=COLUMNS)
    writer.writeheader()
    for row in rows:
        writer.writerow(dict(row, doc_ids=json.dumps(row["doc_ids"])))


def _str_or_none(value: object) -> str | None:
    """Discord ids as strings in JSON (they exceed JavaScript's safe integers)."""
    return None if value is None else str(value)


def export_feedback(settings: Settings, fmt: str, out: str | Path | TextIO) -> int:
    """`newsdesk feedback --export FILE [--format csv|jsonl]`: write the log; returns the number of votes.

    Raises FileNotFoundError when no feedback database exists yet, ValueError for an unknown format.
    """
    log = FeedbackLog(settings.feedback_path, create=False)
    try:
        return log.export(out, fmt)
    finally:
        log.close()
