"""Type suggestions from the free text of a report: offline, deterministic, pure Python.

Each type becomes a document: its name, its keywords, its description and, more
faintly, the names and keywords of its ancestors. The organization's own classified
incidents (when there are any) are added to their type. The report and every document
are TF-IDF vectors over two feature spaces: stemmed words with pairs of adjacent words,
and character 3- and 4-grams of each word (which forgive misspellings). A type's score
is a weighted sum of the cosine similarities in both spaces.

The model is built once per process and database and cached: a cheap fingerprint of
the taxonomy (count and newest change) is checked on every call and a change rebuilds
it; the history part is refreshed every `HISTORY_TTL` seconds.
"""

from __future__ import annotations

import itertools
import math
import re
import threading
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from murphy.taxonomy.models import IncidentType
from murphy.taxonomy.schemas import TypeSuggestion

HISTORY_TTL = 600.0  # seconds before the organization's history is read again
HISTORY_LIMIT = 5000  # newest classified incidents learned from
WORD_WEIGHT, CHAR_WEIGHT = 0.75, 0.25
MIN_SCORE = 0.04

History = Callable[[Session], Sequence[tuple[int, str]]]  # (type id, text) pairs

_TOKEN = re.compile(r"[a-z0-9]+")
_STOP = """a about above after again against all also am an and any are as at be been before
    being below between both but by can could did do does doing down during each few for
    from further had has have having he her here hers him his how i if in into is it its
    itself just me more most my no nor not now of off on once only or other our ours out
    over own same she should so some such than that the their theirs them then there these
    they this those through to too under until up very was we were what when where which
    while who whom why will with would you your yours get got going gone im ive dont didnt
    cant wont isnt wasnt there's theres says said saw seen see told tell like just still
    approx around near someone somebody something anyone person people guy lady man woman
    please asap today tonight yesterday morning afternoon evening night am pm hrs called
    call reported reports report reporting advised advises states stated"""
STOP_WORDS = frozenset(_STOP.split())


def normalize(text: str) -> str:
    """Lower case, accents removed, apostrophes dropped (don't → dont)."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return plain.replace("'", "").replace("’", "")


def stem(word: str) -> str:
    """A light suffix stripper: tailgating, tailgated, tailgate → tailgat."""
    if len(word) <= 3 or word.isdigit():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith(("sses", "ches", "shes", "xes", "zes")):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for suffix in ("ing", "ed", "ly"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("eed"):
            word = word[: -len(suffix)]
            if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "lsz":
                word = word[:-1]
            break
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    return word


def tokens(text: str) -> list[str]:
    """The informative words of a text, in order, lower case and unstemmed."""
    return [w for w in _TOKEN.findall(normalize(text)) if len(w) > 1 and w not in STOP_WORDS]


def word_features(words: Sequence[str]) -> list[tuple[str, str]]:
    """(feature, surface words) pairs: each stem, and each pair of adjacent stems."""
    stems = [stem(w) for w in words]
    out = [(s, w) for s, w in zip(stems, words, strict=True)]
    out += [
        (f"{a}_{b}", f"{words[i]} {words[i + 1]}")
        for i, (a, b) in enumerate(itertools.pairwise(stems))
    ]
    return out


def char_features(words: Sequence[str]) -> list[str]:
    """Character 3- and 4-grams of each word longer than three letters."""
    out: list[str] = []
    for word in words:
        if len(word) <= 3 or word.isdigit():
            continue
        padded = f"<{word}>"
        for n in (3, 4):
            out += [padded[i : i + n] for i in range(len(padded) - n + 1)]
    return out


def search_terms(text: str, limit: int = 12) -> list[str]:
    """Words for a full-text search of similar incidents: the stem when it is long
    enough to be used as a prefix (5+ letters), else the word; no repeats."""
    seen: list[str] = []
    for word in tokens(text):
        term = stem(word) if len(stem(word)) >= 5 else word
        if len(term) >= 3 and term not in seen:
            seen.append(term)
    return seen[:limit]


@dataclass(frozen=True)
class TypeDoc:
    """What the model knows of a type."""

    id: int
    code: str
    name: str
    path: tuple[str, ...]
    pack: str
    own: str  # name, keywords and description
    keywords: tuple[str, ...]
    inherited: str  # ancestors' names and keywords


Vector = dict[str, float]


def _tfidf(counts: Counter[str], idf: dict[str, float]) -> Vector:
    vec = {f: (1.0 + math.log(n)) * idf[f] for f, n in counts.items() if f in idf and n > 0}
    norm = math.sqrt(sum(v * v for v in vec.values()))
    return {f: v / norm for f, v in vec.items()} if norm else {}


def _doc_counts(doc: TypeDoc) -> tuple[Counter[str], Counter[str]]:
    """Weighted word and character counts of a type's own text."""
    words: Counter[str] = Counter()
    chars: Counter[str] = Counter()
    parts = [(doc.name, 3), (doc.own, 1), (doc.inherited, 1)]
    parts += [(k, 2) for k in doc.keywords]
    for text, weight in parts:
        toks = tokens(text)
        for feature, _ in word_features(toks):
            words[feature] += weight
        for gram in char_features(toks):
            chars[gram] += weight
    return words, chars


