#!/usr/bin/python3
"""llm_test_server.py - a scripted HTTP server speaking the three LLM wire
formats, for the llm module's unit tests (tests/unit/llm_*_test.c).

usage: llm_test_server.py SCRIPT.json REQUESTS.jsonl

Binds 127.0.0.1 on a free port and prints the port on the first line of
stdout. Each POST consumes the next step of the script (the last step repeats
once the script is used up) and is appended, before it is answered, as one
JSON line to REQUESTS.jsonl:
    {"n", "method", "path", "headers": {lower-case name: value}, "body",
     "inflight": requests being handled at arrival, this one included}

The script is a JSON list of steps (or {"steps": [...]}); a step is an
object with:
    status    HTTP status (default 200)
    headers   extra response headers, e.g. {"Retry-After": "1"}
    body      a JSON value sent as the body, or
    raw_body  a string sent as the body as it is, or
    reply     {"text", "finish": stop|length|filter, "input_tokens",
               "output_tokens", "cached_tokens", "sources": [{"url","title"}],
               "model"}: rendered in the wire format of the request's path
               (/v1/chat/completions, /v1beta/models/M:generateContent,
               /v1/messages), or
    error     a message: rendered as that format's error body (with status)
    delay_s   seconds to wait before answering (a slow server)
    action    "reset": close the connection with a TCP reset, no answer;
              "truncate": announce the full Content-Length, send half, close.
    match     a string or a list of strings: when any step has one, steps are
              chosen by content instead of order (see pick_matching)
    repeat    with match: the step may answer any number of requests
Faults it can play: 429 + Retry-After, 500, 503, a reply slower than the
client's timeout, a reset connection, a truncated body, a wrong content type,
an empty choices list, 401 with an error body.
"""
import json
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STATE = {"n": 0, "inflight": 0}
LOCK = threading.Lock()


def load_steps(path):
    with open(path) as f:
        script = json.load(f)
    if isinstance(script, dict):
        script = script.get("steps", [])
    return script or [{}]


def pick_matching(steps, body):
    """Matching mode (any step has "match"): the first step not used up
    whose every match string occurs in the request body answers it. A step
    is used once, unless "repeat" is true; a step without "match" matches
    anything. Called under LOCK."""
    for st in steps:
        if st.get("_used") and not st.get("repeat"):
            continue
        wanted = st.get("match", [])
        if isinstance(wanted, str):
            wanted = [wanted]
        if all(w in body for w in wanted):
            st["_used"] = True
            return st
    return {"status": 500, "error": "llm_test_server: no scripted step matches this request"}


def wire_format(path):
    if path.startswith("/v1/chat/completions"):
        return "openai"
    if path.startswith("/v1beta/models/") or path.startswith("/v1/models/"):
        return "gemini"
    if path.startswith("/v1/messages"):
        return "anthropic"
    return None


FINISH = {
    "openai": {"stop": "stop", "length": "length", "filter": "content_filter"},
    "gemini": {"stop": "STOP", "length": "MAX_TOKENS", "filter": "SAFETY"},
    "anthropic": {"stop": "end_turn", "length": "max_tokens", "filter": "refusal"},
}


def request_model(fmt, path, body):
    if fmt == "gemini":
        return path.split("/models/", 1)[1].split(":", 1)[0]
    try:
        return json.loads(body).get("model", "")
    except ValueError:
        return ""


def render_reply(fmt, model, r):
    text = r.get("text", "")
    finish = FINISH[fmt].get(r.get("finish", "stop"), r.get("finish", "stop"))
    inp, out, cached = r.get("input_tokens", 0), r.get("output_tokens", 0), r.get("cached_tokens", 0)
    sources = r.get("sources", [])
    model = r.get("model", model)
    if fmt == "openai":
        message = {"role": "assistant", "content": text}
        if sources:
            message["annotations"] = [
                {"type": "url_citation",
                 "url_citation": {"url": s["url"], "title": s.get("title", ""), "start_index": 0, "end_index": 0}}
                for s in sources]
        return {"id": "chatcmpl-test", "object": "chat.completion", "model": model,
                "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                "usage": {"prompt_tokens": inp, "completion_tokens": out, "total_tokens": inp + out,
                          "prompt_tokens_details": {"cached_tokens": cached}}}
    if fmt == "gemini":
        cand = {"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": finish, "index": 0}
        if sources:
            cand["groundingMetadata"] = {
                "webSearchQueries": ["test query"],
                "groundingChunks": [{"web": {"uri": s["url"], "title": s.get("title", "")}} for s in sources]}
        usage = {"promptTokenCount": inp, "candidatesTokenCount": out, "totalTokenCount": inp + out}
        if cached:
            usage["cachedContentTokenCount"] = cached
        return {"candidates": [cand], "usageMetadata": usage, "modelVersion": model, "responseId": "resp-test"}
    content = []
    if sources:
        content.append({"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search",
                        "input": {"query": "test query"}})
        content.append({"type": "web_search_tool_result", "tool_use_id": "srvtoolu_1",
                        "content": [{"type": "web_search_result", "url": s["url"], "title": s.get("title", ""),
                                     "encrypted_content": "xyz", "page_age": None} for s in sources]})
    content.append({"type": "text", "text": text})
    return {"id": "msg_test", "type": "message", "role": "assistant", "model": model, "content": content,
            "stop_reason": finish, "stop_sequence": None,
            "usage": {"input_tokens": inp - cached, "output_tokens": out, "cache_read_input_tokens": cached,
                      "cache_creation_input_tokens": 0}}


