"""An RS485 inverter's questions to a Pylontech battery, asked with the PyPI client
python-pylontech, and the answers it decodes, as one JSON object.

usage: pylon_client.py PATH [--errors]
  --errors   instead, send broken frames and print the return code (CID2) of each answer
Battery frames end in CR; python-pylontech reads lines ending in LF, so its readline is
pointed at CR (otherwise every answer would wait for the 2 s timeout). Nothing else of
the client is changed.
"""
import contextlib
import json
import sys

import serial
from pylontech import Pylontech

path = sys.argv[1]


def plain(obj):
    """construct containers -> JSON-able values."""
    if isinstance(obj, dict):
        return {k: plain(v) for k, v in obj.items() if not k.startswith("_")}
    if isinstance(obj, (list, tuple)):
        return [plain(v) for v in obj]
    if isinstance(obj, bytes):
        return obj.decode("ascii", "replace")
    return obj


if "--errors" in sys.argv:
    port = serial.Serial(path, 9600, timeout=2)

    def ask(raw):
        port.write(raw)
        answer = port.read_until(b"\r")
        return answer.decode("ascii", "replace")

    def frame(body):
        total = sum(body.encode())
        return b"~" + body.encode() + ("%04X" % ((-total) & 0xFFFF)).encode() + b"\r"

    good = frame("200246920000")  # 0x92 to address 2, no INFO
    results = {
        "good": ask(good),
        "checksum": ask(good[:-2] + (b"0" if good[-2:-1] != b"0" else b"1") + b"\r"),
        "length_checksum": ask(frame("20024692500202")),  # LENGTH 5002: LENID 2 needs LCHKSUM E
        "unknown_command": ask(frame("200246EE0000")),
        "address": ask(frame("200946920000")),
        "format": ask(b"~20XX4692\r"),
        "version": ask(frame("050246920000")),  # VER 05: not a protocol version
        "invalid_data": ask(frame("20024692A006020202")),  # INFO of 3 bytes to 0x92
    }
    print(json.dumps({k: v for k, v in results.items()}))
    sys.exit(0)

p = Pylontech(serial_port=path, baudrate=9600)
p.s.readline = lambda: p.s.read_until(b"\r")
out = {}
with contextlib.redirect_stdout(sys.stderr):
    version = p.get_protocol_version()
    out["version"] = {"ver": version.ver.hex(), "cid2": version.cid2.hex()}
    out["manufacturer"] = plain(dict(p.get_manufacturer_info()))
    out["values"] = plain(dict(p.get_values()))
    out["single"] = plain(dict(p.get_values_single(2)))
    out["parameters"] = plain(dict(p.get_system_parameters()))
    m = p.get_management_info(2)
    out["management"] = plain(dict(m))
    out["management"]["status"] = plain(dict(m.status))
    out["serial"] = plain(dict(p.get_module_serial_number(2)))
print(json.dumps(out))
