"""A gradient-boosted tree ensemble (trained with LightGBM) evaluated with numpy.

The re-ranker's model (`rerank.py`) is trained offline with LightGBM
(`benchmarks/train_reranker.py`) and shipped as a small JSON file of flat node arrays.
It is evaluated here rather than by LightGBM itself because `import lightgbm` imports
scikit-learn and costs ~1.3 s in every fresh process, while scoring a pool of ~30
passages is a few gathers over arrays. Written by hand for that reason; the tests check it
against LightGBM's own predictions.

LightGBM's numerical splits send a value to the left child when `value <= threshold`.
Models with categorical splits or missing-value routing are refused when converted.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

FORMAT = "newsdesk-trees/1"


class TreeEnsemble:
    """Sum of regression trees over named features; `predict` scores the rows of a matrix."""

    def __init__(self, features: list[str], trees: list[dict[str, list]], meta: dict[str, Any] | None = None) -> None:
        self.features = list(features)
        self.meta = dict(meta or {})  # what the trainer recorded: the questions it saw, cross-validated figures
        feature, threshold, left, right, value, roots = [], [], [], [], [], []
        for tree in trees:
            base = len(feature)
            roots.append(base)
            feature += tree["feature"]
            threshold += tree["threshold"]
            left += [base + i if i >= 0 else -1 for i in tree["left"]]
            right += [base + i if i >= 0 else -1 for i in tree["right"]]
            value += tree["value"]
        self._feature = np.asarray(feature, dtype=np.int64)
        self._threshold = np.asarray(threshold, dtype=np.float64)
        self._left = np.asarray(left, dtype=np.int64)
        self._right = np.asarray(right, dtype=np.int64)
        self._value = np.asarray(value, dtype=np.float64)
        self._roots = np.asarray(roots, dtype=np.int64)
        # for `predict`: a leaf points to itself whatever the value, so every row can take the
        # same number of steps (the deepest leaf's depth) without checking where it is
        leaf = self._feature < 0
        own = np.arange(len(self._feature))
        self._step_feature = np.where(leaf, 0, self._feature)
        self._step_threshold = np.where(leaf, np.inf, self._threshold)
        self._step_left = np.where(leaf, own, self._left)
        self._step_right = np.where(leaf, own, self._right)
        self._depth = _depth(self._left, self._right, self._roots)

    @property
    def size(self) -> int:
        """How many trees."""
        return len(self._roots)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """One score per row of `x` (rows x features, in `self.features` order)."""
        x = np.nan_to_num(np.asarray(x, dtype=np.float64))
        if x.ndim != 2 or x.shape[1] != len(self.features):
            raise ValueError(f"expected rows of {len(self.features)} features, got shape {x.shape}")
        if not len(x) or not self.size:
            return np.zeros(len(x))
        flat = x.ravel()
        offset = (np.arange(len(x)) * x.shape[1])[:, None]
        node = np.broadcast_to(self._roots, (len(x), self.size))
        for _ in range(self._depth):
            goes_left = flat[offset + self._step_feature[node]] <= self._step_threshold[node]
            node = np.where(goes_left, self._step_left[node], self._step_right[node])
        return self._value[node].sum(axis=1)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form `load` reads."""
        ends = [*self._roots[1:], len(self._feature)]
        trees = []
        for root, end in zip(self._roots, ends):
            trees.append({"feature": self._feature[root:end].tolist(), "threshold": self._threshold[root:end].tolist(),
                          "left": _local(self._left[root:end], root), "right": _local(self._right[root:end], root),
                          "value": self._value[root:end].tolist()})
        return {"format": FORMAT, "features": self.features, "trees": trees, "meta": self.meta}

    def save(self, path: Path) -> None:
        """Write the ensemble as JSON."""
        Path(path).write_text(json.dumps(self.to_dict(), separators=(",", ":")), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> TreeEnsemble:
        """Read an ensemble written by `save`."""
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            raise ValueError(f"{path}: not a {FORMAT} file")
        return cls(data["features"], data["trees"], data.get("meta"))

    @classmethod
    def from_lightgbm(cls, dump: dict[str, Any]) -> TreeEnsemble:
        """Convert LightGBM's `Booster.dump_model()` (numerical splits only)."""
        features = dump["feature_names"]
        trees = []
        for info in dump["tree_info"]:
            tree: dict[str, list] = {"feature": [], "threshold": [], "left": [], "right": [], "value": []}
            _add_node(tree, info["tree_structure"])
            trees.append(tree)
        return cls(features, trees)


def _depth(left: np.ndarray, right: np.ndarray, roots: np.ndarray) -> int:
    """The number of splits on the longest path from a root to a leaf."""
    deepest, level, frontier = 0, 0, roots
    while len(frontier):
        children = np.concatenate([left[frontier], right[frontier]])
        frontier = children[children >= 0]
        level += 1
        if len(frontier):
            deepest = level
    return deepest


def _local(children: np.ndarray, root: int) -> list[int]:
    """Child indices relative to their tree's root (-1 stays -1: no child)."""
    return [int(i - root) if i >= 0 else -1 for i in children]


def _add_node(tree: dict[str, list], node: dict[str, Any]) -> int:
    """Append a LightGBM dump node (and its subtree) to the flat arrays; its index."""
    at = len(tree["feature"])
    for key, blank in (("feature", -1), ("threshold", 0.0), ("left", -1), ("right", -1), ("value", 0.0)):
        tree[key].append(blank)
    if "split_feature" not in node:
        tree["value"][at] = float(node.get("leaf_value", 0.0))
        return at
    if node.get("decision_type") != "<=" or node.get("missing_type") not in ("None", None):
        raise ValueError("only numerical '<=' splits without missing-value routing are supported")
    tree["feature"][at] = int(node["split_feature"])
    tree["threshold"][at] = float(node["threshold"])
    tree["left"][at] = _add_node(tree, node["left_child"])
    tree["right"][at] = _add_node(tree, node["right_child"])
    return at
