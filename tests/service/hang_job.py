"""A job process that never finishes, with a child of its own (both must be killed at the limit).

Writes its own pid and its child's pid to BB_HANG_PIDS (one per line) so the test can check them.
"""

import os
import subprocess
import sys
import time

if __name__ == "__main__":
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)"])
    path = os.environ.get("BB_HANG_PIDS")
    if path:
        with open(path, "w") as fh:
            fh.write(f"{os.getpid()}\n{child.pid}\n")
    print("started, now hanging", flush=True)
    while True:
        time.sleep(1)
