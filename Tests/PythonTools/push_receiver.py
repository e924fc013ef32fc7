"""A minimal Pushgateway stand-in: accepts POST/PUT on any path, checks the body with
prometheus_client's exposition parser, and appends one JSON line per push to a file:
{"path": ..., "families": N, "samples": N, "ok": true} (ok false with the parse error).

usage: push_receiver.py PORT OUTFILE
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

from prometheus_client.parser import text_string_to_metric_families

PORT = int(sys.argv[1])
OUT = sys.argv[2]


class Handler(BaseHTTPRequestHandler):
    def _receive(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
        record = {"path": self.path}
        try:
            families = list(text_string_to_metric_families(body))
            record.update(ok=True, families=len(families), samples=sum(len(f.samples) for f in families),
                          names=sorted({f.name for f in families}))
        except Exception as e:  # noqa: BLE001 - report any parse failure
            record.update(ok=False, error=str(e))
        with open(OUT, "a") as f:
            f.write(json.dumps(record) + "\n")
        self.send_response(200)
        self.end_headers()

    do_POST = _receive
    do_PUT = _receive

    def log_message(self, *args):
        pass


HTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
