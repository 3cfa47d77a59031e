"""Expand the ingest command's arguments (files, folders, globs) into files to read."""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from pathlib import Path

from .loaders import SUPPORTED, is_sidecar


@dataclass(frozen=True)
class SourceFile:
    """A file to ingest, with the root its stable id is relative to."""

    path: Path
    root: Path

    @property
    def rel_path(self) -> str:
        """The path relative to the root, with forward slashes (part of the document id)."""
        return self.path.relative_to(self.root).as_posix()


def _walk(folder: Path) -> list[Path]:
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "__")))
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if name.startswith(".") or is_sidecar(path) or path.suffix.lower() not in SUPPORTED:
                continue
            if name.lower() in ("readme.md", "readme.txt", "license.md", "license.txt"):
                continue  # a folder's own notes, not articles
            found.append(path)
    return found


def _glob_root(pattern: str) -> Path:
    parts = Path(pattern).parts
    fixed = [p for p in parts[: next((i for i, p in enumerate(parts) if glob.has_magic(p)), len(parts))]]
    return Path(*fixed) if fixed else Path(".")


def discover(inputs: list[str]) -> tuple[list[SourceFile], list[tuple[str, str]]]:
    """Files to ingest, and (input, reason) for arguments that match nothing.

    A folder is walked recursively (hidden entries, sidecars and README files are
    skipped); its files' ids are relative to the folder. A file's root is its own
    folder. A glob's root is the part of the pattern before the first wildcard.
    """
    files: dict[Path, SourceFile] = {}
    missing: list[tuple[str, str]] = []
    for raw in inputs:
        path = Path(raw).expanduser()
        if glob.has_magic(raw):
            root = _glob_root(raw).resolve()
            matches = [Path(m) for m in sorted(glob.glob(raw, recursive=True))]
            if not matches:
                missing.append((raw, "no file matches this pattern"))
            for match in matches:
                targets = _walk(match) if match.is_dir() else [match]
                for target in targets:
                    if not is_sidecar(target):
                        files.setdefault(target.resolve(), SourceFile(target.resolve(), root))
        elif path.is_dir():
            root = path.resolve()
            for target in _walk(path):
                files.setdefault(target.resolve(), SourceFile(target.resolve(), root))
        elif path.exists():
            resolved = path.resolve()
            files.setdefault(resolved, SourceFile(resolved, resolved.parent))
        else:
            missing.append((raw, "no such file or folder"))
    return list(files.values()), missing
