"""Posting: how an article becomes a message, as plain data (formatting.py),
and which posts carry content warnings (content_warnings.py)."""
