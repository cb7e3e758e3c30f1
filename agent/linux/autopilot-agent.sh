#!/usr/bin/env bash
# shellcheck disable=SC2016 # jq programs are single-quoted on purpose ($x are jq variables)
# appstream-autopilot pull agent for Linux image builders (Amazon Linux 2, RHEL, Rocky, Ubuntu).
# Implements agent protocol 2 (agent/PROTOCOL.md): polls <source>/<builder>/jobs/ for signed job
# envelopes, verifies each with the baked public key, refuses unsigned, tampered, expired, foreign
# and unknown-schema jobs (result "refused" + reason), claims a job and renews its lease with
# heartbeats, runs its steps in order with argument arrays (no shell re-parsing), resolves
# {{secret:NAME}} placeholders (in a step's env, the recommended way, or its argv) on the builder
# and redacts them from captured output, keeps local state so a job resumes after a reboot, and
# writes results/<jobId>.json. Beside the job loop, a presence loop reports interactive logons on
# the builder as presence/heartbeat.json (agent/PROTOCOL.md, "Presence heartbeat"), which keeps
# the builder from being stopped by the idle-builder cleanup while someone works on it.
#
# Configuration (environment, or /etc/autopilot-agent.conf with KEY=value lines; every line is
# exported, so AWS CLI settings such as AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE can go there):
#   AUTOPILOT_SOURCE          s3://bucket/prefix (production) or file:///dir (tests, workstations)
#   AUTOPILOT_PUBLIC_KEY      PEM public key that verifies jobs (default /opt/autopilot/job-signing.pem)
#   AUTOPILOT_STATE_DIR       local resumable state (default /var/lib/autopilot-agent)
#   AUTOPILOT_REGION          region of the bucket/SSM/Secrets Manager (default: the CLI's own)
#   AUTOPILOT_POLL_SECONDS    seconds between polls (default 20)
#   AUTOPILOT_BUILDER         builder name (default: $AppStream_Resource_Name, set by AppStream)
#   AUTOPILOT_IMAGE_ASSISTANT Image Assistant command (default: "sudo AppStreamImageAssistant")
#   AUTOPILOT_AWS_PROFILE     credential profile (default appstream_machine_role, see below)
#   AUTOPILOT_APPSTREAM_VARS  AppStream variables script (default /etc/profile.d/appstream_system_vars.sh)
#   AUTOPILOT_ENV_WAIT_SECONDS   how long to wait at boot for the AppStream variables (default 900)
#   AUTOPILOT_BACKOFF_BASE_SECONDS / AUTOPILOT_BACKOFF_MAX_SECONDS  retry backoff (default 5 / 300)
#   AUTOPILOT_REBOOT_GRACE_SECONDS   lease extension before an expectReboot step (default 1200)
#   AUTOPILOT_REBOOT_SETTLE_SECONDS  wait after an expectReboot step ends, in case the reboot is
#                                    under way (default 60)
#   AUTOPILOT_PRESENCE_SECONDS       presence heartbeat cadence while someone is logged on
#                                    (default 300; 0 turns presence reporting off)
#   AUTOPILOT_PRESENCE_CHECK_SECONDS how often logons are looked for (default 30, at most the
#                                    cadence): a new logon is reported within this time
#   AUTOPILOT_PRESENCE_IDLE_SECONDS  a logon counts only while it had user input within this
#                                    time (default 1800): a desktop left open sends nothing
# Runs only on image builders (AppStream_Resource_Type imagebuilder or image-builder: AWS documents
# both spellings), never on fleet instances launched from the image it helped build.
# Needs bash 4.2+, jq 1.5+, coreutils (timeout, base64), openssl (1.0.2+), util-linux (flock) and,
# for s3://, the AWS CLI (v1 or v2).
#
# Usage: autopilot-agent.sh [--once | --polls N]
set -uo pipefail

AGENT_VERSION=2.1.0
PROTOCOL=2
SIGNING_ALGORITHM=RSASSA_PKCS1_V1_5_SHA_256

CONF="${AUTOPILOT_CONF:-/etc/autopilot-agent.conf}"
# shellcheck disable=SC1090
if [ -r "$CONF" ]; then set -a; . "$CONF"; set +a; fi

SOURCE="${AUTOPILOT_SOURCE:-}"
PUBLIC_KEY="${AUTOPILOT_PUBLIC_KEY:-/opt/autopilot/job-signing.pem}"
STATE_DIR="${AUTOPILOT_STATE_DIR:-/var/lib/autopilot-agent}"
REGION="${AUTOPILOT_REGION:-}"
POLL="${AUTOPILOT_POLL_SECONDS:-20}"
PROFILE_NAME="${AUTOPILOT_AWS_PROFILE:-appstream_machine_role}"
APPSTREAM_VARS="${AUTOPILOT_APPSTREAM_VARS:-/etc/profile.d/appstream_system_vars.sh}"
ENV_WAIT="${AUTOPILOT_ENV_WAIT_SECONDS:-900}"
BACKOFF_BASE="${AUTOPILOT_BACKOFF_BASE_SECONDS:-5}"
BACKOFF_MAX="${AUTOPILOT_BACKOFF_MAX_SECONDS:-300}"
REBOOT_GRACE="${AUTOPILOT_REBOOT_GRACE_SECONDS:-1200}"
REBOOT_SETTLE="${AUTOPILOT_REBOOT_SETTLE_SECONDS:-60}"
PRESENCE="${AUTOPILOT_PRESENCE_SECONDS:-300}"
PRESENCE_CHECK="${AUTOPILOT_PRESENCE_CHECK_SECONDS:-30}"
PRESENCE_IDLE="${AUTOPILOT_PRESENCE_IDLE_SECONDS:-1800}"
[[ "$PRESENCE" =~ ^[0-9]+$ ]] || { echo "AUTOPILOT_PRESENCE_SECONDS must be a whole number of seconds" >&2; exit 2; }
[[ "$PRESENCE_IDLE" =~ ^[1-9][0-9]*$ ]] || { echo "AUTOPILOT_PRESENCE_IDLE_SECONDS must be a positive whole number of seconds" >&2; exit 2; }
if ! [[ "$PRESENCE_CHECK" =~ ^[0-9]*\.?[0-9]+$ ]] || [ -z "${PRESENCE_CHECK//[0.]/}" ]; then
  echo "AUTOPILOT_PRESENCE_CHECK_SECONDS must be a positive number of seconds" >&2
  exit 2
