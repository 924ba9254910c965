#!/usr/bin/env bash
# Set up, build the knowledge base from the bundled sample manuals, then start the web app and its API.
# Arguments are passed to `assistant serve`, e.g. --port 8080 or --host 0.0.0.0.
# (The terminal chat is still there: .venv/bin/assistant chat --user staff)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/assistant ingest samples/manuals --prune
.venv/bin/assistant ingest samples/hr --groups hr --prune   # readable by the hr login only (access control demo)
.venv/bin/assistant status --check
# The address the server will use: --host/--port if given, else [server] in config.toml (127.0.0.1:7860).
host=127.0.0.1 port=7860
args=("$@")
for i in "${!args[@]}"; do
  case "${args[$i]}" in
    --port) port="${args[$((i + 1))]:-$port}" ;;
    --port=*) port="${args[$i]#--port=}" ;;
  esac
done
cat <<TEXT

Demo logins (from config.toml; change or remove them before real use):
  staff  / staff-demo    asks questions (documents of group "all")
  hr     / hr-demo-1     staff who also reads group "hr": try 「賞与はいつ支給されますか？」 as hr, then as staff
                         (staff is told the manuals do not cover it: samples/hr/ is for group "hr" only)
  writer / writer-demo   also drafts new manuals from the existing ones (tab マニュアル作成 / Drafting)
  admin  / admin-demo    also uploads and manages documents, sees usage and cost
Demo API key (acts as staff): sk-da-demo-staff
  e.g. curl -s http://${host}:${port}/v1/chat/completions -H "Authorization: Bearer sk-da-demo-staff" \\
         -H "Content-Type: application/json" -d '{"messages":[{"role":"user","content":"日帰り出張の日当はいくらですか？"}]}'
TEXT
exec .venv/bin/assistant serve "$@"
