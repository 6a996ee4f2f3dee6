"""A local DashScope-compatible emulator for the Wan2.7 image models (no Django inside).

Start one in a test with `EmulatorServer(EmulatorConfig(...)).start()`, or from a terminal with
`python manage.py wan emulator --port 8001`. See server.py for the endpoints, faults.py for the
faults that can be injected, and state.py for every setting.
"""

from __future__ import annotations
