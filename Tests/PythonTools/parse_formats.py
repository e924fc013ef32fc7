"""Parses `bmsgate read` output with real parsers and prints it back as JSON.

usage: parse_formats.py yaml|toml|metrics < output

- yaml: PyYAML's safe_load (a list of packs)
- toml: Python's tomllib (a table with the array of tables "pack")
- metrics: prometheus_client's text parser; printed as a list of
  {"name", "type", "help", "samples": [{"name", "labels", "value"}]}
"""
import json
import sys


def main() -> None:
    kind = sys.argv[1]
    text = sys.stdin.read()
    if kind == "yaml":
        import yaml
        out = yaml.safe_load(text)
    elif kind == "toml":
        import tomllib
        out = tomllib.loads(text)
    elif kind == "metrics":
        from prometheus_client.parser import text_string_to_metric_families
        out = [
            {
                "name": family.name,
                "type": family.type,
                "help": family.documentation,
                "samples": [{"name": s.name, "labels": s.labels, "value": s.value} for s in family.samples],
            }
            for family in text_string_to_metric_families(text)
        ]
    else:
        raise SystemExit(f"unknown format {kind}")
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
