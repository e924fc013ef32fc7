"""Scan a SunSpec Modbus-TCP device with pysunspec2 and print what it found as JSON.

Usage: sunspec_scan.py HOST PORT UNIT
Output: {"models": {"<id>": [{"<point>": computed value, ..., "groups": [{...}]}]}}
Values are pysunspec2's computed values (scale factors applied); None = not implemented.
"""
import json
import sys

import sunspec2.modbus.client as client


def points(group):
    out = {}
    for name, point in group.points.items():
        out[name] = point.cvalue
    groups = []
    for name, sub in group.groups.items():
        for g in (sub if isinstance(sub, list) else [sub]):
            groups.append(points(g))
    if groups:
        out["groups"] = groups
    return out


def main():
    host, port, unit = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    device = client.SunSpecModbusClientDeviceTCP(slave_id=unit, ipaddr=host, ipport=port, timeout=5)
    device.scan()
    models = {}
    for key, instances in device.models.items():
        if isinstance(key, int):
            models[str(key)] = [points(m) for m in instances]
    print(json.dumps({"base": device.base_addr, "models": models}))
    device.close()


if __name__ == "__main__":
    main()
