"""Opens many connections to a local HTTP server and holds them the way a careless or
hostile client does, to see what the server does with them.

usage: http_hold.py PORT COUNT MODE SECONDS
  MODE idle          connect and send nothing (with HOLD_TOKEN set, slow-body sends it)
       slow-headers  send a request line, then one header byte a second, never finishing
       slow-body     send full headers announcing a 1000-byte body, then one byte a second
Prints one JSON object when SECONDS are up:
  {"opened": n, "failed": k, "closed_by_server": c, "statuses": {"408": m, ...},
   "close_after": [seconds from connect to the server's close, ...]}
Only 127.0.0.1 is ever contacted.
"""
import json
import os
import resource
import select
import socket
import sys
import time

port, count, mode, seconds = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
token = os.environ.get("HOLD_TOKEN", "").encode()
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, count + 64)), hard))

conns = {}  # socket -> [connected_at, received bytes, closed_at]
failed = 0
for _ in range(count):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(2)
    try:
        s.connect(("127.0.0.1", port))
    except OSError:
        failed += 1
        s.close()
        continue
    s.setblocking(False)
    conns[s] = [time.monotonic(), b"", None]
    try:
        if mode == "slow-headers":
            s.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        elif mode == "slow-body":
            s.send(b"POST /api/packs/p1/command HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token +
                   b"\r\nContent-Length: 1000\r\nContent-Type: application/json\r\n\r\n{")
    except OSError:
        pass

deadline = time.monotonic() + seconds
next_trickle = time.monotonic() + 1
while time.monotonic() < deadline:
    live = [s for s, st in conns.items() if st[2] is None]
    if not live:
        break
    poller = select.poll()
    by_fd = {}
    for s in live:
        poller.register(s, select.POLLIN)
        by_fd[s.fileno()] = s
    for fd, _ in poller.poll(100):
        s = by_fd[fd]
        try:
            data = s.recv(4096)
        except OSError:
            data = b""
        if data:
            conns[s][1] += data
        else:
            conns[s][2] = time.monotonic()
    if mode != "idle" and time.monotonic() >= next_trickle:
        next_trickle += 1
        for s in live:
            try:
                s.send(b"a")
            except OSError:
                pass

statuses = {}
close_after = []
for s, (opened, received, closed) in conns.items():
    if received.startswith(b"HTTP/1.1 "):
        code = received[9:12].decode()
        statuses[code] = statuses.get(code, 0) + 1
    if closed is not None:
        close_after.append(round(closed - opened, 2))
    s.close()
print(json.dumps({"opened": len(conns), "failed": failed, "closed_by_server": len(close_after),
                  "statuses": statuses, "close_after": sorted(close_after)}))
