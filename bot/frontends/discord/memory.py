"""What the bot remembers of the answers it sent: for follow-ups (replies) and votes."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import discord

from ...answer import Answer

RECORDS_KEPT = 2000  # answers remembered for follow-ups and votes


@dataclass(frozen=True)
class AnswerRecord:
    """What the bot remembers of an answer it sent: for follow-ups and feedback."""

    question: str
    answer: str
    doc_ids: tuple[str, ...] = ()
    topic: str = ""  # the question a reply is a follow-up of (a follow-up's: the one it followed up)

    @property
    def context(self) -> str:
        """The earlier question and answer, as `AskOptions.context`."""
        return f"Q: {self.topic or self.question}\nA: {self.answer}"

    @classmethod
    def from_answer(cls, answer: Answer, topic: str = "") -> "AnswerRecord":
        """The record of a fresh answer (`topic`: the question a follow-up followed up)."""
        doc_ids = tuple(dict.fromkeys(c.doc_id for c in answer.citations if c.doc_id))
        return cls(answer.question, answer.answer, doc_ids, topic)

    @classmethod
    def from_message(cls, message: discord.Message) -> "AnswerRecord":
        """Rebuilt from an answer message (after a restart): the text it shows, no doc ids."""
        question = next((e.title for e in message.embeds if e.title), "")
        text = "\n".join(e.description for e in message.embeds if e.description) or message.content or ""
        return cls(question, text)


class AnswerMemory:
    """The most recent `RECORDS_KEPT` answers, by the id of the message that shows them."""

    def __init__(self, kept: int = RECORDS_KEPT) -> None:
        self.kept = kept
        self.records: OrderedDict[int, AnswerRecord] = OrderedDict()

    def remember(self, message_id: int, record: AnswerRecord) -> None:
        """Keep an answer (the oldest is forgotten past `kept`)."""
        self.records[message_id] = record
        self.records.move_to_end(message_id)
        while len(self.records) > self.kept:
            self.records.popitem(last=False)

    def get(self, message_id: int) -> AnswerRecord | None:
        """The answer shown by a message, if remembered."""
        return self.records.get(message_id)

    def __contains__(self, message_id: object) -> bool:
        return message_id in self.records

    def __getitem__(self, message_id: int) -> AnswerRecord:
        return self.records[message_id]

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self):  # noqa: ANN204 - message ids, oldest first
        return iter(self.records)

    def clear(self) -> None:
        """Forget every answer (as after a restart)."""
        self.records.clear()
