#!/usr/bin/env bash
# appstream-autopilot pull agent for Linux image builders (Amazon Linux 2, RHEL, Rocky, Ubuntu).
#
# Polls <source>/<builder>/jobs/ for job documents (schema v1), runs each job once, in order,
# with argument arrays (no shell re-parsing of arguments), stops at the first failing step
# (unless the step says continueOnError) and writes <source>/<builder>/results/<jobId>.json.
#
# Configuration (environment, or /etc/autopilot-agent.conf with KEY=value lines):
#   AUTOPILOT_SOURCE    s3://bucket/prefix (production) or file:///dir (tests)
#   AUTOPILOT_POLL_SECONDS  seconds between polls (default 20)
#   AUTOPILOT_BUILDER   builder name (default: $AppStream_Resource_Name, set by AppStream)
#   AUTOPILOT_IMAGE_ASSISTANT  Image Assistant command (default: "sudo AppStreamImageAssistant")
# Runs only on image builders (AppStream_Resource_Type=image-builder), never on fleet instances
# launched from the image it helped build. Needs bash 4+, jq, coreutils (timeout) and, for s3://,
# the AWS CLI with credentials (the builder's IAM role).
#
# Usage: autopilot-agent.sh [--once]
set -uo pipefail

[ -r /etc/autopilot-agent.conf ] && . /etc/autopilot-agent.conf

SOURCE="${AUTOPILOT_SOURCE:?AUTOPILOT_SOURCE is not set (s3://bucket/prefix or file:///dir)}"
POLL="${AUTOPILOT_POLL_SECONDS:-20}"
BUILDER="${AUTOPILOT_BUILDER:-${AppStream_Resource_Name:-}}"
read -r -a ASSISTANT <<< "${AUTOPILOT_IMAGE_ASSISTANT:-sudo AppStreamImageAssistant}"
OUTPUT_LIMIT=4000
ONCE=0
[ "${1:-}" = "--once" ] && ONCE=1

log() { printf '%s autopilot-agent: %s\n' "$(date -u +%FT%TZ)" "$*" >&2; }

if [ "${AppStream_Resource_Type:-}" != "image-builder" ]; then
  log "not an image builder (AppStream_Resource_Type=${AppStream_Resource_Type:-unset}); exiting"
  exit 0
fi
[ -n "$BUILDER" ] || { log "builder name unknown (AUTOPILOT_BUILDER / AppStream_Resource_Name)"; exit 2; }
command -v jq >/dev/null || { log "jq is required"; exit 2; }

BASE="${SOURCE%/}/${BUILDER}"

# --- storage: s3:// through the AWS CLI, file:// for tests ------------------------------------
store_list_jobs() {
  case "$BASE" in
    s3://*) aws s3 ls "${BASE}/jobs/" 2>/dev/null | awk '{print $NF}' | grep '\.json$' | sed 's/\.json$//' ;;
    file://*) ls "${BASE#file://}/jobs/" 2>/dev/null | grep '\.json$' | sed 's/\.json$//' ;;
  esac
}
store_exists() {
  case "$BASE" in
    s3://*) aws s3 ls "${BASE}/$1" >/dev/null 2>&1 ;;
    file://*) [ -e "${BASE#file://}/$1" ] ;;
  esac
}
store_get() {
  case "$BASE" in
    s3://*) aws s3 cp --quiet "${BASE}/$1" "$2" ;;
    file://*) cp "${BASE#file://}/$1" "$2" ;;
  esac
}
store_put() {
  case "$BASE" in
    s3://*) aws s3 cp --quiet --content-type application/json "$1" "${BASE}/$2" ;;
    file://*) mkdir -p "$(dirname "${BASE#file://}/$2")" && cp "$1" "${BASE#file://}/$2" ;;
  esac
}

now() { date -u +%FT%TZ; }

# Runs one step: argv from the job (NUL-separated, so any character survives), output captured.
run_step() {
  local job="$1" index="$2" out_file="$3" err_file="$4"
  local kind timeout_s
  kind=$(jq -r ".steps[$index].kind" "$job")
  timeout_s=$(jq -r ".steps[$index].timeoutSeconds // 1800" "$job")
  local -a argv=()
  mapfile -d '' -t argv < <(jq -j ".steps[$index].argv[] | (., \"\\u0000\")" "$job")
  if [ "$kind" = "image-assistant" ]; then
    argv=("${ASSISTANT[@]}" "${argv[@]}")
  fi
  timeout --kill-after=30 "$timeout_s" "${argv[@]}" >"$out_file" 2>"$err_file"
}

process_job() {
  local id="$1" work
  work=$(mktemp -d)
  # Claim first: a job is run once even if the agent restarts or runs twice.
  store_exists "claims/${id}" && { rm -rf "$work"; return; }
  store_exists "results/${id}.json" && { rm -rf "$work"; return; }
  echo "{\"claimedAt\":\"$(now)\"}" > "$work/claim"
  store_put "$work/claim" "claims/${id}"
  if ! store_get "jobs/${id}.json" "$work/job.json" || ! jq -e '.schemaVersion == 1 and (.steps | type == "array")' "$work/job.json" >/dev/null 2>&1; then
    log "job ${id}: unreadable or unsupported schema; skipped"
    jq -n --arg id "$id" --arg at "$(now)" \
      '{schemaVersion:1, jobId:$id, status:"failed", finishedAt:$at, steps:[{id:"agent", exitCode:255, stdout:"", stderr:"unreadable job or unsupported schemaVersion"}]}' \
      > "$work/result.json"
    store_put "$work/result.json" "results/${id}.json"
    rm -rf "$work"
    return
  fi
  log "job ${id}: running $(jq '.steps | length' "$work/job.json") steps"
  local steps='[]' status=succeeded count i step_id started code cont
  count=$(jq '.steps | length' "$work/job.json")
  for ((i = 0; i < count; i++)); do
    step_id=$(jq -r ".steps[$i].id" "$work/job.json")
    cont=$(jq -r ".steps[$i].continueOnError // false" "$work/job.json")
    started=$(now)
    run_step "$work/job.json" "$i" "$work/out" "$work/err"
    code=$?
    steps=$(jq -c --arg id "$step_id" --argjson code "$code" --arg started "$started" --arg finished "$(now)" \
      --rawfile out <(tail -c "$OUTPUT_LIMIT" "$work/out") --rawfile err <(tail -c "$OUTPUT_LIMIT" "$work/err") \
      '. + [{id:$id, exitCode:$code, stdout:$out, stderr:$err, startedAt:$started, finishedAt:$finished}]' <<< "$steps")
    log "job ${id}: ${step_id} exited ${code}"
    if [ "$code" -ne 0 ] && [ "$cont" != "true" ]; then
      status=failed
      break
    fi
  done
  jq -n --arg id "$id" --arg status "$status" --arg at "$(now)" --argjson steps "$steps" \
    '{schemaVersion:1, jobId:$id, status:$status, finishedAt:$at, steps:$steps}' > "$work/result.json"
  store_put "$work/result.json" "results/${id}.json"
  log "job ${id}: ${status}"
  rm -rf "$work"
}

while true; do
  for id in $(store_list_jobs); do process_job "$id"; done
  [ "$ONCE" -eq 1 ] && exit 0
  sleep "$POLL"
done