fi
# Never look less often than the cadence.
PRESENCE_CHECK=$(awk -v c="$PRESENCE_CHECK" -v p="$PRESENCE" 'BEGIN { print (p > 0 && c > p) ? p : c }')
read -r -a ASSISTANT <<< "${AUTOPILOT_IMAGE_ASSISTANT:-sudo AppStreamImageAssistant}"
OUTPUT_LIMIT=4000
MAX_POLLS=0
case "${1:-}" in
  --once) MAX_POLLS=1 ;;
  --polls) MAX_POLLS="${2:?--polls needs a number}" ;;
  "") ;;
  *) echo "usage: autopilot-agent.sh [--once | --polls N]" >&2; exit 2 ;;
esac

log() { printf '%s autopilot-agent: %s\n' "$(date -u +%FT%TZ)" "$*" >&2; }
now() { date -u +%Y-%m-%dT%H:%M:%S.%3NZ; }
plus_seconds() { date -u -d "@$(($(date +%s) + $1))" +%Y-%m-%dT%H:%M:%S.000Z; }

[ -n "$SOURCE" ] || { log "AUTOPILOT_SOURCE is not set (s3://bucket/prefix or file:///dir)"; exit 2; }
for tool in jq openssl base64 timeout; do
  command -v "$tool" >/dev/null || { log "$tool is required"; exit 2; }
done
TIMEOUT_BIN=$(command -v timeout) # a step's env may set PATH: timeout is found before that

# --- environment: wait for AppStream's variables (a systemd service does not inherit them) -----
# AWS: "On Linux image builders, environment variables are exported through the script at
# /etc/profile.d/appstream_system_vars.sh" (Instance Metadata for AppStream 2.0 Image Builders).
load_appstream_vars() {
  if [ -r "$APPSTREAM_VARS" ]; then
    set +u
    # shellcheck disable=SC1090
    . "$APPSTREAM_VARS"
    set -u
  fi
}
waited=0 delay=1
while :; do
  load_appstream_vars
  [ -n "${AppStream_Resource_Type:-}" ] && break
  if [ "$waited" -ge "$ENV_WAIT" ]; then
    log "no AppStream environment after ${ENV_WAIT}s (AppStream_Resource_Type, $APPSTREAM_VARS); exiting for a restart"
    exit 3
  fi
  log "waiting for the AppStream environment variables ($APPSTREAM_VARS), next look in ${delay}s"
  sleep "$delay"
  waited=$((waited + delay)) delay=$((delay * 2 > 30 ? 30 : delay * 2))
done
# The image-builder metadata page says "imagebuilder", the fleet metadata page "image-builder".
case "$AppStream_Resource_Type" in
  imagebuilder | image-builder) ;;
  *)
    log "not an image builder (AppStream_Resource_Type=$AppStream_Resource_Type); exiting"
    exit 0
    ;;
esac
BUILDER="${AUTOPILOT_BUILDER:-${AppStream_Resource_Name:-}}"
[ -n "$BUILDER" ] || { log "builder name unknown (AUTOPILOT_BUILDER / AppStream_Resource_Name)"; exit 3; }

if ! mkdir -p "$STATE_DIR" || ! chmod 700 "$STATE_DIR"; then log "cannot create $STATE_DIR"; exit 2; fi
# One agent per builder: a second copy waits, then exits for its service manager to retry.
if command -v flock >/dev/null; then
  exec 9>>"$STATE_DIR/agent.lock"
  flock -w 60 9 || { log "another agent holds $STATE_DIR/agent.lock"; exit 75; }
fi

# --- credentials: the appstream_machine_role profile -------------------------------------------
# AWS: AppStream "creates the appstream_machine_role credential profile on the instance ... When
# you make the API calls, specify appstream_machine_role as the credential profile. Otherwise, the
# operation fails due to insufficient permissions" (How to Use the IAM Role With AppStream 2.0
# Streaming Instances). The profile appears once the role is assumed, so until it is found the
# agent looks again on every poll and meanwhile uses the default chain (builders without a role).
PROFILE_ARGS=()
PROFILE_STATE=unknown
PROFILE_FRESH=0 # looked up during this poll
resolve_profile() {
  PROFILE_FRESH=1
  [ "$PROFILE_STATE" = found ] && return 0
  local out rc
  # `aws configure get` exits 255 with "The config profile (...) could not be found" when the
  # profile is absent, 1 when it exists without the key (CLI v1 and v2; v1 has no list-profiles).
  out=$(aws configure get region --profile "$PROFILE_NAME" 2>&1)
  rc=$?
  if [ $rc -ne 0 ] && [ $rc -ne 1 ] && grep -q 'could not be found' <<< "$out"; then
    [ "$PROFILE_STATE" = absent ] || log "no '$PROFILE_NAME' credential profile: using the default credential chain"
    PROFILE_STATE=absent
    PROFILE_ARGS=()
  else
    log "using the '$PROFILE_NAME' credential profile"
    PROFILE_STATE=found
    PROFILE_ARGS=(--profile "$PROFILE_NAME")
  fi
}
awsc() {
  [ "$PROFILE_FRESH" = 1 ] || resolve_profile
  # ${a[@]+...}: bash 4.2 (Amazon Linux 2) treats an empty array as unbound under set -u.
  aws "$@" ${PROFILE_ARGS[@]+"${PROFILE_ARGS[@]}"} ${REGION:+--region "$REGION"}
}

