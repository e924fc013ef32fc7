"""An RS485 inverter that asks and stops reading (its UART stalled), then reads again.

usage: pylon_stall.py PATH REQUESTS HOLD
Writes up to REQUESTS 0x92 requests without reading, waits HOLD seconds, then drains what
arrived and asks once more. One JSON object: how many answers came while it drained, and
whether the last question was answered.
"""
import json
import sys
import time

import serial

path, count, hold = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
REQUEST = b"~20024692E00202FD2E\r"
# socat forwards both directions in one thread: once the answers fill this side, it stops
# taking questions too, so the questions are written with a timeout, as far as they go.
port = serial.Serial(path, 9600, timeout=0.2, write_timeout=0.5)
asked = 0
for _ in range(count):
    try:
        port.write(REQUEST)
    except serial.SerialTimeoutException:
        break
    asked += 1
time.sleep(hold)
drained = b""
while True:
    chunk = port.read(65536)
    if not chunk:
        break
    drained += chunk
port.write(REQUEST)
answer = port.read_until(b"\r")
print(json.dumps({"asked": asked, "drained_answers": drained.count(b"\r"), "answered_after": answer.startswith(b"~20024600")}))
