"""A pre-fork plain HTTP model server, as gunicorn runs one: the parent
binds the port, and on 'go' (after the test started the agent) forks a
worker that serves llm_server.py's handler; the parent only waits for it.

usage: prefork_server.py PORT
Prints 'ready' once listening, 'worker PID' once the worker is forked."""
import ctypes
import os
import signal
import sys

from llm_server import Handler, Server

srv = Server(("127.0.0.1", int(sys.argv[1])), Handler)
print("ready", flush=True)
sys.stdin.readline()
pid = os.fork()
if pid == 0:
    # The worker dies with its parent (a test kills the parent): a worker
    # left behind would be one more process for later tests' selectors.
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() == 1:
        sys.exit(0)
    srv.serve_forever()
print("worker %d" % pid, flush=True)
os.waitpid(pid, 0)
