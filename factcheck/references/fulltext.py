"""Full-text search over an indexed table: SQLite FTS5 (bm25) or PostgreSQL tsvector + GIN.

The index objects are created by hand in migration 0004 and are not in the models;
``SEARCH_OBJECTS`` names them and ``include_object`` hides them from schema comparison.

A query is the claim's content words. Common words would make the engine visit a large share
of the table, so each word's document frequency is read first (FTS5's vocabulary table; on
PostgreSQL a count bounded by ``candidates``). Only the rarest words whose matches add up to
at most ``candidates`` rows pick candidates (OR-ed, ranked by the engine); when even the
rarest word is common, passages holding the three rarest words are taken, or else the first
``candidates`` holding the rarest. Every word then ranks the best few candidates (BM25F, with
the index's own frequencies). A query on "climate change said" over a million passages stays
fast and rare words still find their passages.
"""

from __future__ import annotations

import math
import time
import unicodedata
from dataclasses import dataclass
from typing import Any

import snowballstemmer
from sqlalchemy import text
from sqlalchemy.orm import Session

from factcheck.references.text import query_words, terms


@dataclass(frozen=True)
class FullTextIndex:
    table: str
    fts_table: str
    """SQLite: the FTS5 table. PostgreSQL: the table has a ``search_vector`` column instead."""
    columns: tuple[str, ...]
    weights: tuple[float, ...]
    """bm25 weight of each column (title counts less than text)."""


