"""Clients of the pylon-rs485 sink's TCP side, as bridges and broken peers behave.

usage: pylon_tcp_clients.py PORT STEP
  hog       one client connects and never sends, one sends 0x92 requests and never reads;
            then 12 requests from fresh clients, one a second apart: printed is how many got
            an answer, and whether the hogs are still connected (they should be gone or harmless)
  fill      opens 4 idle connections (the slots), then a 5th that asks at once: it must be
            refused (all 4 younger than the idle time); after WAIT seconds a 6th must be served
            by displacing the idlest
One JSON object on stdout.
"""
import json
import socket
import sys
import time

port, step = int(sys.argv[1]), sys.argv[2]
REQUEST = b"~20024692E00202FD2E\r"  # 0x92 to address 2


def ask(timeout=3.0):
    """One request on a new connection; the answer or None."""
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        s.sendall(REQUEST)
        data = b""
        deadline = time.monotonic() + timeout
        while not data.endswith(b"\r") and time.monotonic() < deadline:
            chunk = s.recv(256)
            if not chunk:
                break
            data += chunk
        s.close()
        return data.decode() if data.endswith(b"\r") else None
    except OSError:
        return None


if step == "hog":
    idle = socket.create_connection(("127.0.0.1", port))
    greedy = socket.create_connection(("127.0.0.1", port))
    greedy.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    greedy.setblocking(False)
    sent = 0
    answered = 0
    for i in range(12):
        # The greedy client floods requests and never reads its answers.
        for _ in range(200):
            try:
                greedy.send(REQUEST)
                sent += 1
            except BlockingIOError:
                break
            except OSError:
                break
        if ask() is not None:
            answered += 1
        time.sleep(1)
    print(json.dumps({"answered": answered, "of": 12, "greedy_sent": sent}))
elif step == "fill":
    wait = float(sys.argv[3])
    held = [socket.create_connection(("127.0.0.1", port)) for _ in range(4)]
    time.sleep(0.5)
    refused = ask(timeout=2) is None
    time.sleep(wait)
    displaced = ask(timeout=3)
    print(json.dumps({"refused_while_young": refused, "served_after_wait": displaced is not None and displaced.startswith("~20024600")}))
    for s in held:
        s.close()
