# tests/http/server.py: a webhook receiver for the tests of erp-send(1)'s
# http adapter (python3's standard library only), on a free loopback port.
#
#   server.py DIR        serve until killed; DIR/port gets the port
#
# Each POST is recorded, one JSON line in DIR/requests.ndjson: its path,
# headers (names in lower case), body and the status answered.  How it
# answers is scripted: DIR/script, if there, one line a request, taken in
# order (the file is read again on each request; a line taken is not
# taken again), each
#
#   ok                  the default, below
#   STATUS [BODY]       that status and body (JSON text, or nothing)
#   hang                no answer: the connection stays open 30 s
#   lost                the entry is stored as "ok" would, then no answer
#                       (the answer was lost on the way back)
#
# and when the script has no line left, "ok": an idempotent receiver, as
# middleware should be: the entry is stored under its Idempotency-Key
# (DIR/entries.ndjson, a line a key), answered 201 {"reference":"R-N"},
# and the same key again answers 200 with the reference it got, storing
# nothing.  A POST without the key is answered 400.
import http.server
import json
import os
import sys
import threading
import time

d = sys.argv[1]
lock = threading.Lock()
taken = 0
keys = {}


def next_action():
    global taken
    try:
        with open(os.path.join(d, "script")) as f:
            lines = [l.strip() for l in f if l.strip()]
    except FileNotFoundError:
        lines = []
    if taken < len(lines):
        taken += 1
        return lines[taken - 1]
    return "ok"


def store(key, body):
    if key in keys:
        return 200, keys[key]
    ref = "R-%d" % (len(keys) + 1)
    keys[key] = ref
    with open(os.path.join(d, "entries.ndjson"), "a") as f:
        f.write(json.dumps({"key": key, "reference": ref,
            "entry": json.loads(body)}) + "\n")
    return 201, ref


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def answer(self, status, body):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        key = self.headers.get("Idempotency-Key")
        with lock:
            act = next_action()
            status = None
            if key is None:
                act = '400 {"message":"no Idempotency-Key"}'
            if act in ("ok", "lost"):
                status, ref = store(key, body)
                out = json.dumps({"reference": ref})
            elif act != "hang":
                status, _, out = act.partition(" ")
                status = int(status)
            with open(os.path.join(d, "requests.ndjson"), "a") as f:
                f.write(json.dumps({"path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": body.decode(), "action": act,
                    "status": status if act != "lost" else None,
                    "at": time.monotonic()}) + "\n")
        if act in ("hang", "lost"):
            time.sleep(30)
            self.close_connection = True
            return
        self.answer(status, out)


s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
s.daemon_threads = True
with open(os.path.join(d, "port.tmp"), "w") as f:
    f.write("%d\n" % s.server_address[1])
os.rename(os.path.join(d, "port.tmp"), os.path.join(d, "port"))
s.serve_forever()
