"""Start FrontDesk from a source checkout: `python main.py [command] [options]`."""

from __future__ import annotations

from frontdesk_app.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
