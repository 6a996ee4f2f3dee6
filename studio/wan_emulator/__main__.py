"""`python -m studio.wan_emulator [--host H] [--port P] [--api-key K] [--state-file F]`."""

from __future__ import annotations

import sys

from studio.wan_emulator.cli import main

sys.exit(main())
