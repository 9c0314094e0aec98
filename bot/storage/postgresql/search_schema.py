"""The DDL PostgreSQL search needs on top of the base tables (articles, comments).

The migrations run `search_ddl()` once, after the base tables exist; every
statement is idempotent, so running it again is harmless.

- `lantern`: the english configuration with diacritics folded first (`unaccent`
  from contrib), so "café" finds "cafe" and stems match ("meetings" -> meet);
  its stemmer (`lantern_stem`) keeps stopwords, as SQLite's index does.
- `lantern_words`: the same folding without stemming, for title autocomplete
  (people type the start of the word they see, not its stem).
- `articles.search_vector`: a stored generated tsvector, title weighted A,
  summary B, content C; `comments.search_vector` likewise (unweighted). Stored,
  because ranking reads every match's vector: recomputing it would reparse text.
  Long texts are cut before indexing so no article can exceed tsvector's 1 MB
  limit (an insert would fail) and indexing stays bounded.
- GIN indexes on both vectors; a GIN expression index on the folded title words
  (prefix matches for autocomplete); and an (id, feed_id) index so the newest-N
  walk and scope checks read index entries, not rows.
"""

from __future__ import annotations

# Must match the configurations below: search.py names them in its queries.
CONFIG = "lantern"
WORDS_CONFIG = "lantern_words"
# Characters of each field that are indexed (tsvector positions stop at 16,383
# anyway; the cut keeps a huge article from failing its insert).
TITLE_CHARS = 2_000
SUMMARY_CHARS = 20_000
CONTENT_CHARS = 200_000
COMMENT_CHARS = 50_000

# Word token types the default parser emits whose letters may carry accents.
_ASCII_TOKENS = "asciiword, asciihword, hword_asciipart"
_LETTER_TOKENS = "word, hword, hword_part"
_MIXED_TOKENS = "numword, numhword, hword_numpart"


def _config(name: str, copy: str, ascii: str, letters: str, mixed: str) -> str:
    return f"""
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = '{name}') THEN
        CREATE TEXT SEARCH CONFIGURATION {name} (COPY = {copy});
        ALTER TEXT SEARCH CONFIGURATION {name}
            ALTER MAPPING FOR {_ASCII_TOKENS} WITH {ascii};
        ALTER TEXT SEARCH CONFIGURATION {name}
            ALTER MAPPING FOR {_LETTER_TOKENS} WITH {letters};
        ALTER TEXT SEARCH CONFIGURATION {name}
            ALTER MAPPING FOR {_MIXED_TOKENS} WITH {mixed};
    END IF;
END
$$"""


def search_ddl() -> list[str]:
    """Statements, in order, that add full-text search to the base schema."""
    article_vector = (
        f"setweight(to_tsvector('{CONFIG}', left(coalesce(title, ''), {TITLE_CHARS})), 'A')"
        f" || setweight(to_tsvector('{CONFIG}',"
        f" left(coalesce(summary, ''), {SUMMARY_CHARS})), 'B')"
        f" || setweight(to_tsvector('{CONFIG}',"
        f" left(coalesce(content, ''), {CONTENT_CHARS})), 'C')"
    )
    return [
        "CREATE EXTENSION IF NOT EXISTS unaccent",
        # english_stem without its stopword list: every word is indexed, as in
        # SQLite, so a search for "the who" or "-not" means what it says.
        """
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_ts_dict WHERE dictname = 'lantern_stem') THEN
        CREATE TEXT SEARCH DICTIONARY lantern_stem (TEMPLATE = snowball, Language = english);
    END IF;
END
$$""",
        # unaccent is a filtering dictionary: it folds the word and hands it on.
        _config(
            CONFIG, "english", "lantern_stem", "unaccent, lantern_stem", "unaccent, simple"
        ),
        _config(WORDS_CONFIG, "simple", "simple", "unaccent, simple", "unaccent, simple"),
        "ALTER TABLE articles ADD COLUMN IF NOT EXISTS search_vector tsvector"
        f" GENERATED ALWAYS AS ({article_vector}) STORED",
        "ALTER TABLE comments ADD COLUMN IF NOT EXISTS search_vector tsvector"
        f" GENERATED ALWAYS AS (to_tsvector('{CONFIG}',"
        f" left(coalesce(text, ''), {COMMENT_CHARS}))) STORED",
        # Ranking reads (detoasts) the vector of every match: lz4 decompresses
        # several times faster than the default pglz. Servers built without lz4
        # keep pglz.
        """
DO $$
BEGIN
    ALTER TABLE articles ALTER COLUMN search_vector SET COMPRESSION lz4;
    ALTER TABLE comments ALTER COLUMN search_vector SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN NULL;
END
$$""",
        "CREATE INDEX IF NOT EXISTS articles_search_vector ON articles"
        " USING gin (search_vector)",
        "CREATE INDEX IF NOT EXISTS comments_search_vector ON comments"
        " USING gin (search_vector)",
        # Autocomplete: `to_tsvector('lantern_words', title)` in a query uses it.
        "CREATE INDEX IF NOT EXISTS articles_title_words ON articles"
        f" USING gin (to_tsvector('{WORDS_CONFIG}', left(title, {TITLE_CHARS})))",
        "CREATE INDEX IF NOT EXISTS articles_id_feed ON articles (id, feed_id)",
    ]