def render_error(fmt, status, message):
    if fmt == "gemini":
        names = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
                 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}
        return {"error": {"code": status, "message": message, "status": names.get(status, "UNKNOWN")}}
    if fmt == "anthropic":
        names = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
                 404: "not_found_error", 429: "rate_limit_error", 500: "api_error", 529: "overloaded_error"}
        return {"type": "error", "error": {"type": names.get(status, "api_error"), "message": message}}
    return {"error": {"message": message, "type": "invalid_request_error", "param": None, "code": None}}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def finish(self):
        try:
            super().finish()
        except OSError:
            pass

    def record(self, body):
        with LOCK:
            STATE["n"] += 1
            STATE["inflight"] += 1
            n = STATE["n"]
            entry = {"n": n, "method": self.command, "path": self.path,
                     "headers": {k.lower(): v for k, v in self.headers.items()},
                     "body": body.decode("utf-8", "replace"), "inflight": STATE["inflight"]}
            with open(self.server.log_path, "a") as f:
                f.write(json.dumps(entry) + "\n")
            steps = self.server.steps
            if any("match" in st for st in steps):
                return pick_matching(steps, entry["body"])
            return steps[min(n - 1, len(steps) - 1)]

    def done(self):
        """Leaves the in-flight count. Called just before the last bytes go
        out: once the client has the whole answer it may send its next
        request, which must not find this one still counted."""
        if not self.counted:
            return
        self.counted = False
        with LOCK:
            STATE["inflight"] -= 1

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0) or 0)
        body = self.rfile.read(length) if length else b""
        step = self.record(body)
        self.counted = True
        try:
            self.play(step, body)
        except OSError:
            self.close_connection = True
        finally:
            self.done()

    def play(self, step, body):
        fmt = wire_format(self.path)
        if step.get("delay_s"):
            time.sleep(step["delay_s"])
        if step.get("action") == "reset":
            self.done()
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return
        status = step.get("status", 200)
        if fmt is None:
            status, payload = 404, json.dumps({"error": {"message": "no such path " + self.path}}).encode()
        elif "raw_body" in step:
            payload = step["raw_body"].encode()
        elif "body" in step:
            payload = json.dumps(step["body"]).encode()
        elif "error" in step:
            payload = json.dumps(render_error(fmt, status, step["error"])).encode()
        else:
            payload = json.dumps(render_reply(fmt, request_model(fmt, self.path, body), step.get("reply", {}))).encode()
        self.send_response(status)
        headers = {"Content-Type": "application/json"}
        headers.update(step.get("headers", {}))
        for name, value in headers.items():
            self.send_header(name, str(value))
        self.send_header("Content-Length", str(len(payload)))
        self.done()
        self.end_headers()
        if step.get("action") == "truncate":
            self.wfile.write(payload[: len(payload) // 2])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        self.wfile.write(payload)
        self.wfile.flush()


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        pass


def main():
    if len(sys.argv) != 3:
        sys.stderr.write("usage: llm_test_server.py SCRIPT.json REQUESTS.jsonl\n")
        return 2
    server = Server(("127.0.0.1", 0), Handler)
    server.steps = load_steps(sys.argv[1])
    server.log_path = sys.argv[2]
    open(server.log_path, "w").close()
    sys.stdout.write("%d\n" % server.server_address[1])
    sys.stdout.flush()
    try:
        server.serve_forever(poll_interval=0.05)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
