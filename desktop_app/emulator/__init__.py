"""A local Eden-compatible server for demo mode and tests (Qt-free).

An independent implementation of the wire format (it never imports `desktop_app.api`,
`routing`, `store` or `services`): see `server` for the endpoints, `faults` for the fault
spec language, `router` for the routing heuristic and `textgen` for the reply text.
"""

from desktop_app.emulator.faults import FaultSpecError
from desktop_app.emulator.server import EmulatorConfig, EmulatorServer, EmulatorThread, run_forever

__all__ = ["EmulatorConfig", "EmulatorServer", "EmulatorThread", "FaultSpecError", "run_forever"]
