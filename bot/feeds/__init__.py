"""Feeds: fetching (fetch.py), parsing off the event loop (parse.py) and the
scheduler that polls, backs off and stores (engine.py)."""
