"""`python -m bot`: the same as `lantern`."""

try:
    from bot.cli import main
except KeyboardInterrupt:  # Ctrl-C while the imports load: no traceback here either
    import sys

    print("lantern: interrupted", file=sys.stderr)
    raise SystemExit(130) from None

raise SystemExit(main())
