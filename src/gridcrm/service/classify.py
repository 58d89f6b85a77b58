"""``ComplaintClassifier``: the topic of a contact text, with calibrated probabilities, and its urgency.

Texts are normalised (:func:`~gridcrm.service.text.normalize_text`) and represented by TF-IDF
of character 1–3-grams (robust to typos and unseen compounds), of
jieba words and word pairs (with the domain dictionary), and by the concept groups of the
utility-service thesaurus they mention (:class:`~gridcrm.service.rules.TopicThesaurus`: each
group, and per topic the number of its groups). So that wording the training texts never used
still counts, the model also trains on synonym variants of every training text (thesaurus words
swapped for others of the same concept group) and leans on the concept features, which name
the topic whatever the words; its probabilities are the mean of a logistic regression on the
concept features alone and of a linear SVM on all features. The SVM learns the topics and
its scores become probabilities by calibration (sigmoid, 3-fold) when every topic has enough
examples (else a multinomial logistic regression gives them; it is ~35× slower to fit).
Few labels are enough: a text without a topic takes the weak label of the keyword
rules (:func:`~gridcrm.service.rules.load_topic_rules`) and texts the rules cannot decide are
left out and counted (``n_unlabelled_``). Urgency is a method of its own
(:meth:`ComplaintClassifier.urgency`): urgent words of the rules and the sensitive screen's
severity, not the topic model.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from numbers import Integral, Real
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from gridcrm._params import N_JOBS, RANDOM_STATE, Check, Interval, Options, ValidatedParams
from gridcrm.data.schemas import CONTACT_TOPICS
from gridcrm.errors import InputError
from gridcrm.service.rules import URGENCY_LEVELS, TopicRules, TopicThesaurus, load_topic_rules
from gridcrm.service.text import _as_texts, normalize_text, tokenize

__all__ = ["ComplaintClassifier"]

logger = logging.getLogger(__name__)

_MIN_PER_CLASS_TO_CALIBRATE = 6
_CHUNK = 20_000
#: Synonym variants of each training text (thesaurus words swapped within their concept group).
_N_VARIANTS = 2
#: Weight of a concept group's indicator and of a topic's count of groups, beside the two TF-IDF
#: parts (each of unit length): a larger weight lets the SVM rely on concepts at a smaller cost.
_CONCEPT_WEIGHT = 0.5
_TOPIC_WEIGHT = 0.5
#: Share of the concepts-only logistic regression in the probabilities (the rest: the SVM's).
_CONCEPT_BLEND = 0.5


class _Concepts:
    """Thesaurus concept features of normalised texts: group indicators and per-topic group counts."""

    def __init__(self, thesaurus: TopicThesaurus) -> None:
        self.thesaurus = thesaurus

    def fit(self, texts: list[str], y: object = None) -> _Concepts:
        return self

    def transform(self, texts: list[str]):  # noqa: ANN201 - scipy sparse
        from scipy import sparse

        groups = self.thesaurus.concepts(texts)
        topics = self.thesaurus.topics
        member = np.zeros((groups.shape[1], len(topics)), dtype=np.float32)
        member[np.arange(groups.shape[1]), [topics.index(t) for t, _, _ in self.thesaurus.groups]] = 1.0
        counts = sparse.csr_matrix(groups @ member)
        return sparse.hstack([groups * _CONCEPT_WEIGHT, counts * _TOPIC_WEIGHT], format="csr", dtype=np.float32)

    def fit_transform(self, texts: list[str], y: object = None):  # noqa: ANN201
        return self.transform(texts)

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {"thesaurus": self.thesaurus}

    def set_params(self, **params: Any) -> _Concepts:
        for k, v in params.items():
            setattr(self, k, v)
        return self


def _words_and_pairs(text: str) -> list[str]:
    words = tokenize(text)
    return words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]


def _is_rules(value: object) -> bool:
    return value is None or isinstance(value, (str, Path, Mapping, TopicRules))


class ComplaintClassifier(ValidatedParams, ClassifierMixin, BaseEstimator):
    """Topic of contact texts (``billing``, ``outage``, ``voltage``, ``meter``, ``service_attitude``,
    ``business_handling``, ``connection``, ``other``) from TF-IDF character and word n-grams.

    Parameters
    ----------
    rules : path, mapping, TopicRules or None
        Keyword rules for weak labels and urgency (None: the shipped ones).
    C : float
        Inverse regularisation strength of the linear SVM (and of the logistic regression used
        when there are too few examples to calibrate).
    calibration : {"sigmoid", "isotonic", "none"}
        Calibration of the probabilities (3-fold), used when every topic has at least 6 examples.
    max_features : int
        Largest vocabulary of each of the two TF-IDF parts.
    random_state : int or None
        Seed of the calibration folds' shuffling and of the solver (default 0).
    n_jobs : int or None
        Processes for :meth:`predict`/:meth:`predict_proba` on large inputs (None: 1).

    Attributes
    ----------
    classes_ : ndarray of str
        Topics seen in training.
    rules_ : TopicRules
    n_labelled_, n_weak_labelled_, n_unlabelled_ : int
        Training texts with a given topic, with a weak label from the rules, and left out.
    n_training_texts_ : int
        Texts the model learned from: the labelled ones and their synonym variants.
    calibrated_ : bool
    vectorizer_ : sklearn FeatureUnion
        TF-IDF of characters and of words, and (with a thesaurus) the concept features last.
    model_ : fitted classifier
        The calibrated SVM on all features (or the logistic regression when too few to calibrate).
    concept_model_ : LogisticRegression or None
        On the concept features alone (None without a thesaurus); half of the probabilities.

    Examples
    --------
    >>> clf = ComplaintClassifier(random_state=0).fit(
    ...     ["停电三个小时", "又停电了", "电费太高", "电费算错了", "电压不稳", "电压太低"],
    ...     ["outage", "outage", "billing", "billing", "voltage", "voltage"])
    >>> clf.predict(["昨晚停电到现在", "这个月电费翻倍"]).tolist()
    ['outage', 'billing']
    >>> clf.urgency(["电线冒烟了", "电费有疑问", "停电好几天了还没来电"])["level"].tolist()
    ['high', 'low', 'medium']
    """

    _parameter_rules = {
        "rules": [Check(_is_rules, "a path, a mapping, TopicRules or None")],
        "C": [Interval(Real, 0, None, closed="neither")],
        "calibration": [Options({"sigmoid", "isotonic", "none"})],
        "max_features": [Interval(Integral, 10, None, closed="left")],
        "random_state": RANDOM_STATE,
        "n_jobs": N_JOBS,
    }

    def __init__(self, *, rules: str | Path | Mapping[str, Any] | TopicRules | None = None, C: float = 1.0,
                 calibration: str = "sigmoid", max_features: int = 200_000, random_state: int | None = 0,
                 n_jobs: int | None = None) -> None:
        self.rules = rules
        self.C = C
        self.calibration = calibration
        self.max_features = max_features
        self.random_state = random_state
        self.n_jobs = n_jobs

    def _vectorizer(self):  # noqa: ANN202
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.pipeline import FeatureUnion

        parts = [
            ("chars", TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=1,
                                      max_features=self.max_features, dtype=np.float32)),
            ("words", TfidfVectorizer(analyzer=_words_and_pairs, sublinear_tf=True, min_df=1,
                                      max_features=self.max_features, dtype=np.float32)),
        ]
        if self.rules_.thesaurus is not None:
            parts.append(("concepts", _Concepts(self.rules_.thesaurus)))
        return FeatureUnion(parts)

    def fit(self, texts: Sequence[str] | Iterable[str], topics: Sequence[object] | None = None) -> ComplaintClassifier:
        """Learn topics from texts, taking the rules' weak label where a topic is missing.

        Parameters
        ----------
        texts : sequence of str
        topics : sequence of topic id or None, optional
            One per text; None/NaN (or no ``topics`` at all): use the keyword rules.

        Returns
        -------
        self

        Raises
        ------
        gridcrm.errors.InputError
            Lengths differ, a topic is not a topic id, or fewer than two topics remain.
        """
        from sklearn.linear_model import LogisticRegression

        self._validate_params()
        items = _as_texts(texts)
        self.rules_ = load_topic_rules(self.rules)
        normalized = normalize_text(items)
        if topics is None:
            given = np.full(len(items), None, dtype=object)
        else:
            given = pd.Series(list(topics) if not isinstance(topics, pd.Series) else topics.to_numpy(),
                              dtype=object)
            if len(given) != len(items):
                raise InputError(f"ComplaintClassifier.fit: topics has {len(given)} values for {len(items)} texts")
            given = given.where(given.notna(), None).to_numpy()
        labelled = given != None  # noqa: E711 - elementwise on an object array
        bad = sorted({str(t) for t in given[labelled]} - set(CONTACT_TOPICS))
        if bad:
            raise InputError(f"ComplaintClassifier.fit: topics {bad[:5]} are not topic ids; "
                             f"expected {list(CONTACT_TOPICS)} or None")
        weak = self.rules_.weak_labels([t for t, k in zip(normalized, labelled, strict=True) if not k])
        y = given.copy()
        y[~labelled] = weak
        use = y != None  # noqa: E711
        self.n_labelled_ = int(labelled.sum())
        self.n_weak_labelled_ = int(use.sum() - labelled.sum())
        self.n_unlabelled_ = int((~use).sum())
        if self.n_unlabelled_:
            logger.info("ComplaintClassifier: %d of %d texts have no topic and no rule decides one; left out",
                        self.n_unlabelled_, len(items))
        y = y[use].astype(str)
        classes, counts = np.unique(y, return_counts=True)
        if len(classes) < 2:
            raise InputError(f"ComplaintClassifier.fit: needs texts of at least two topics, got {classes.tolist()} "
                             f"({self.n_unlabelled_} texts without a topic)")
        X_text = [t for t, k in zip(normalized, use, strict=True) if k]
        origin = np.arange(len(X_text))
        thesaurus = self.rules_.thesaurus
        if thesaurus is not None and _N_VARIANTS:
            rng = np.random.default_rng(self.random_state)
            extra = [thesaurus.variants(X_text, rng) for _ in range(_N_VARIANTS)]
            X_text = X_text + [t for v in extra for t in v]
            origin = np.tile(origin, 1 + _N_VARIANTS)
            y = np.tile(y, 1 + _N_VARIANTS)
        self.n_training_texts_ = len(X_text)
        self.vectorizer_ = self._vectorizer().fit(X_text)
        X = self.vectorizer_.transform(X_text)
        self.calibrated_ = self.calibration != "none" and counts.min() >= _MIN_PER_CLASS_TO_CALIBRATE
        if self.calibrated_:
            from sklearn.calibration import CalibratedClassifierCV
            from sklearn.model_selection import StratifiedKFold
            from sklearn.svm import LinearSVC

            # folds of the original texts: a text and its variants are never on both sides
            first = np.flatnonzero(origin == np.arange(len(origin)))
            folds = StratifiedKFold(3, shuffle=True, random_state=self.random_state).split(first, y[first])
            cv = [(np.flatnonzero(~np.isin(origin, first[test])), np.flatnonzero(np.isin(origin, first[test])))
                  for _, test in folds]
            svm = LinearSVC(C=self.C, random_state=self.random_state)
            self.model_ = CalibratedClassifierCV(svm, method=self.calibration, cv=cv, ensemble=False).fit(X, y)
        else:
            self.model_ = LogisticRegression(C=10 * self.C, max_iter=2000, random_state=self.random_state).fit(X, y)
        self.classes_ = self.model_.classes_
        self.concept_model_ = None
        if thesaurus is not None and _CONCEPT_BLEND > 0:
            n_concepts = len(thesaurus.groups) + len(thesaurus.topics)
            concept_model = LogisticRegression(C=self.C, max_iter=2000, random_state=self.random_state)
            self.concept_model_ = concept_model.fit(X[:, -n_concepts:], y)
        return self

    def _proba_chunk(self, texts: list[str]) -> np.ndarray:
        X = self.vectorizer_.transform(normalize_text(texts))
        proba = self.model_.predict_proba(X).astype(np.float64)
        if self.concept_model_ is not None:
            n_concepts = self.concept_model_.n_features_in_
            proba = ((1 - _CONCEPT_BLEND) * proba
                     + _CONCEPT_BLEND * self.concept_model_.predict_proba(X[:, -n_concepts:]).astype(np.float64))
        return proba / proba.sum(axis=1, keepdims=True)  # float32 features: sum to one in float64

    def predict_proba(self, texts: Sequence[str] | Iterable[str]) -> np.ndarray:
        """Calibrated probability of each topic (columns in the order of ``classes_``).

        Returns
        -------
        ndarray, shape (n_texts, n_topics)
        """
        check_is_fitted(self, "model_")
        items = _as_texts(texts)
        if not items:
            return np.zeros((0, len(self.classes_)))
        n_jobs = 1 if self.n_jobs is None else self.n_jobs
        if n_jobs != 1:  # a few large chunks per process: each task ships the fitted vocabularies
            from joblib import effective_n_jobs

            size = max(_CHUNK, -(-len(items) // (4 * effective_n_jobs(n_jobs))))
        else:
            size = _CHUNK
        chunks = [items[i:i + size] for i in range(0, len(items), size)]
        if n_jobs == 1 or len(chunks) == 1:
            parts = [self._proba_chunk(c) for c in chunks]
        else:
            from joblib import Parallel, delayed

            parts = Parallel(n_jobs=n_jobs)(delayed(self._proba_chunk)(c) for c in chunks)
        return np.vstack(parts)

    def predict(self, texts: Sequence[str] | Iterable[str]) -> np.ndarray:
        """One topic id per text.

        Returns
        -------
        ndarray of str
        """
        return self.classes_[self.predict_proba(texts).argmax(axis=1)]

    def urgency(self, texts: Sequence[str] | Iterable[str]) -> pd.DataFrame:
        """How urgent each text is, from the rules' urgent words and the sensitive screen.

        A text is ``high`` with a word of ``urgency.high`` or a screen match of severity 3,
        ``medium`` with a word of ``urgency.medium`` or a match of severity 1–2, else ``low``.

        Returns
        -------
        DataFrame
            ``level`` (``low``/``medium``/``high``), ``score`` (0, 1, 2) and ``reasons``.
        """
        from gridcrm.service.screen import SensitiveScreen

        rules = self.rules_ if hasattr(self, "rules_") else load_topic_rules(self.rules)
        items = _as_texts(texts)
        normalized = normalize_text(items)
        score = np.zeros(len(items), dtype=np.int64)
        reasons: list[list[str]] = [[] for _ in items]
        for level, value in (("medium", 1), ("high", 2)):
            for word in rules.urgency.get(level, ()):
                hit = np.fromiter((word in t for t in normalized), bool, len(normalized))
                score[hit] = np.maximum(score[hit], value)
                for i in np.flatnonzero(hit):
                    reasons[i].append(word)
        flags = SensitiveScreen().flags(items)
        sev = flags["max_severity"].to_numpy()
        score = np.maximum(score, np.where(sev >= 3, 2, np.where(sev >= 1, 1, 0)))
        for i in np.flatnonzero(sev > 0):
            reasons[i].append(flags.loc[i, "reasons"])
        return pd.DataFrame({"level": np.array(URGENCY_LEVELS, dtype=object)[score], "score": score,
                             "reasons": ["; ".join(r) for r in reasons]})
