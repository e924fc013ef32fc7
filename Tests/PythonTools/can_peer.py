"""The inverter's end of an SLCAN link, with python-can's slcan interface: prints every
frame the battery sends, decoded here independently of bmsgate (Pylontech LV CAN V1.2
layouts, little-endian), and sends the Pylon keepalive 0x305 once a second.

usage: can_peer.py PATH SECONDS [--no-keepalive] [--garbage]
  --garbage   also write a BEL, a junk line and a broken frame every second
One JSON object per line: {"t": monotonic seconds, "id": 849, "data": "hex", "decoded": {...}},
or {"t": ..., "broken": "why"} for a line python-can could not parse.
(time.monotonic is CLOCK_MONOTONIC, the clock bmsgate measures with).
"""
import json
import struct
import sys
import time

import can

path, seconds = sys.argv[1], float(sys.argv[2])
keepalive = "--no-keepalive" not in sys.argv
garbage = "--garbage" in sys.argv


def decode(frame_id, d):
    if frame_id == 0x351 and len(d) >= 8:
        cvl, ccl, dcl, dvl = struct.unpack_from("<HhhH", d)
        return {"charge_voltage": cvl / 10, "charge_current": ccl / 10, "discharge_current": dcl / 10, "discharge_voltage": dvl / 10}
    if frame_id == 0x355 and len(d) >= 4:
        soc, soh = struct.unpack_from("<HH", d)
        return {"soc": soc, "soh": soh}
    if frame_id == 0x356 and len(d) >= 6:
        v, i, t = struct.unpack_from("<hhh", d)
        return {"voltage": v / 100, "current": i / 10, "temperature": t / 10}
    if frame_id == 0x359 and len(d) >= 7:
        return {"protection": d[0] | d[1] << 8, "alarm": d[2] | d[3] << 8, "modules": d[4], "pn": bytes(d[5:7]).decode("ascii", "replace")}
    if frame_id == 0x35C and len(d) >= 1:
        return {"charge_enable": bool(d[0] & 0x80), "discharge_enable": bool(d[0] & 0x40)}
    if frame_id == 0x35E:
        return {"name": bytes(d).decode("ascii", "replace")}
    return {}


bus = can.Bus(interface="slcan", channel=path, bitrate=500000)
deadline = time.monotonic() + seconds
next_tick = time.monotonic()
try:
    while time.monotonic() < deadline:
        now = time.monotonic()
        if now >= next_tick:
            next_tick += 1
            try:
                if keepalive:
                    bus.send(can.Message(arbitration_id=0x305, data=bytes(8), is_extended_id=False))
                if garbage:
                    bus.serialPortOrig.write(b"\x07hello world\rt12\rt3518zz\r")
            except Exception as e:  # a full or closed line: said, and the next tick tries again
                print(json.dumps({"t": time.monotonic(), "send_failed": repr(e)}), flush=True)
        try:
            msg = bus.recv(timeout=0.05)
        except Exception as e:
            # A line cut short (a battery that dropped what its stalled link queued): python-can
            # raises on it (ValueError, IndexError); an adapter rejects it. Anything else it
            # raises is said too: the peer keeps listening rather than die unseen.
            print(json.dumps({"t": time.monotonic(), "broken": repr(e)}), flush=True)
            continue
        if msg is None:
            continue
        print(json.dumps({"t": time.monotonic(), "id": msg.arbitration_id, "data": bytes(msg.data).hex(),
                          "decoded": decode(msg.arbitration_id, bytes(msg.data))}), flush=True)
finally:
    bus.shutdown()
