"""The lexical index of a store: one tokenizer, and BM25 snapshots beside Chroma's vectors.

Chroma (1.5, open source) has no BM25 index, so Newsdesk keeps one itself: the ingester
writes a snapshot after every run that changed something (`save_snapshot`), and every bot
memory-maps the snapshot matching the store's version (`open_current`). See `folder.py`
for the layout on disk and why a crash never leaves a half-written snapshot in use.
"""

from .build import BM25_B, BM25_K1, LexicalData, build, update
from .folder import SnapshotFolder
from .maintain import SnapshotInfo, folder_for, matches, open_current, save_snapshot, snapshot_doc_records
from .snapshot import Snapshot
from .tokenizer import STOPWORDS, TOKENIZER_ID, stem, terms, tokenize

__all__ = ["BM25_B", "BM25_K1", "LexicalData", "STOPWORDS", "Snapshot", "SnapshotFolder", "SnapshotInfo",
           "TOKENIZER_ID", "build", "folder_for", "matches", "open_current", "save_snapshot", "snapshot_doc_records",
           "stem", "terms", "tokenize", "update"]
