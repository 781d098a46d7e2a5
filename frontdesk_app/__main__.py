"""`python -m frontdesk_app`: the same entry point as the `frontdesk` command."""

from __future__ import annotations

from frontdesk_app.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