def _idf(docs: Iterable[Iterable[str]], n: int) -> dict[str, float]:
    df: Counter[str] = Counter()
    for features in docs:
        df.update(set(features))
    return {f: math.log((n + 1) / (d + 1)) + 1.0 for f, d in df.items()}


@dataclass
class _Space:
    """One feature space: idf and an inverted index feature → (type index, weight)."""

    idf: dict[str, float]
    index: dict[str, list[tuple[int, float]]] = field(default_factory=dict)

    def add(self, i: int, vec: Vector) -> None:
        for f, w in vec.items():
            self.index.setdefault(f, []).append((i, w))

    def scores(self, query: Vector, out: list[float], weight: float) -> None:
        for f, q in query.items():
            for i, w in self.index.get(f, ()):
                out[i] += weight * q * w


class Model:
    """TF-IDF vectors of every suggestable type, ready to rank a text against."""

    def __init__(self, docs: Sequence[TypeDoc], history: Sequence[tuple[int, str]] = ()) -> None:
        self.docs = list(docs)
        counts = [_doc_counts(d) for d in self.docs]
        past = _history_counts(self.docs, history)
        # A word a type's incidents use counts as part of that type's document.
        seen = [
            (
                w.keys() | _union(p[0] for p in past.get(d.id, [])),
                c.keys() | _union(p[1] for p in past.get(d.id, [])),
            )
            for d, (w, c) in zip(self.docs, counts, strict=True)
        ]
        self.words = _Space(_idf((s[0] for s in seen), len(seen)))
        self.chars = _Space(_idf((s[1] for s in seen), len(seen)))
        for i, (w, c) in enumerate(counts):
            mine = past.get(self.docs[i].id, [])
            share = 1.5 * len(mine) / (len(mine) + 3.0)
            extra_w = _mean([_tfidf(p[0], self.words.idf) for p in mine])
            extra_c = _mean([_tfidf(p[1], self.chars.idf) for p in mine])
            self.words.add(i, _blend(_tfidf(w, self.words.idf), extra_w, share))
            self.chars.add(i, _blend(_tfidf(c, self.chars.idf), extra_c, share))

    def vectors(self, text: str) -> tuple[Vector, Vector, dict[str, str]]:
        """The word and character vectors of a text, and each word feature's surface text."""
        toks = tokens(text)
        pairs = word_features(toks)
        surface = {f: s for f, s in pairs}
        words = _tfidf(Counter(f for f, _ in pairs), self.words.idf)
        chars = _tfidf(Counter(char_features(toks)), self.chars.idf)
        return words, chars, surface

    def rank(self, text: str, limit: int = 5) -> list[TypeSuggestion]:
        """The types most like the text, best first, with the words that drove each."""
        words, chars, surface = self.vectors(text)
        scores = [0.0] * len(self.docs)
        self.words.scores(words, scores, WORD_WEIGHT)
        self.chars.scores(chars, scores, CHAR_WEIGHT)
        order = sorted(range(len(scores)), key=lambda i: (-scores[i], self.docs[i].code))
        out = []
        for i in order[:limit]:
            if scores[i] < MIN_SCORE:
                break
            doc = self.docs[i]
            out.append(
                TypeSuggestion(
                    code=doc.code,
                    name=doc.name,
                    path=list(doc.path),
                    score=round(scores[i], 3),
                    words=self._why(i, words, surface),
                )
            )
        return out

    def _why(self, i: int, words: Vector, surface: dict[str, str]) -> list[str]:
        weights = {f: w for f, pairs in self._postings(words) for j, w in pairs if j == i}
        ranked = sorted(weights, key=lambda f: (-words[f] * weights[f], f))
        out: list[str] = []
        for f in ranked:
            text = surface[f]
            if not any(text in o for o in out):
                out = [o for o in out if o not in text] + [text]
            if len(out) == 4:
                break
        return out

    def _postings(self, words: Vector) -> Iterable[tuple[str, list[tuple[int, float]]]]:
        return ((f, self.words.index.get(f, [])) for f in words)


