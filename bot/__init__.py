"""Lantern's Discord-free core: settings, storage, feeds, scheduling, search, formatting."""

__version__ = "0.1.0"
PROJECT_URL = "https://github.com/lantern-recovery/lantern"
USER_AGENT = f"Lantern/{__version__} (+{PROJECT_URL}; RSS reader for recovery communities)"
