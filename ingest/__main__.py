"""`python -m ingest PATH…`: the same as `newsdesk ingest PATH…`."""

import sys

from bot.cli import app

if __name__ == "__main__":
    app(["ingest", *sys.argv[1:]], prog_name="python -m ingest")