def _blend(base: Vector, extra: Vector, share: float) -> Vector:
    if not extra or share <= 0:
        return base
    merged = dict(base)
    for f, v in extra.items():
        merged[f] = merged.get(f, 0.0) + share * v
    norm = math.sqrt(sum(v * v for v in merged.values()))
    return {f: v / norm for f, v in merged.items()}


def _history_counts(
    docs: Sequence[TypeDoc], history: Sequence[tuple[int, str]]
) -> dict[int, list[tuple[Counter[str], Counter[str]]]]:
    """Word and character counts of each type's classified incidents."""
    known = {d.id for d in docs}
    out: dict[int, list[tuple[Counter[str], Counter[str]]]] = defaultdict(list)
    for type_id, text in history:
        if type_id in known:
            toks = tokens(text)
            words = Counter(f for f, _ in word_features(toks))
            out[type_id].append((words, Counter(char_features(toks))))
    return out


def _union(sets: Iterable[Counter[str]]) -> set[str]:
    out: set[str] = set()
    for s in sets:
        out.update(s.keys())
    return out


def _mean(vectors: Sequence[Vector]) -> Vector:
    total: defaultdict[str, float] = defaultdict(float)
    for vec in vectors:
        for f, v in vec.items():
            total[f] += v
    return {f: v / len(vectors) for f, v in total.items()}


# --- reading the taxonomy, and the per-process cache --------------------------------


def documents(session: Session) -> list[TypeDoc]:
    """Every active type and subtype (under active parents), as the model reads it."""
    rows = {t.id: t for t in session.scalars(select(IncidentType))}
    out = []
    for row in sorted(rows.values(), key=lambda t: t.code):
        chain = _ancestors(row, rows)
        if row.level == "category" or not all(t.active for t in [row, *chain]):
            continue
        inherited = " ".join(f"{t.name} {' '.join(t.keywords)}" for t in chain)
        out.append(
            TypeDoc(
                id=row.id,
                code=row.code,
                name=row.name,
                path=tuple(t.name for t in [*reversed(chain), row]),
                pack=(chain[-1] if chain else row).pack,
                own=row.description,
                keywords=tuple(row.keywords),
                inherited=inherited,
            )
        )
    return out


def _ancestors(row: IncidentType, rows: dict[int, IncidentType]) -> list[IncidentType]:
    chain: list[IncidentType] = []
    walk = rows.get(row.parent_id) if row.parent_id else None
    while walk is not None and len(chain) < 4:
        chain.append(walk)
        walk = rows.get(walk.parent_id) if walk.parent_id else None
    return chain


@dataclass
class _Cached:
    fingerprint: tuple[object, ...]
    built: float
    model: Model


_CACHE: dict[str, _Cached] = {}
_LOCK = threading.Lock()


def model(session: Session, *, history: History | None = None) -> Model:
    """The model for this database, rebuilt when the taxonomy changed or history aged."""
    key = str(session.get_bind().engine.url)
    fingerprint = tuple(
        session.execute(
            select(func.count(IncidentType.id), func.max(IncidentType.updated_at))
        ).one()
    )
    with _LOCK:
        cached = _CACHE.get(key)
        fresh = cached is not None and time.monotonic() - cached.built < HISTORY_TTL
        if cached is not None and cached.fingerprint == fingerprint and fresh:
            return cached.model
        built = Model(documents(session), history(session) if history else ())
        _CACHE[key] = _Cached(fingerprint, time.monotonic(), built)
        return built


def invalidate() -> None:
    """Forget every cached model (the next suggestion rebuilds)."""
    with _LOCK:
        _CACHE.clear()


def suggest(
    session: Session, *, text: str, limit: int = 5, history: History | None = None
) -> list[TypeSuggestion]:
    """The most likely types for a report's text, best first."""
    return model(session, history=history).rank(text, limit)