# --- storage: S3 through the AWS CLI (s3api), or a directory for tests --------------------------
case "$SOURCE" in
  s3://*)
    rest="${SOURCE#s3://}"
    BUCKET="${rest%%/*}"
    PREFIX=""
    [ "$rest" != "$BUCKET" ] && PREFIX="${rest#*/}"
    PREFIX="${PREFIX%/}"
    KEYBASE="${PREFIX:+$PREFIX/}$BUILDER"
    ;;
  file://*) DIRBASE="${SOURCE#file://}"; DIRBASE="${DIRBASE%/}/$BUILDER" ;;
  *) log "AUTOPILOT_SOURCE must be s3://… or file://…"; exit 2 ;;
esac

# Keys under <prefix>/<builder>/ (jobs/x.json, claims/x.json, results/x.json), one per line.
# One ListObjectsV2 per poll: it needs s3:ListBucket, and with ListBucket a missing key is a
# clean 404 (without it S3 answers 403 AccessDenied), so the agent never guesses from a GET.
store_list() {
  case "$SOURCE" in
    s3://*)
      local out
      out=$(awsc s3api list-objects-v2 --bucket "$BUCKET" --prefix "$KEYBASE/" --output json) || return 1
      [ -z "$out" ] && return 0
      jq -r --arg p "$KEYBASE/" '(.Contents // [])[] | .Key | ltrimstr($p)' <<< "$out"
      ;;
    file://*)
      [ -d "$DIRBASE" ] || return 0
      (cd "$DIRBASE" && find . -type f ! -name '.*' | sed 's|^\./||')
      ;;
  esac
}
store_get() {
  case "$SOURCE" in
    s3://*) awsc s3api get-object --bucket "$BUCKET" --key "$KEYBASE/$1" "$2" > /dev/null ;;
    file://*) cp "$DIRBASE/$1" "$2" ;;
  esac
}
store_put() {
  case "$SOURCE" in
    s3://*) awsc s3api put-object --bucket "$BUCKET" --key "$KEYBASE/$2" --body "$1" --content-type application/json > /dev/null ;;
    file://*)
      mkdir -p "$(dirname "$DIRBASE/$2")" && cp "$1" "$DIRBASE/$2.tmp$BASHPID" && mv -f "$DIRBASE/$2.tmp$BASHPID" "$DIRBASE/$2"
      ;;
  esac
}

# Documents may start with a UTF-8 BOM (Windows PowerShell 5.1): every reader strips it.
strip_bom() { sed '1s/^\xEF\xBB\xBF//' "$1"; }