LIBRARY = FullTextIndex("library_passages", "library_passages_fts", ("title", "text"), (0.5, 1.0))
CLAIM_REVIEWS = FullTextIndex("claim_reviews", "claim_reviews_fts", ("claim",), (1.0,))
INDEXES = (LIBRARY, CLAIM_REVIEWS)
_FTS5_SHADOWS = ("", "_data", "_idx", "_docsize", "_config", "_content", "_vocab")
SEARCH_OBJECTS = frozenset(
    {f"{index.fts_table}{suffix}" for index in INDEXES for suffix in _FTS5_SHADOWS}
    | {f"ix_{index.table}_search_vector" for index in INDEXES}
)
"""Tables and indexes of the hand-written full-text objects (not in the models, on purpose)."""


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Alembic hook: leave the full-text objects out of model comparison and autogenerate."""
    if name in SEARCH_OBJECTS:
        return False
    table = getattr(obj, "table", None)
    return not (type_ == "column" and name == "search_vector" and getattr(table, "name", None))


@dataclass(frozen=True)
class Hit:
    row_id: int
    score: float
    """Higher is better; comparable within one query only."""


def search(session: Session, index: FullTextIndex, query: str, limit: int, candidates: int) -> list[Hit]:
    """The ``limit`` best rows of ``index`` for ``query`` (bounded work, see the module doc)."""
    words = query_words(query)
    if not words or limit < 1:
        return []
    engine = (
        _Postgres(session, index)
        if session.get_bind().dialect.name == "postgresql"
        else _Sqlite(session, index)
    )
    frequencies = engine.frequencies(words, candidates)
    present = sorted((word for word in words if frequencies.get(word)), key=lambda word: frequencies[word])
    if not present:
        return []
    rerank = max(limit * 3, 30)
    selective = _within_budget(present, frequencies, candidates)
    if selective:
        picked = engine.candidates(selective, "any", candidates, rerank)
    else:  # every word is common: passages with all of them, else the first ones with the rarest
        picked = engine.candidates(present[:3], "all", candidates, rerank) or engine.candidates(
            present[:1], "first", candidates, rerank
        )
    return _bm25(picked, present, frequencies, engine.total(), index.weights)[:limit]


def _within_budget(words: list[str], frequencies: dict[str, int], budget: int) -> list[str]:
    """The rarest words whose matches add up to at most ``budget`` rows (words sorted by rarity)."""
    picked, total = [], 0
    for word in words:
        if total + frequencies[word] > budget:
            break
        picked.append(word)
        total += frequencies[word]
    return picked


def _bm25(
    rows: list[tuple[int, tuple[str, ...]]],
    words: list[str],
    frequencies: dict[str, int],
    total: int,
    weights: tuple[float, ...],
    k1: float = 1.2,
    b: float = 0.75,
) -> list[Hit]:
    """BM25F over the candidates, with document frequencies from the whole index."""
    stems = {word: (terms(word) or [word])[0] for word in words}
    idf = {
        stems[word]: math.log(1 + (total - frequencies[word] + 0.5) / (frequencies[word] + 0.5))
        for word in words
    }
    documents = []
    for row_id, fields in rows:
        counts: dict[str, float] = {}
        length = 0.0
        for weight, field in zip(weights, fields, strict=True):
            field_terms = terms(field or "")
            length += weight * len(field_terms)
            for term in field_terms:
                if term in idf:
                    counts[term] = counts.get(term, 0.0) + weight
        documents.append((row_id, counts, length))
    average = sum(length for _id, _c, length in documents) / len(documents) if documents else 1.0
    hits = []
    for row_id, counts, length in documents:
        norm = k1 * (1 - b + b * length / (average or 1.0))
        score = sum(idf[term] * tf * (k1 + 1) / (tf + norm) for term, tf in counts.items())
        if score > 0:
            hits.append(Hit(row_id, round(score, 4)))
    hits.sort(key=lambda hit: (-hit.score, hit.row_id))
    return hits


class _Sqlite:
    def __init__(self, session: Session, index: FullTextIndex) -> None:
        self.session, self.index = session, index
        fts = index.fts_table
        self.count_sql = text(f"SELECT count(*) FROM (SELECT 1 FROM {fts} WHERE {fts} MATCH :q LIMIT :cap)")  # noqa: S608
        weights = ", ".join(str(weight) for weight in index.weights)
        columns = ", ".join(index.columns)
        self.candidates_sql = text(
            f"SELECT rowid, {columns} FROM {fts} WHERE {fts} MATCH :q ORDER BY bm25({fts}, {weights}) LIMIT :cap"  # noqa: S608, E501
        )
        self.first_sql = text(f"SELECT rowid, {columns} FROM {fts} WHERE {fts} MATCH :q LIMIT :cap")  # noqa: S608
        self.total_sql = text(f"SELECT count(*) FROM {fts}_docsize")  # noqa: S608

    def frequencies(self, words: list[str], cap: int) -> dict[str, int]:
        """From the ``fts5vocab`` table (the index's own counts), keyed by the Porter stem FTS5
        indexes; a word whose stem is not found there is counted with a bounded query."""
        stems = {word: porter_stem(word) for word in words}
        placeholders = ", ".join(f":t{i}" for i in range(len(words)))
        vocab_sql = text(f"SELECT term, doc FROM {self.index.fts_table}_vocab WHERE term IN ({placeholders})")  # noqa: S608
        params = {f"t{i}": stems[w] for i, w in enumerate(words)}
        found: dict[str, int] = {row[0]: int(row[1]) for row in self.session.execute(vocab_sql, params)}
        counts = {}
        for word in words:
            if stems[word] in found:
                counts[word] = int(found[stems[word]])
            else:
                counts[word] = int(
                    self.session.execute(self.count_sql, {"q": _phrase(word), "cap": cap}).scalar_one()
                )
        return counts

    def candidates(
        self, words: list[str], mode: str, cap: int, rerank: int
    ) -> list[tuple[int, tuple[str, ...]]]:
        match = (" AND " if mode == "all" else " OR ").join(_phrase(word) for word in words)
        sql = self.first_sql if mode == "first" else self.candidates_sql
        rows = self.session.execute(sql, {"q": match, "cap": cap if mode == "first" else rerank}).all()
        return [(int(row[0]), tuple(row[1:])) for row in rows]

    def total(self) -> int:
        return int(self.session.execute(self.total_sql).scalar_one())


class _Postgres:
    def __init__(self, session: Session, index: FullTextIndex) -> None:
        self.session, self.index = session, index

    def frequencies(self, words: list[str], cap: int) -> dict[str, int]:
        """Common words from the planner's statistics (``pg_stats.most_common_elems``, kept by
        ANALYZE); the others, rare by definition, are counted exactly (small posting lists)."""
        lexemes: dict[str, str] = {
            row[0]: row[1] for row in self.session.execute(_LEXEMES_SQL, {"words": words})
        }
        common = _common_lexemes(self.session, self.index.table)
        total = self.total() if common else 0
        counts: dict[str, int] = {}
        for word in words:
            lexeme = lexemes.get(word) or ""
            if not lexeme:  # a stop word for the text search configuration
                counts[word] = 0
            elif lexeme in common:
                counts[word] = max(1, round(common[lexeme] * total))
        rest = [word for word in words if word not in counts]
        return counts | (self._count(rest, cap) if rest else {})

    def _count(self, words: list[str], cap: int) -> dict[str, int]:
        table = self.index.table
        sql = text(
            f"SELECT w, (SELECT count(*) FROM (SELECT 1 FROM {table} WHERE search_vector @@ "  # noqa: S608
            "plainto_tsquery('english', w) LIMIT :cap) s) FROM unnest(CAST(:words AS text[])) AS w"
        )
        return {row[0]: int(row[1]) for row in self.session.execute(sql, {"words": words, "cap": cap})}

    def candidates(
        self, words: list[str], mode: str, cap: int, rerank: int
    ) -> list[tuple[int, tuple[str, ...]]]:
        joiner = " && " if mode == "all" else " || "
        tsquery = joiner.join(f"plainto_tsquery('english', :w{i})" for i in range(len(words)))
        columns, table = ", ".join(self.index.columns), self.index.table
        sql = text(
            f"SELECT id, {columns} FROM (SELECT id, {columns}, search_vector FROM {table} "  # noqa: S608
            f"WHERE search_vector @@ ({tsquery}) LIMIT :cap) c "
            f"ORDER BY ts_rank(search_vector, ({tsquery}), 1) DESC LIMIT :rerank"
        )
        params: dict[str, Any] = {f"w{i}": word for i, word in enumerate(words)}
        rows = self.session.execute(
            sql, {**params, "cap": cap, "rerank": cap if mode == "first" else rerank}
        ).all()
        return [(int(row[0]), tuple(row[1:])) for row in rows]

    def total(self) -> int:
        estimate = self.session.execute(
            text("SELECT reltuples FROM pg_class WHERE relname = :name"), {"name": self.index.table}
        ).scalar()
        if estimate is None or estimate < 1000:
            count_sql = text(f"SELECT count(*) FROM {self.index.table}")  # noqa: S608
            return int(self.session.execute(count_sql).scalar_one())
        return int(estimate)


_LEXEMES_SQL = text(
    "SELECT w, array_to_string(tsvector_to_array(to_tsvector('english', w)), ' ') "
    "FROM unnest(CAST(:words AS text[])) AS w"
)
_COMMON_SQL = text(
    "SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats "
    "WHERE tablename = :table AND attname = 'search_vector'"
)
_COMMON_TTL = 300.0
_common_cache: dict[str, tuple[float, dict[str, float]]] = {}


def _common_lexemes(session: Session, table: str) -> dict[str, float]:
    """Share of rows holding each of the table's most common lexemes (refreshed every 5 min)."""
    cached = _common_cache.get(table)
    if cached is not None and time.monotonic() - cached[0] < _COMMON_TTL:
        return cached[1]
    row = session.execute(_COMMON_SQL, {"table": table}).first()
    common = dict(zip(row[0], row[1], strict=False)) if row and row[0] else {}
    _common_cache[table] = (time.monotonic(), common)
    return common


_PORTER = snowballstemmer.stemmer("porter")


def porter_stem(word: str) -> str:
    """The term SQLite's ``porter unicode61 remove_diacritics 2`` tokenizer indexes for ``word``."""
    plain = "".join(ch for ch in unicodedata.normalize("NFKD", word.lower()) if not unicodedata.combining(ch))
    return str(_PORTER.stemWord(plain))


def _phrase(word: str) -> str:
    """An FTS5 string literal: the word as one phrase, so no word is read as an operator."""
    return '"' + word.replace('"', '""') + '"'
