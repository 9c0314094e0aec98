"""discord.py extensions, one package per feature.

Each package has `setup(bot)` in its `__init__`, the commands in `cog.py`
(parse options, call the core, send), buttons and modals in `views.py`, and a
`render.py` that turns core results into plain message specs without
importing discord (unit-tested on its own). `checks.py` holds the permission
checks and lookups the moderator commands share; `render.py` here the text
pieces the features' render modules share.
"""
