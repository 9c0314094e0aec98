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
- query.py: the names above that the cogs and CLI import.
"""
