"""The words that make a question one about readers' comments (patterns only: `questions`
decides with them, and `terms` drops what readers did from such a question's terms)."""

from __future__ import annotations

import re

__all__ = ["READERS_NAMED", "READERS_QUESTION"]

# "What did readers say …", "Any reaction to …", "Did GPs complain …": comments may answer
READERS_QUESTION = re.compile(r"\b(readers?|comments?|commenters?|commented|reaction|react(ed)?|views? of gps|"
                              r"gps (say|said|think|thought|feel|felt)|complain(ed|ts?)?)\b", re.I)
# readers named outright ("readers", "commenters", "in the comments"), not just a verb they might do
READERS_NAMED = re.compile(r"\b(readers?|commenters?|comments section|in the comments|views? of gps|"
                            r"gps (?:say|said|think|thought|feel|felt))\b", re.I)
