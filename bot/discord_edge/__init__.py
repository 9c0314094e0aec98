"""The Discord edge: the only part of bot/ that imports discord.py.

client.py (start-up, shutdown, the command tree), delivery.py (the outbox
worker that posts), notices.py (telling moderators about a problem, once),
errors.py (UserError, which cogs raise), embeds.py (plain message specs to
discord.py objects), logfilter.py (keeps tokens and member content out of
discord.py's logs). Nothing here imports the cogs; the client loads them by
name.
"""
