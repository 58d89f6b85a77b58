"""AHP hierarchies: goal → criteria → sub-criteria → indicators, with local and global weights.

Each inner node holds the pairwise comparisons of its children (judgements, a full
matrix, or several experts' judgements aggregated by AIJ). A child's *local*
weight is its priority among its siblings; its *global* weight is the product of
the local weights on the path from the goal, so the leaves' global weights sum to 1.

The consistency of the whole hierarchy is Saaty's (1980) ratio
``CR_H = Σ_j g_j · CI_j / Σ_j g_j · RI_j`` over the comparison nodes ``j``, each
weighted by its global weight ``g_j`` (the goal's is 1).

A hierarchy is written in YAML as nested nodes::

    name: credit
    title: Customer credit
    judgements:                    # among the children, (a, b, a_ab)
      - [payment, compliance, 2]
    children:
      - name: payment
        judgements: [[on_time_rate_365d, arrears_count, 1]]
        children:
          - indicator: on_time_rate_365d
          - indicator: arrears_count
      - indicator: theft_count       # a leaf may sit at any level

Instead of ``judgements`` a node may give ``matrix`` (rows in children order) or
``experts`` (``{expert: judgements}``, with optional ``expert_weights``). A node
with one child needs none.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gridcrm._yaml import read_config
from gridcrm.credit.ahp import AHPResult, Method, OnInconsistent, ahp_weights
from gridcrm.credit.errors import AHPError, CreditConfigError, InconsistencyError, InconsistencyWarning
from gridcrm.credit.group import aggregate_judgements
from gridcrm.credit.pairwise import PairwiseMatrix, pairwise_matrix

__all__ = ["AHPHierarchy", "Node", "load_hierarchy"]

logger = logging.getLogger(__name__)

_NODE_KEYS = {"name", "indicator", "title", "description", "children", "judgements", "matrix", "experts",
              "expert_weights"}


@dataclass(frozen=True, eq=False)
class Node:
    """One node of an AHP hierarchy.

    Parameters
    ----------
    name : str
        Unique in the hierarchy. For an indicator leaf, the indicator's name.
    children : tuple of Node
        Empty for a leaf.
    judgements : optional
        Comparisons among the children, anything
        :func:`~gridcrm.credit.pairwise.pairwise_matrix` accepts; labels are the
        children's names (a matrix is in children order). Not needed for one child.
    experts : mapping of str to judgements, optional
        Several experts' judgements, aggregated by their geometric mean (AIJ);
        instead of ``judgements``.
    expert_weights : mapping of str to float, optional
        Weights of the experts (equal by default).
    title, description : str
        For people.
    attrs : mapping
        Extra attributes of a leaf (e.g. an indicator's normalisation).

    Attributes
    ----------
    comparison : PairwiseMatrix or None
        The validated matrix among the children (aggregated for experts).

    Examples
    --------
    >>> goal = Node("goal", children=(Node("a"), Node("b")), judgements={("a", "b"): 3})
    >>> goal.comparison.judgement("b", "a")
    0.3333333333333333
    """

    name: str
    children: tuple[Node, ...] = ()
    judgements: Any = None
    experts: Mapping[str, Any] | None = None
    expert_weights: Mapping[str, float] | None = None
    title: str = ""
    description: str = ""
    attrs: Mapping[str, Any] = field(default_factory=dict)
    comparison: PairwiseMatrix | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise AHPError(f"a node needs a non-empty name, got {self.name!r}")
        object.__setattr__(self, "children", tuple(self.children))
        names = [c.name for c in self.children]
        if len(set(names)) != len(names):
            raise AHPError(f"node {self.name!r}: duplicate children {sorted({x for x in names if names.count(x) > 1})}")
        if not self.children:
            if self.judgements is not None or self.experts:
                raise AHPError(f"node {self.name!r} has judgements but no children")
            return
        if self.judgements is not None and self.experts:
            raise AHPError(f"node {self.name!r}: give either judgements or experts, not both")
        if len(self.children) == 1:
            if self.judgements is not None or self.experts:
                raise AHPError(f"node {self.name!r} has one child ({names[0]}): it takes no judgements")
            object.__setattr__(self, "comparison", PairwiseMatrix([[1.0]], names))
            return
        if self.experts:
            matrix = aggregate_judgements(
                {k: _ordered(v, names) for k, v in self.experts.items()}, self.expert_weights, labels=names
            )
        elif self.judgements is None:
            raise AHPError(
                f"node {self.name!r}: missing judgements among its children {names}; give judgements, a matrix "
                "or experts"
            )
        else:
            matrix = pairwise_matrix(_ordered(self.judgements, names), names)
        if set(matrix.labels or ()) != set(names):
            raise AHPError(
                f"node {self.name!r}: judgements compare {sorted(matrix.labels or ())}, children are {sorted(names)}"
            )
        object.__setattr__(self, "comparison", matrix)

    @property
    def is_leaf(self) -> bool:
        """True for a node without children."""
        return not self.children

    def label(self) -> str:
        """Title if any, else name."""
        return self.title or self.name


def _ordered(judgements: Any, names: list[str]) -> Any:
    """A judgement set with labels in the children's order (a bare matrix is taken in that order)."""
    if isinstance(judgements, PairwiseMatrix) or isinstance(judgements, pd.DataFrame):
        return judgements
    if isinstance(judgements, Mapping):
        return PairwiseMatrix.from_judgements(judgements, names)
    if isinstance(judgements, (list, tuple)) and judgements and isinstance(judgements[0], (list, tuple)) \
            and len(judgements[0]) == 3 and isinstance(judgements[0][0], str):
        return PairwiseMatrix.from_judgements(judgements, names)
    return PairwiseMatrix(judgements, names)


class AHPHierarchy:
    """An AHP hierarchy with its priorities and consistency, computed on construction.

    Parameters
    ----------
    root : Node
        The goal.
    method : {"eigenvector", "geometric"}
        Weighting method of every comparison.
    cr_threshold : float
        CR at or above which a comparison is inconsistent.
    on_inconsistent : {"warn", "raise", "ignore"}
        For each inconsistent comparison: an :class:`InconsistencyWarning` or an
        :class:`InconsistencyError` naming the node, the judgements that
        contribute most and the values the weights imply.
    random_index_table : mapping, optional
        RI by n (Saaty's table by default).
    source : str, optional
        Where the hierarchy came from (for messages).

    Attributes
    ----------
    results : dict of str to AHPResult
        Per inner node name.
    local_weights, global_weights : pandas.Series
        Per node name (the goal's are 1).

    Examples
    --------
    >>> h = AHPHierarchy(Node("goal", judgements={("a", "b"): 3}, children=(
    ...     Node("a", judgements={("x", "y"): 1}, children=(Node("x"), Node("y"))), Node("b"))))
    >>> h.leaf_weights.round(3).to_dict()
    {'x': 0.375, 'y': 0.375, 'b': 0.25}
    """

    def __init__(
        self,
        root: Node,
        *,
        method: Method = "eigenvector",
        cr_threshold: float = 0.1,
        on_inconsistent: OnInconsistent = "warn",
        random_index_table: Mapping[int, float] | None = None,
        source: str | None = None,
    ) -> None:
        self.root = root
        self.method = method
        self.cr_threshold = cr_threshold
        self.on_inconsistent = on_inconsistent
        self.source = source
        seen: dict[str, str] = {}
        for node, _parent, _level, path in self.walk():
            if node.name in seen:
                raise AHPError(f"node name {node.name!r} is used twice: at {seen[node.name]} and at {path}")
            seen[node.name] = path
        self.results: dict[str, AHPResult] = {}
        local: dict[str, float] = {root.name: 1.0}
        glob: dict[str, float] = {root.name: 1.0}
        for node, _parent, _level, path in self.walk():
            if node.is_leaf:
                continue
            result = ahp_weights(node.comparison, method, cr_threshold=cr_threshold, on_inconsistent="ignore",
                                 random_index_table=random_index_table, name=path)
            self.results[node.name] = result
            if not result.consistent:
                self._report_inconsistent(result, path)
            for child in node.children:
                local[child.name] = float(result.weights[child.name])
                glob[child.name] = glob[node.name] * local[child.name]
        order = [n.name for n, *_ in self.walk()]
        self.local_weights = pd.Series([local[k] for k in order], index=order, name="local_weight")
        self.global_weights = pd.Series([glob[k] for k in order], index=order, name="global_weight")

    def _report_inconsistent(self, result: AHPResult, path: str) -> None:
        where = f"{self.source}: " if self.source else ""
        message = (
            f"{where}inconsistent judgements at {path}: CR = {result.cr:.3f} ≥ {self.cr_threshold:g} "
            f"(n = {result.n}, λmax = {result.lambda_max:.3f}). Most inconsistent: "
            f"{result.describe_inconsistency()}."
        )
        if self.on_inconsistent == "raise":
            raise InconsistencyError(message, result)
        if self.on_inconsistent == "warn":
            warnings.warn(message, InconsistencyWarning, stacklevel=3)

    # -- structure
    def walk(self) -> Iterator[tuple[Node, Node | None, int, str]]:
        """Nodes in pre-order as ``(node, parent, level, path)``; the path joins names with ``/``."""
        stack: list[tuple[Node, Node | None, int, str]] = [(self.root, None, 0, self.root.name)]
        while stack:
            node, parent, level, path = stack.pop()
            yield node, parent, level, path
            for child in reversed(node.children):
                stack.append((child, node, level + 1, f"{path}/{child.name}"))

    @property
    def leaves(self) -> tuple[Node, ...]:
        """The leaves (indicators), in pre-order."""
        return tuple(n for n, *_ in self.walk() if n.is_leaf)

    @property
    def leaf_weights(self) -> pd.Series:
        """Global weights of the leaves; they sum to 1."""
        return self.global_weights[[n.name for n in self.leaves]]

    def node(self, name: str) -> Node:
        """The node called ``name``."""
        for n, *_ in self.walk():
            if n.name == name:
                return n
        raise KeyError(f"no node {name!r} in the hierarchy")

    def top_level_of(self) -> dict[str, str]:
        """Map each leaf to the criterion (child of the goal) it belongs to."""
        out: dict[str, str] = {}
        for crit in self.root.children:
            for n, *_ in AHPHierarchy._walk_from(crit):
                if n.is_leaf:
                    out[n.name] = crit.name
        return out

    @staticmethod
    def _walk_from(node: Node) -> Iterator[tuple[Node, int]]:
        stack = [(node, 0)]
        while stack:
            n, lvl = stack.pop()
            yield n, lvl
            stack.extend((c, lvl + 1) for c in reversed(n.children))

    # -- consistency
    @property
    def hierarchy_cr(self) -> float:
        """Saaty's consistency ratio of the whole hierarchy (see the module docstring)."""
        num = den = 0.0
        for name, r in self.results.items():
            g = float(self.global_weights[name])
            num += g * r.ci
            den += g * r.ri
        return num / den if den > 0 else 0.0

    @property
    def consistent(self) -> bool:
        """Every comparison and the hierarchy as a whole have CR below the threshold."""
        return all(r.consistent for r in self.results.values()) and self.hierarchy_cr < self.cr_threshold

    def consistency(self) -> pd.DataFrame:
        """One row per comparison (inner node) and a last row for the whole hierarchy.

        Columns: ``n``, ``lambda_max``, ``ci``, ``ri``, ``cr``, ``consistent``,
        ``global_weight``.
        """
        rows = []
        for name, r in self.results.items():
            rows.append({"node": name, "n": r.n, "lambda_max": r.lambda_max, "ci": r.ci, "ri": r.ri, "cr": r.cr,
                         "consistent": r.consistent, "global_weight": float(self.global_weights[name])})
        rows.append({"node": "(hierarchy)", "n": np.nan, "lambda_max": np.nan, "ci": np.nan, "ri": np.nan,
                     "cr": self.hierarchy_cr, "consistent": self.hierarchy_cr < self.cr_threshold,
                     "global_weight": 1.0})
        return pd.DataFrame(rows).set_index("node")

    # -- reporting
    def summary(self) -> pd.DataFrame:
        """The readable table: one row per node, in pre-order.

        Columns: ``level``, ``kind`` (goal, criterion, sub-criterion, indicator),
        ``title``, ``parent``, ``path``, ``local_weight``, ``global_weight``, and for
        inner nodes ``n``, ``lambda_max``, ``cr``, ``consistent`` (NaN for leaves).

        Examples
        --------
        >>> h = AHPHierarchy(Node("goal", judgements={("a", "b"): 3}, children=(Node("a"), Node("b"))))
        >>> h.summary()[["kind", "local_weight", "global_weight"]]  # doctest: +NORMALIZE_WHITESPACE
                   kind  local_weight  global_weight
        node
        goal       goal          1.00           1.00
        a     indicator          0.75           0.75
        b     indicator          0.25           0.25
        """
        rows = []
        for node, parent, level, path in self.walk():
            r = self.results.get(node.name)
            kind = "goal" if level == 0 else "indicator" if node.is_leaf else "criterion" if level == 1 \
                else "sub-criterion"
            rows.append({
                "node": node.name, "level": level, "kind": kind, "title": node.label(),
                "parent": parent.name if parent is not None else None, "path": path,
                "local_weight": float(self.local_weights[node.name]),
                "global_weight": float(self.global_weights[node.name]),
                "n": r.n if r else np.nan, "lambda_max": r.lambda_max if r else np.nan,
                "cr": r.cr if r else np.nan, "consistent": r.consistent if r else None,
            })
        return pd.DataFrame(rows).set_index("node")

    def to_text(self) -> str:
        """The hierarchy as an indented tree with local and global weights and CRs.

        Examples
        --------
        >>> h = AHPHierarchy(Node("goal", judgements={("a", "b"): 3}, children=(Node("a"), Node("b"))))
        >>> print(h.to_text())
        node     local   global  CR
        goal     1.000   1.000   0.000
        ├── a    0.750   0.750
        └── b    0.250   0.250
        hierarchy CR 0.000 (threshold 0.1): consistent
        """
        lines: list[tuple[str, str]] = []

        def visit(node: Node, prefix: str, tail: str) -> None:
            r = self.results.get(node.name)
            cr = "" if r is None else f"{r.cr:.3f}" + ("" if r.consistent else " INCONSISTENT")
            stats = f"{self.local_weights[node.name]:.3f}   {self.global_weights[node.name]:.3f}   {cr}".rstrip()
            lines.append((prefix + node.label(), stats))
            for k, child in enumerate(node.children):
                last = k == len(node.children) - 1
                visit(child, tail + ("└── " if last else "├── "), tail + ("    " if last else "│   "))

        visit(self.root, "", "")
        width = max(len(a) for a, _ in lines) + 4
        out = [f"{'node':<{width}}local   global  CR"]
        out += [f"{a:<{width}}{b}" for a, b in lines]
        verdict = "consistent" if self.consistent else "NOT consistent"
        out.append(f"hierarchy CR {self.hierarchy_cr:.3f} (threshold {self.cr_threshold:g}): {verdict}")
        return "\n".join(out)

    def __repr__(self) -> str:
        return (f"AHPHierarchy({self.root.name!r}, {len(self.leaves)} leaves, "
                f"hierarchy CR {self.hierarchy_cr:.3f})")

    # -- alternatives
    def synthesize(self, comparisons: Mapping[str, Any]) -> pd.DataFrame:
        """Rank alternatives compared pairwise under every leaf (classic AHP synthesis).

        Parameters
        ----------
        comparisons : mapping of leaf name to judgements
            For each leaf, the alternatives' pairwise comparisons with respect to
            it (anything :func:`~gridcrm.credit.pairwise.pairwise_matrix` accepts,
            labelled by alternative). Every leaf needs one, over the same alternatives.

        Returns
        -------
        DataFrame
            One row per alternative: its local priority under each leaf, and
            ``priority``, the global priority ``Σ_leaf g_leaf · w_alt|leaf`` (sums to 1).

        Examples
        --------
        >>> h = AHPHierarchy(Node("goal", judgements={("cost", "safety"): 1}, children=(Node("cost"), Node("safety"))))
        >>> h.synthesize({"cost": {("car1", "car2"): 3}, "safety": {("car1", "car2"): "1/3"}})["priority"].tolist()
        [0.5, 0.5]
        """
        leaves = [n.name for n in self.leaves]
        missing = [x for x in leaves if x not in comparisons]
        unknown = [x for x in comparisons if x not in leaves]
        if missing or unknown:
            raise AHPError(f"synthesize needs comparisons for exactly the leaves {leaves}; missing {missing}, "
                           f"not leaves {unknown}")
        local = {}
        alternatives: list[str] | None = None
        for leaf in leaves:
            r = ahp_weights(comparisons[leaf], self.method, cr_threshold=self.cr_threshold,
                            on_inconsistent="ignore", name=f"alternatives under {leaf}")
            if not r.consistent:
                self._report_inconsistent(r, f"alternatives under {leaf}")
            if alternatives is None:
                alternatives = list(r.weights.index)
            elif set(r.weights.index) != set(alternatives):
                raise AHPError(f"alternatives under {leaf} are {sorted(r.weights.index)}, not {sorted(alternatives)}")
            local[leaf] = r.weights.reindex(alternatives)
        frame = pd.DataFrame(local)
        frame["priority"] = frame[leaves].to_numpy() @ self.leaf_weights.to_numpy()
        frame.index.name = "alternative"
        return frame

    # -- construction from data
    @classmethod
    def from_dict(
        cls,
        raw: Mapping[str, Any],
        *,
        where: str = "hierarchy",
        leaf_attrs: Collection[str] = (),
        **options: Any,
    ) -> AHPHierarchy:
        """Build a hierarchy from nested mappings (as read from YAML).

        Parameters
        ----------
        raw : mapping
            The goal node (see the module docstring).
        where : str
            Location of ``raw`` for error messages (e.g. ``"credit_ahp.yaml: hierarchy"``).
        leaf_attrs : collection of str
            Extra keys allowed on leaves; they are kept in :attr:`Node.attrs`.
        **options
            Passed to :class:`AHPHierarchy` (method, cr_threshold, ...).

        Raises
        ------
        CreditConfigError
            Unknown key, wrong type, or invalid judgements; the message names the
            node's path.
        """
        root = _parse_node(raw, where, set(leaf_attrs))
        return cls(root, source=options.pop("source", where.split(":")[0]), **options)


def _parse_node(raw: Any, where: str, leaf_attrs: set[str]) -> Node:
    if not isinstance(raw, Mapping):
        raise CreditConfigError(f"{where}: expected a mapping (a node), got {type(raw).__name__} {raw!r}")
    if ("name" in raw) == ("indicator" in raw):
        raise CreditConfigError(f"{where}: a node needs exactly one of 'name' (inner node or leaf) or 'indicator'")
    name = raw.get("name", raw.get("indicator"))
    if not isinstance(name, str) or not name:
        raise CreditConfigError(f"{where}: the node's name must be a non-empty string, got {name!r}")
    here = f"{where} > {name}"
    children_raw = raw.get("children", [])
    is_leaf = not children_raw
    allowed = _NODE_KEYS | (leaf_attrs if is_leaf else set())
    unknown = sorted(set(raw) - allowed)
    if unknown:
        extra = "" if is_leaf or not (set(unknown) & leaf_attrs) else " (indicator settings belong on leaves)"
        raise CreditConfigError(f"{here}: unknown key(s) {unknown}; allowed keys are {sorted(allowed)}{extra}")
    if "indicator" in raw and not is_leaf:
        raise CreditConfigError(f"{here}: an 'indicator' node is a leaf and cannot have children")
    if not isinstance(children_raw, list):
        raise CreditConfigError(f"{here}.children: expected a list of nodes, got {children_raw!r}")
    children = tuple(_parse_node(c, here, leaf_attrs) for c in children_raw)
    given = [k for k in ("judgements", "matrix", "experts") if k in raw]
    if len(given) > 1:
        raise CreditConfigError(f"{here}: give one of {given}, not several")
    for key in ("title", "description"):
        if key in raw and not isinstance(raw[key], str):
            raise CreditConfigError(f"{here}.{key}: expected a string, got {raw[key]!r}")
    experts = raw.get("experts")
    if experts is not None and not (isinstance(experts, Mapping) and experts):
        raise CreditConfigError(f"{here}.experts: expected a mapping of expert name to judgements, got {experts!r}")
    if experts is not None:
        experts = {str(k): _yaml_judgements(v, f"{here}.experts.{k}") for k, v in experts.items()}
    judgements = None
    if "judgements" in raw:
        judgements = _yaml_judgements(raw["judgements"], f"{here}.judgements")
    elif "matrix" in raw:
        judgements = raw["matrix"]
    attrs = {k: v for k, v in raw.items() if k in leaf_attrs}
    if "expert_weights" in raw and experts is None:
        raise CreditConfigError(f"{here}.expert_weights: only with 'experts'")
    try:
        return Node(
            name=name, children=children, judgements=judgements, experts=experts,
            expert_weights=raw.get("expert_weights"), title=raw.get("title", ""),
            description=raw.get("description", ""), attrs=attrs,
        )
    except AHPError as exc:
        key = given[0] if given else "judgements"
        raise CreditConfigError(f"{here}.{key}: {exc}") from exc


def _yaml_judgements(value: Any, where: str) -> Any:
    if isinstance(value, Mapping) and set(value) == {"matrix"}:
        return value["matrix"]
    if not isinstance(value, list) or not all(isinstance(t, list) and len(t) == 3 for t in value):
        raise CreditConfigError(
            f"{where}: expected a list of [a, b, value] triples (or {{matrix: [[...], ...]}}), got {value!r}"
        )
    return [tuple(t) for t in value]


def load_hierarchy(
    source: str | Path | Mapping[str, Any], *, key: str | None = None, **options: Any
) -> AHPHierarchy:
    """Read an AHP hierarchy from a YAML file (or the same content as a mapping).

    Parameters
    ----------
    source : str, Path or mapping
        YAML file whose top level is the goal node, or holds it under ``key``; or that
        content already parsed. Read by :func:`gridcrm._yaml.read_config`.
    key : str, optional
        Top-level key of the hierarchy (e.g. ``"hierarchy"`` in the credit config).
    **options
        Passed to :class:`AHPHierarchy`.

    Raises
    ------
    CreditConfigError
        Missing file, invalid YAML, or an invalid node (the message names it).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "h.yaml"
    >>> _ = f.write_text("name: goal\\njudgements: [[a, b, 3]]\\nchildren: [{name: a}, {name: b}]\\n")
    >>> load_hierarchy(f).leaf_weights.to_dict()
    {'a': 0.75, 'b': 0.25}
    """
    raw, path = read_config(source, what="hierarchy file", error=CreditConfigError, shipped=None)
    name = "<dict>" if path is None else path.name
    where = f"{name}:"
    if key is not None:
        if key not in raw:
            raise CreditConfigError(f"{name}: no top-level key {key!r}")
        raw, where = raw[key], f"{name}: {key}"
    return AHPHierarchy.from_dict(raw, where=where, source=name, **options)