# --- verification: signed envelope, then payload binding ----------------------------------------
# Prints the refusal reason and returns 1, or writes the verified job (defaults filled) to $3.
verify_job() {
  local id="$1" doc="$2" out="$3" work sv alg builder expires exp_s
  work=$(mktemp -d)
  strip_bom "$doc" > "$work/env.json"
  if ! jq -e 'type == "object"' "$work/env.json" > /dev/null 2>&1; then
    echo "malformed: the job document is not a JSON object"; rm -rf "$work"; return 1
  fi
  sv=$(jq -r '.schemaVersion // "none"' "$work/env.json")
  if [ "$sv" != "$PROTOCOL" ]; then
    echo "unknown-schema: job schemaVersion $sv; this agent ($AGENT_VERSION) speaks agent protocol $PROTOCOL"; rm -rf "$work"; return 1
  fi
  if ! jq -e '(.payload | type == "string" and length > 0) and (.signature | type == "string" and length > 0)' "$work/env.json" > /dev/null; then
    echo "unsigned: the job has no signed envelope (payload + signature)"; rm -rf "$work"; return 1
  fi
  alg=$(jq -r '.algorithm // ""' "$work/env.json")
  if [ "$alg" != "$SIGNING_ALGORITHM" ]; then
    echo "bad-signature: unsupported signing algorithm '$alg' (expected $SIGNING_ALGORITHM)"; rm -rf "$work"; return 1
  fi
  if [ ! -r "$PUBLIC_KEY" ]; then
    echo "bad-signature: no public key at $PUBLIC_KEY to verify the job with"; rm -rf "$work"; return 1
  fi
  if ! jq -j '.payload' "$work/env.json" | base64 -d > "$work/payload.bin" 2> /dev/null ||
    ! jq -j '.signature' "$work/env.json" | base64 -d > "$work/sig.bin" 2> /dev/null ||
    ! openssl dgst -sha256 -verify "$PUBLIC_KEY" -signature "$work/sig.bin" "$work/payload.bin" > /dev/null 2>&1; then
    echo "bad-signature: the signature does not verify with $PUBLIC_KEY (not signed by this pipeline, or altered)"; rm -rf "$work"; return 1
  fi
  if ! jq -e 'type == "object"' "$work/payload.bin" > /dev/null 2>&1; then
    echo "malformed: the signed payload is not a JSON object"; rm -rf "$work"; return 1
  fi
  sv=$(jq -r '.schemaVersion // "none"' "$work/payload.bin")
  if [ "$sv" != "$PROTOCOL" ]; then
    echo "unknown-schema: job payload schemaVersion $sv; this agent speaks agent protocol $PROTOCOL"; rm -rf "$work"; return 1
  fi
  if [ "$(jq -r '.jobId' "$work/payload.bin")" != "$id" ]; then
    echo "malformed: the signed jobId is not '$id' (the document's name)"; rm -rf "$work"; return 1
  fi
  builder=$(jq -r '.builderName // ""' "$work/payload.bin")
  if [ "$builder" != "$BUILDER" ]; then
    echo "foreign-builder: the job is for image builder '$builder', not '$BUILDER'"; rm -rf "$work"; return 1
  fi
  expires=$(jq -r '.expiresAt // ""' "$work/payload.bin")
  if ! exp_s=$(date -u -d "$expires" +%s 2> /dev/null); then
    echo "malformed: expiresAt '$expires' is not a time"; rm -rf "$work"; return 1
  fi
  if [ "$exp_s" -le "$(date -u +%s)" ]; then
    echo "expired: the job expired at $expires"; rm -rf "$work"; return 1
  fi
  if ! jq -e '(.steps | type == "array" and length > 0) and all(.steps[]; (.id | type == "string") and (.kind == "command" or .kind == "image-assistant") and (.argv | type == "array" and length > 0 and all(.[]; type == "string"))
      and (.env == null or (.env | type == "object" and all(to_entries[]; (.key | test("^[A-Za-z_][A-Za-z0-9_]*$")) and (.value | type == "string")))))' "$work/payload.bin" > /dev/null 2>&1; then
    echo "malformed: the job's steps break the schema"; rm -rf "$work"; return 1
  fi
  jq '.heartbeatSeconds = (.heartbeatSeconds // 30) | .leaseSeconds = (.leaseSeconds // 180) | .secrets = (.secrets // [])
      | .steps |= map(.timeoutSeconds = (.timeoutSeconds // 1800) | .continueOnError = (.continueOnError // false) | .expectReboot = (.expectReboot // false) | .env = (.env // {}))' \
    "$work/payload.bin" > "$out"
  rm -rf "$work"
}

# --- local state (resumable jobs) ---------------------------------------------------------------
# $STATE_DIR/<jobId>.json: {job, claimedAt, steps: [results so far], current: step in progress,
# rebootExpectedUntil, outcome, status: running | finished | done, result}
state_file() { echo "$STATE_DIR/$1.json"; }
# A delivered job's state moves to done/ (kept 30 days: a job id is never run twice).
mark_done() {
  state_update "$1" '.status = "done"' && mkdir -p "$STATE_DIR/done" && mv -f "$(state_file "$1")" "$STATE_DIR/done/"
}
state_update() { # id jq-filter [jq args...]
  local f tmp
  f=$(state_file "$1")
  tmp="$f.tmp$BASHPID"
  jq "${@:3}" "$2" "$f" > "$tmp" && mv -f "$tmp" "$f"
}

write_claim() {
  local id="$1" tmp rc
  tmp=$(mktemp)
  jq --arg at "$(now)" --arg v "$AGENT_VERSION" \
    '{schemaVersion: 2, jobId, builderName: .job.builderName, agentVersion: $v, claimedAt, heartbeatAt: $at,
      currentStep: (.current.id // null), completedSteps: [.steps[].id]}
     + (if .rebootExpectedUntil then {rebootExpectedUntil} else {} end)' \
    "$(state_file "$id")" > "$tmp" && store_put "$tmp" "claims/$id.json"
  rc=$?
  rm -f "$tmp"
  return $rc
}

# Renews the lease every heartbeatSeconds while the job runs; stops when its parent is gone, so
# an orphan never keeps a lost job's lease alive.
heartbeat_loop() {
  local id="$1" every="$2" parent="$3"
  # sleep gets no inherited pipes: a harness waiting for the agent's output never waits on it.
  # shellcheck disable=SC2217
  while sleep "$every" < /dev/null > /dev/null 2>&1; do
    kill -0 "$parent" 2> /dev/null || exit 0
    write_claim "$id" || log "job $id: heartbeat not written (will retry)"
  done
}

# --- secrets: resolved on the builder just before a step, never written anywhere ---------------
# The AWS CLI's stdout (the JSON answer) and stderr (errors, but also warnings such as CLI v1's
# Python deprecation notice) are read separately: a warning mixed into the JSON would otherwise
# turn a secret into an empty string. A value that cannot be read, or is empty, fails the step.
SECRETS_JSON='{}' SECRET_ERROR=''
resolve_secret() { # id name -> adds to SECRETS_JSON, or sets SECRET_ERROR and returns 1
  local id="$1" name="$2" source ref json val errf err rc what field
  source=$(N="$name" jq -r '.job.secrets[] | select(.name == env.N) | .source' "$(state_file "$id")" | head -n1)
  ref=$(N="$name" jq -r '.job.secrets[] | select(.name == env.N) | .ref' "$(state_file "$id")" | head -n1)
  errf=$(mktemp)
  case "$source" in
    ssm)
      # SecureString: --with-decryption, with the machine role (kms:Decrypt on the key).
      what="ssm $ref" field=Parameter.Value
      json=$(awsc ssm get-parameter --name "$ref" --with-decryption --output json 2> "$errf")
      rc=$?
      ;;
    secretsmanager)
      what="secretsmanager $ref" field=SecretString
      json=$(awsc secretsmanager get-secret-value --secret-id "$ref" --output json 2> "$errf")
      rc=$?
      ;;
    *)
      rm -f "$errf"
      SECRET_ERROR="secret $name could not be resolved: it is not declared in the job's secrets"
      return 1
      ;;
  esac
  err=$(head -c 2000 "$errf" | tr -s '\r\n' '  ')
  rm -f "$errf"
  if [ "$rc" -ne 0 ]; then
    SECRET_ERROR="secret $name could not be resolved ($what): the AWS CLI exited $rc: ${err:-no error output}"
    return 1
  fi
  if ! F="$field" jq -e 'getpath(env.F | split(".")) | type == "string"' <<< "$json" > /dev/null 2>&1; then
    SECRET_ERROR="secret $name could not be resolved ($what): the AWS CLI's answer has no string $field${err:+ (its stderr: $err)}"
    return 1
  fi
  # printf . keeps trailing newlines of the value; jq -j writes it raw.
  if ! val=$(F="$field" jq -j 'getpath(env.F | split("."))' <<< "$json" && printf .); then
    SECRET_ERROR="secret $name could not be resolved ($what): its value could not be read"
    return 1
  fi
  val="${val%.}"
  if [ -z "$val" ]; then
    SECRET_ERROR="secret $name could not be resolved ($what): the value is empty"
    return 1
  fi
  [ -n "$err" ] && log "secret $name ($what): the AWS CLI wrote to stderr (ignored): ${err//"$val"/***}"
  # Values travel in the environment of jq, never on a command line.
  SECRETS_JSON=$(S="$SECRETS_JSON" N="$name" V="$val" jq -cn '(env.S | fromjson) | .[env.N] = env.V')
}

