"""The search names the Discord side and the CLI use, in one place.

`from bot.search import query as core_search` gives `search`, `SearchPage`,
`render_snippet`, `MAX_OFFSET` and `related`. The work is done in the modules
named in bot/search/__init__.py; this module only gathers their public names.
"""

from __future__ import annotations

from bot.search.dates import parse_date
from bot.search.language import MAX_QUERY_CHARS, MAX_TERMS, ParsedQuery, parse_query
from bot.search.planning import QueryTerms, plan_terms
from bot.search.related import related
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
    "related",
    "render_snippet",
    "search",
]
