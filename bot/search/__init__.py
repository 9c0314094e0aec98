"""Search: the query language members type, date filters, the recovery
vocabulary (vocabulary.txt), ranking and related articles (query.py)."""
