"""Print the point layout of SunSpec models from pysunspec2's own model definitions.

Usage: sunspec_layout.py ID [ID ...]
Output: {"<id>": {"points": [[name, type, size], ...], "groups": {"<name>": [[name, type, size], ...]}}}
"""
import json
import sys

import os

import sunspec2.device as device
import sunspec2.mdef as mdef


def layout(group):
    points = [[p["name"], p["type"], int(p.get("size", 1))] for p in group["points"]]
    groups = {g["name"]: layout(g)["points"] for g in group.get("groups", [])}
    return {"points": points, "groups": groups}


def main():
    out = {}
    for model_id in sys.argv[1:]:
        path = os.path.join(device.models_dir, "json", mdef.to_json_filename(int(model_id)))
        definition = mdef.from_json_file(path)
        out[model_id] = layout(definition["group"])
    print(json.dumps(out))


if __name__ == "__main__":
    main()
