"""Search: from what a member types to a page of results. Discord-free and
SQL-free; storage renders the plan (bot/storage/search_plan.py) in its own
query language.

- language.py: the query language (parse_query) and its common words;
- vocabulary.py (+ vocabulary.txt): recovery terms that expand each other;
- planning.py: parsed query -> plan terms; trimming a long query;
- dates.py: `after`/`before` dates (parse_date);
- service.py: search(), the one call cogs and the CLI make, and SearchPage;
- related.py: more like this (the tf-idf rule and related());
- snippets.py: storage snippets -> safe Discord markdown (render_snippet);

This package gathers the public names the cogs and the CLI use
(`from bot import search as core_search`).
"""

from __future__ import annotations

from bot.search.dates import parse_date
from bot.search.language import MAX_QUERY_CHARS, MAX_TERMS, ParsedQuery, parse_query
from bot.search.planning import QueryTerms, plan_terms
from bot.search.service import COUNT_CAP, MAX_OFFSET, MAX_PER_PAGE, SearchPage, search
from bot.search.snippets import render_snippet
from bot.search.vocabulary import Vocabulary, default_vocabulary

__all__ = [
    "COUNT_CAP",
    "MAX_OFFSET",
    "MAX_PER_PAGE",
    "MAX_QUERY_CHARS",
    "MAX_TERMS",
    "ParsedQuery",
    "QueryTerms",
    "SearchPage",
    "Vocabulary",
    "default_vocabulary",
    "parse_date",
    "parse_query",
    "plan_terms",
    "render_snippet",
    "search",
]
