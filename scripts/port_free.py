#!/usr/bin/env python3
"""Print nothing when 127.0.0.1:PORT can be listened on; else one line saying what to do.

Usage: scripts/port_free.py PORT TARGET VARIABLE. make docs and make lab run it first and stop
with that line ($(error)), so a busy port ends at once, naming the setting to change, rather
than in a server's traceback after the site has been built.
"""

import socket
import sys

port, target, variable = int(sys.argv[1]), sys.argv[2], sys.argv[3]
with socket.socket() as probe:
    # As the servers themselves bind: a port left in TIME_WAIT by an earlier run is free.
    probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        probe.bind(("127.0.0.1", port))
        probe.listen()
    except OSError as error:
        print(
            f"port {port} on 127.0.0.1 is in use ({error.strerror}): stop what uses it, "
            f"or pick another port: make {target} {variable}={port + 1}"
        )
