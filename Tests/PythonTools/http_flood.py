"""Many concurrent HTTP clients on one route for a bounded time (keep-alive connections).

usage: http_flood.py PORT PATH CLIENTS SECONDS
Prints one JSON object: {"requests": N, "statuses": {"200": n, "503": m, ...}, "errors": k}.
Only 127.0.0.1 is ever contacted.
"""
import http.client
import json
import sys
import threading
import time

port, path, clients, seconds = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
deadline = time.monotonic() + seconds
lock = threading.Lock()
statuses, errors = {}, [0]


def client():
    conn = None
    while time.monotonic() < deadline:
        try:
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            with lock:
                statuses[str(response.status)] = statuses.get(str(response.status), 0) + 1
        except Exception:
            with lock:
                errors[0] += 1
            if conn is not None:
                conn.close()
            conn = None
            time.sleep(0.01)


threads = [threading.Thread(target=client) for _ in range(clients)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(json.dumps({"requests": sum(statuses.values()), "statuses": statuses, "errors": errors[0]}))
