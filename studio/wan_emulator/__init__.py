"""A local DashScope-compatible emulator for the Wan2.7 image models (no Django inside).

Start one in a test with `EmulatorServer(EmulatorConfig(...)).start()`, or from a terminal with
`python -m studio.wan_emulator --port 8001` (or `python manage.py wan emulator --port 8001`). See
server.py for the endpoints, faults.py for the faults that can be injected, and state.py for every
setting.

A program of its own beside the protocol package: it uses `studio.wan` (the capability table, the
request parser, the validator) and nothing else of the studio, so it answers as the documents say
and not as the studio happens to call it (tests/test_architecture.py holds that wall).
"""

from __future__ import annotations
