# scripted_llm.sh - sourced by the e2e tests that run the pipeline against
# the scripted LLM server (tests/tools/llm_test_server.py).
#   scripted_start SCRIPT.json   starts the server on a free port; sets $port
#   scripted_assert_no_collision RUN   fails when two different prompts met
#                                one journal key during the run
# The caller sets $tmp and traps scripted_cleanup on EXIT.
server_pid=
scripted_cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
scripted_start() {
  /usr/bin/python3 "$MLESTAR_SOURCE_DIR/tests/tools/llm_test_server.py" "$1" "$tmp/requests.jsonl" \
    >"$tmp/port" 2>"$tmp/server.err" &
  server_pid=$!
  for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.05; done
  port=$(head -1 "$tmp/port")
  [ -n "$port" ] || { echo "FAIL: the scripted server did not start"; cat "$tmp/server.err"; exit 1; }
}
scripted_assert_no_collision() {
  if grep -q "two different prompts resolve to one journal key" "$tmp/run.log"; then
    echo "FAIL: a call id was reused for a different prompt"; grep "journal key" "$tmp/run.log"; exit 1
  fi
}