# Last OUTPUT_LIMIT characters of a captured stream, every secret value replaced by ***
# (redacted before the cut, so no partial secret survives at the edge), as a JSON string.
redacted_tail() {
  tail -c 65536 "$1" | S="$SECRETS_JSON" jq -Rs --argjson n "$OUTPUT_LIMIT" \
    '([(env.S | fromjson)[] | select(length > 0)] | sort_by(-length)) as $v
     | reduce $v[] as $s (.; split($s) | join("***")) | .[-$n:]'
}

# --- running a step -----------------------------------------------------------------------------
run_step() { # id index -> appends the step's result to the state
  local id="$1" i="$2" f work step_id kind timeout_s cont reboot started code name err=''
  f=$(state_file "$id")
  work=$(mktemp -d)
  local placeholders
  IFS=$'\t' read -r step_id kind timeout_s cont reboot placeholders < <(jq -r --argjson i "$i" \
    '.job.steps[$i] | [.id, .kind, .timeoutSeconds, .continueOnError, .expectReboot,
      ([.argv[], .env[] | select(contains("{{secret:"))] | length)] | @tsv' "$f")
  started=$(now)
  if [ "$reboot" = true ]; then
    state_update "$id" '.current = {id: $s, index: $i, startedAt: $t, expectReboot: true} | .rebootExpectedUntil = $u' \
      --arg s "$step_id" --argjson i "$i" --arg t "$started" --arg u "$(plus_seconds "$REBOOT_GRACE")"
  else
    state_update "$id" '.current = {id: $s, index: $i, startedAt: $t, expectReboot: false} | .rebootExpectedUntil = null' \
      --arg s "$step_id" --argjson i "$i" --arg t "$started"
  fi
  write_claim "$id" || log "job $id: claim not written (the heartbeat retries)"

  SECRETS_JSON='{}' SECRET_ERROR=''
  [ "$placeholders" -gt 0 ] && while IFS= read -r name; do
    name="${name#\{\{secret:}"
    name="${name%\}\}}"
    resolve_secret "$id" "$name" || break
  done < <(jq -r --argjson i "$i" '.job.steps[$i] | .argv[], .env[]' "$f" | grep -o '{{secret:[^}]*}}' | sort -u)
  if [ -n "$SECRET_ERROR" ]; then
    err="$SECRET_ERROR"
    code=255
    : > "$work/out"
    printf 'autopilot-agent: %s\n' "$err" > "$work/err"
  else
    local -a argv=()
    local a
    # NUL-separated argv (any character survives; jq -j writes "\u0000" as a NUL byte, jq 1.5
    # included: jqlang/jq#1373); bash 4.2 has no `mapfile -d`.
    while IFS= read -r -d '' a; do argv+=("$a"); done < <(S="$SECRETS_JSON" jq -j --argjson i "$i" \
      '(env.S | fromjson | to_entries) as $s | .job.steps[$i].argv[]
       | reduce $s[] as $e (.; split("{{secret:" + $e.key + "}}") | join($e.value)) | (., "\u0000")' "$f")
    [ "$kind" = image-assistant ] && argv=("${ASSISTANT[@]}" "${argv[@]}")
    # The step's `env`: NAME, value, NAME, value, ... (NUL-separated, placeholders resolved). They
    # are exported with the `export` builtin in the step's own subshell, so a value never appears
    # on any command line (/proc/*/cmdline, ps, auditd execve records); only the step's process
    # tree gets them, in its environment (readable by root and the same user only).
    local -a envs=()
    while IFS= read -r -d '' a; do envs+=("$a"); done < <(S="$SECRETS_JSON" jq -j --argjson i "$i" \
      '(env.S | fromjson | to_entries) as $s | .job.steps[$i].env | to_entries[]
       | (.key, "\u0000", (.value | reduce $s[] as $e (.; split("{{secret:" + $e.key + "}}") | join($e.value))), "\u0000")' "$f")
    (
      for ((k = 0; k + 1 < ${#envs[@]}; k += 2)); do export "${envs[k]}=${envs[k + 1]}"; done
      exec "$TIMEOUT_BIN" --kill-after=30 "$timeout_s" "${argv[@]}"
    ) < /dev/null > "$work/out" 2> "$work/err" 9>&-
    code=$?
    unset argv envs
  fi
  if [ "$reboot" = true ] && [ "$REBOOT_SETTLE" -gt 0 ]; then
    # The step may have started a reboot that has not reached this agent yet: wait for it.
    log "job $id: $step_id (expectReboot) exited $code; waiting ${REBOOT_SETTLE}s for a reboot"
    sleep "$REBOOT_SETTLE"
  fi
  state_update "$id" \
    '.steps += [{id: $s, exitCode: $c, stdout: $out, stderr: $err, startedAt: $t, finishedAt: $f}]
     | .current = null | .rebootExpectedUntil = null
     | if $c != 0 and ($cont | not) then .outcome = "failed" else . end' \
    --arg s "$step_id" --argjson c "$code" --argjson out "$(redacted_tail "$work/out")" \
    --argjson err "$(redacted_tail "$work/err")" --arg t "$started" --arg f "$(now)" --argjson cont "$cont"
  SECRETS_JSON='{}'
  rm -rf "$work"
  log "job $id: $step_id exited $code"
}

# Runs (or resumes) a job from its local state, then delivers its result.
run_job() {
  local id="$1" f count n hb hb_pid cur
  f=$(state_file "$id")
  if [ "$(jq -r '.status' "$f")" = running ]; then
    # Resume after a reboot (or an agent restart) in the middle of a step.
    cur=$(jq -r '.current.id // ""' "$f")
    if [ -n "$cur" ]; then
      if [ "$(jq -r '.current.expectReboot' "$f")" = true ]; then
        log "job $id: resumed after the reboot of step $cur"
        state_update "$id" '.steps += [{id: .current.id, exitCode: 0, stdout: "", stderr: "", startedAt: .current.startedAt, finishedAt: $t, resumedAfterReboot: true}]
          | .current = null | .rebootExpectedUntil = null' --arg t "$(now)"
      else
        log "job $id: the builder rebooted during step $cur"
        state_update "$id" '.steps += [{id: .current.id, exitCode: 255, stdout: "", stderr: $m, startedAt: .current.startedAt, finishedAt: $t, resumedAfterReboot: true}]
          | .current = null | .rebootExpectedUntil = null | .outcome = "failed" | .reason = $m' \
          --arg t "$(now)" --arg m "the builder rebooted during step $cur, which does not declare expectReboot"
      fi
    fi
    hb=$(jq -r '.job.heartbeatSeconds' "$f")
    write_claim "$id" || log "job $id: claim not written (the heartbeat retries)"
    local me=$BASHPID
    (exec 9>&-; heartbeat_loop "$id" "$hb" "$me") &
    hb_pid=$!
    count=$(jq '.job.steps | length' "$f")
    while :; do
      n=$(jq 'if .outcome == "failed" then -1 else (.steps | length) end' "$f")
      [ "$n" -lt 0 ] || [ "$n" -ge "$count" ] && break
      run_step "$id" "$n"
    done
    kill "$hb_pid" 2> /dev/null
    wait "$hb_pid" 2> /dev/null
    state_update "$id" '.status = "finished" | .result = {schemaVersion: 2, jobId, builderName: .job.builderName,
        agentVersion: $v, status: .outcome, finishedAt: $t, steps} + (if .reason then {reason} else {} end)' \
      --arg v "$AGENT_VERSION" --arg t "$(now)"
    write_claim "$id" || true
  fi
  local tmp
  tmp=$(mktemp)
  jq '.result' "$f" > "$tmp"
  if store_put "$tmp" "results/$id.json"; then
    log "job $id: $(jq -r '.result.status' "$f")"
    mark_done "$id"
    rm -f "$tmp"
  else
    rm -f "$tmp"
    log "job $id: result not delivered yet (next poll retries)"
    return 1
  fi
}

refuse_job() { # id reason
  local tmp rc
  tmp=$(mktemp)
  jq -n --arg id "$1" --arg b "$BUILDER" --arg v "$AGENT_VERSION" --arg r "$2" --arg t "$(now)" \
    '{schemaVersion: 2, jobId: $id, builderName: $b, agentVersion: $v, status: "refused", reason: $r, finishedAt: $t, steps: []}' > "$tmp"
  store_put "$tmp" "results/$1.json"
  rc=$?
  rm -f "$tmp"
  [ $rc -eq 0 ] && log "job $1: refused: $2"
  return $rc
}

start_job() { # id
  local id="$1" work reason
  work=$(mktemp -d)
  if ! store_get "jobs/$id.json" "$work/envelope.json"; then rm -rf "$work"; return 1; fi
  if ! reason=$(verify_job "$id" "$work/envelope.json" "$work/job.json"); then
    rm -rf "$work"
    refuse_job "$id" "$reason"
    return
  fi
  jq -n --slurpfile job "$work/job.json" --arg id "$id" --arg t "$(now)" \
    '{schemaVersion: 2, jobId: $id, claimedAt: $t, job: $job[0], steps: [], current: null,
      rebootExpectedUntil: null, outcome: "succeeded", status: "running", result: null}' > "$(state_file "$id").tmp" &&
    mv -f "$(state_file "$id").tmp" "$(state_file "$id")"
  rm -rf "$work"
  chmod 600 "$(state_file "$id")"
  log "job $id: claimed ($(jq '.job.steps | length' "$(state_file "$id")") steps)"
  run_job "$id"
}

poll_once() {
  local keys id f st rc=0
  keys=$(store_list) || { log "cannot list ${SOURCE%/}/$BUILDER/ (network, credentials or s3:ListBucket)"; return 1; }
  [ -d "$STATE_DIR/done" ] && find "$STATE_DIR/done" -name '*.json' -mtime +30 -delete 2> /dev/null
  # Jobs this agent already owns: resume, or deliver a result that did not reach the bucket.
  for f in "$STATE_DIR"/*.json; do
    [ -e "$f" ] || continue
    id=$(basename "$f" .json)
    st=$(jq -r '.status // ""' "$f" 2> /dev/null)
    case "$st" in
      running | finished)
        if grep -qxF "results/$id.json" <<< "$keys"; then mark_done "$id"; continue; fi
        run_job "$id" || rc=1
        ;;
    esac
  done
  while IFS= read -r id <&3; do
    [ -n "$id" ] || continue
    grep -qxF "results/$id.json" <<< "$keys" && continue
    [ -e "$(state_file "$id")" ] || [ -e "$STATE_DIR/done/$id.json" ] && continue
    # Claimed but not ours (an agent without local state, e.g. an image rebuilt mid-job): the
    # pipeline's lease check decides; never run a job twice.
    grep -qxF "claims/$id.json" <<< "$keys" && continue
    start_job "$id" || rc=1
  done 3< <(grep '^jobs/[A-Za-z0-9_.-]*\.json$' <<< "$keys" | sed 's|^jobs/||; s|\.json$||' | sort)
  return $rc
}

# --- presence: interactive logons on the builder (agent/PROTOCOL.md, "Presence heartbeat") ------
# Who logs on to a Linux image builder: AWS: "If your image builder is Linux-based, you are
# automatically logged in as the ImageBuilderAdmin user in the Amazon Linux GNOME desktop and have
# root admin privileges" (Administration Guide, "Connect to an Image Builder" / "Streaming URL");
# a test user is switched to inside that logon (`useradd -m test-user`, `su - test-user`:
# "Tutorial: Create a Custom Linux-Based Image"), and "as2-streaming-user" is the reserved
# streaming user of fleets (same tutorial). Any of them logged on is a person at the builder.
# What counts as an interactive logon: a systemd-logind session (loginctl) of Class "user" (not
# "greeter", "lock-screen", "background", "manager"), State "active" or "online" (not "closing":
# logged out, processes lingering), of an account with a UID of at least UID_MIN from
# /etc/login.defs (1000 by default) other than nobody (65534), so root and the system accounts of
# services (gdm, dcv, sshd...) never count. Without logind (loginctl missing or failing): the utmp
# records of `who`, with the same UID rule. `users` = distinct accounts.
#
# A logon counts as a person at the builder only while it had user input within PRESENCE_IDLE
# seconds: a desktop left open after the streaming tab was closed must not keep the builder alive.
# The input clock, per session (seconds since the epoch):
# - logind, graphical session (Type x11/wayland/mir): the desktop sets the idle hint; logind
#   reports it as is with the time it last changed (systemd logind-session.c session_get_idle_hint:
#   "Graphical sessions have an explicit idle hint"). GNOME does (gnome-session gsm-manager.c
#   on_presence_status_changed -> SetIdleHint, idle after org.gnome.desktop.session idle-delay,
#   300 s by default; the GNOME desktops of Amazon Linux 2 and RHEL). IdleHint=no with an
#   IdleSinceHint: in use now. IdleHint=yes: last input at IdleSinceHint (a little before, by the
#   desktop's idle delay).
# - logind, other sessions (tty, ssh): IdleSinceHint is the terminal's access time, the last input.
# - no idle hint (IdleSinceHint 0 or missing: the desktop never set one, e.g. a session whose idle
#   time lives only in the X server, which root cannot ask without the user's display and cookie;
#   or `who` without logind and the terminal's atime unreadable): unknown. The safe-for-cost
#   fallback: such a session counts only within PRESENCE_IDLE of the later of its start (logind's
#   Timestamp, else the first time this agent saw it) and the last time input was seen in it,
#   never for as long as it stays open.
# IdleSinceHint is CLOCK_REALTIME in microseconds (org.freedesktop.login1(5)); loginctl prints it
# raw, and Timestamp as a date (`loginctl show-session` formats properties named *Timestamp).
UID_MIN=$(awk '$1 == "UID_MIN" { print $2 }' /etc/login.defs 2> /dev/null)
[[ "$UID_MIN" =~ ^[0-9]+$ ]] || UID_MIN=1000
is_person() { [[ "$1" =~ ^[0-9]+$ ]] && [ "$1" -ge "$UID_MIN" ] && [ "$1" -ne 65534 ]; }
declare -A INPUT_SEEN=() FIRST_SEEN=() # per session key: last input seen / first sight (epoch s)
LOGGED_ON='' PRESENT=''                # distinct accounts, one a line: logged on / with recent input
FALLBACK=''                            # accounts counted by the fallback (no idle hint)
# session_input key now last-input-or-empty start-or-empty -> 0 present, 1 not
session_input() {
  local key="$1" now="$2" last="$3" start="$4" since
  [ -n "${FIRST_SEEN[$key]:-}" ] || FIRST_SEEN[$key]=$now
  if [ -n "$last" ]; then
    INPUT_SEEN[$key]=$last
    [ $((now - last)) -lt "$PRESENCE_IDLE" ]
    return
  fi
  since=${start:-${FIRST_SEEN[$key]}}
  [ "${INPUT_SEEN[$key]:-0}" -gt "$since" ] && since=${INPUT_SEEN[$key]}
  [ $((now - since)) -lt "$PRESENCE_IDLE" ] && FALLBACK+="$key"$'\n' && return 0
  return 1
}
scan_logons() { # sets LOGGED_ON, PRESENT, FALLBACK
  local sessions id key value name uid class state type idle since start last now u line atime
  local -a on=() present=()
  now=$(date +%s) FALLBACK=''
  if command -v loginctl > /dev/null && sessions=$(loginctl list-sessions --no-legend --no-pager 2> /dev/null); then
    while read -r id _; do
      [[ "$id" =~ ^[A-Za-z0-9_-]+$ ]] || continue
      name='' uid='' class='' state='' type='' idle='' since='' start=''
      # show-session prints Key=Value lines (-p works on systemd 219, Amazon Linux 2; --value is newer).
      while IFS='=' read -r key value; do
        case "$key" in
          Name) name=$value ;; User) uid=$value ;; Class) class=$value ;; State) state=$value ;;
          Type) type=$value ;; IdleHint) idle=$value ;; IdleSinceHint) since=$value ;; Timestamp) start=$value ;;
        esac
      done < <(loginctl show-session "$id" -p Name -p User -p Class -p State -p Type -p IdleHint \
        -p IdleSinceHint -p Timestamp --no-pager 2> /dev/null)
      if [ "$class" != user ] || { [ "$state" != active ] && [ "$state" != online ]; } || ! is_person "$uid"; then continue; fi
      on+=("$name")
      last=''
      if [[ "$since" =~ ^[0-9]+$ ]] && [ "$since" -gt 0 ]; then
        case "$type:$idle" in
          x11:no | wayland:no | mir:no) last=$now ;;
          *) last=$((since / 1000000)) ;;
        esac
      fi
      if [ -n "$start" ]; then start=$(date -d "$start" +%s 2> /dev/null) || start=''; fi
      session_input "logind:$id" "$now" "$last" "$start" && present+=("$name")
    done <<< "$sessions"
  elif command -v who > /dev/null; then
    while read -r u line _; do
      if [ -z "$u" ] || ! is_person "$(id -u "$u" 2> /dev/null)"; then continue; fi
      on+=("$u")
      atime=$(stat -c %X "/dev/$line" 2> /dev/null) || atime=''
      session_input "who:$u:$line" "$now" "$atime" '' && present+=("$u")
    done < <(who 2> /dev/null)
  fi
  LOGGED_ON=$(printf '%s\n' ${on[@]+"${on[@]}"} | sed '/^$/d' | sort -u)
  PRESENT=$(printf '%s\n' ${present[@]+"${present[@]}"} | sed '/^$/d' | sort -u)
}
write_presence() { # users -> <prefix>/<builder>/presence/heartbeat.json
  local tmp rc
  tmp=$(mktemp)
  jq -n --arg b "$BUILDER" --arg v "$AGENT_VERSION" --arg t "$(now)" --argjson n "$1" \
    '{schemaVersion: 2, builderName: $b, agentVersion: $v, at: $t, users: $n}' > "$tmp" &&
    store_put "$tmp" "presence/heartbeat.json"
  rc=$?
  rm -f "$tmp"
  return $rc
}
# Runs beside the job loop in its own process (a job step of 30 minutes never delays it, and it
# never delays a poll): looks for logons every PRESENCE_CHECK seconds, writes a heartbeat at the
# first sight of a logon with recent input and then every PRESENCE seconds while one lasts,
# nothing while nobody is logged on or every logon has been idle for PRESENCE_IDLE seconds. A
# failed write is logged and retried at the next look. Ends with its parent.
presence_loop() { # parent-pid
  local parent="$1" n t last=0 reported=0 fallback_logged=''
  while kill -0 "$parent" 2> /dev/null; do
    PROFILE_FRESH=0 # this process looks the profile up itself (awsc)
    scan_logons
    n=$(grep -c . <<< "$PRESENT")
    if [ "$n" -gt 0 ]; then
      if [ -n "$FALLBACK" ] && [ "$FALLBACK" != "$fallback_logged" ]; then
        log "presence: no idle hint for $(sed '/^$/d' <<< "$FALLBACK" | paste -sd,): counted for ${PRESENCE_IDLE}s from its start or last input seen"
      fi
      fallback_logged=$FALLBACK
      t=$(date +%s%3N) # milliseconds
      if [ "$last" -eq 0 ] || [ $((t - last)) -ge $((PRESENCE * 1000)) ]; then
        if write_presence "$n"; then
          [ "$reported" = 1 ] || log "presence: interactive logon ($(paste -sd, <<< "$PRESENT")): heartbeat every ${PRESENCE}s while it lasts and has input within ${PRESENCE_IDLE}s"
          last=$t reported=1
        else
          log "presence: heartbeat not written (retried in ${PRESENCE_CHECK}s)"
        fi
      fi
    else
      if [ "$reported" = 1 ]; then
        if [ -n "$LOGGED_ON" ]; then
          log "presence: logged on ($(paste -sd, <<< "$LOGGED_ON")) but no input for ${PRESENCE_IDLE}s; no more heartbeats until there is"
        else
          log "presence: nobody is logged on; no more heartbeats"
        fi
      fi
      last=0 reported=0 fallback_logged=''
    fi
    # shellcheck disable=SC2217 # sleep gets no inherited pipes (as in heartbeat_loop)
    sleep "$PRESENCE_CHECK" < /dev/null > /dev/null 2>&1
  done
}

backoff_delay() { # failures -> seconds (capped exponential, full jitter in [d/2, d])
  awk -v b="$BACKOFF_BASE" -v m="$BACKOFF_MAX" -v n="$1" -v r="$RANDOM" \
    'BEGIN { d = b * 2 ^ (n - 1); if (d > m) d = m; printf "%.2f", d / 2 + (d / 2) * r / 32767 }'
}

log "agent $AGENT_VERSION (protocol $PROTOCOL) on image builder $BUILDER, source $SOURCE"
PRESENCE_PID=''
if [ "$PRESENCE" -gt 0 ]; then
  (exec 9>&-; presence_loop "$$") &
  PRESENCE_PID=$!
  trap 'kill "$PRESENCE_PID" 2> /dev/null' EXIT
fi
failures=0 polls=0
while :; do
  PROFILE_FRESH=0
  [[ "$SOURCE" == s3://* ]] && resolve_profile
  # The body runs in a subshell: an unexpected error ends that poll, never the agent.
  if (poll_once); then
    failures=0
    delay="$POLL"
    status=0
  else
    failures=$((failures + 1))
    delay=$(backoff_delay "$failures")
    status=1
    log "poll failed ($failures in a row); retrying in ${delay}s"
  fi
  polls=$((polls + 1))
  if [ "$MAX_POLLS" -gt 0 ] && [ "$polls" -ge "$MAX_POLLS" ]; then exit "$status"; fi
  sleep "$delay"
done
