#!/usr/bin/env bash
# Builds the project's Dockerfile and runs it, alone and as docker-compose.yml's two nodes on
# PostgreSQL, with podman and stand-in base images (scripts/container-bases.sh), both files unchanged:
#   1. the stand-in bases are made (once; cached after);
#   2. the Dockerfile builds (podman build --pull=never);
#   3. single node (SQLite): a state folder its user cannot write is refused with the fix; with a
#      volume it turns healthy, trains a small job through the published port, and after a restart
#      serves the same model, the same samples;
#   4. docker-compose.yml (podman-compose): PostgreSQL and two nodes turn healthy, both are Hangfire
#      servers on the database, one default job is queued for both; a job trains, the node training
#      it is killed mid-training (podman kill), the other node finishes it with every epoch once; the
#      killed node, started again, serves the model; everything is taken down.
# Only the ports published on 127.0.0.1 are called from outside the containers. Prints one line per
# step with its time, and last "N passed, N failed". Needs root, podman and podman-compose (installed
# from Debian when missing) and 8 GB free for images; exits 2, saying why, without them.
# usage: scripts/container-check.sh
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

# Podman settings for this machine (runc, explicit ulimits), and images in Docker's format, which
# keeps the Dockerfile's HEALTHCHECK (the OCI format has no place for it).
export CONTAINERS_CONF="${CONTAINERS_CONF:-$root/scripts/containers.conf}" BUILDAH_FORMAT=docker
image=localhost/vae-service:latest
project=vae-check
single=vae-check-single
state_volume=vae-check-state
passed=0 failed=0

[ "$(id -u)" -eq 0 ] || { echo "container-check: needs root (podman's root storage and networks, debootstrap)" >&2; exit 2; }
scripts/ensure-deps.sh podman runc podman-compose netavark aardvark-dns iptables catatonit >&2 \
    || { echo "container-check: podman and podman-compose could not be installed" >&2; exit 2; }
storage="$(podman info --format '{{.Store.GraphRoot}}' 2>/dev/null || echo /var/lib/containers)"
mkdir -p "$storage"
free_gb=$(( $(df -Pk "$storage" | awk 'NR == 2 { print $4 }') / 1024 / 1024 ))
[ "$free_gb" -ge 8 ] || { echo "container-check: $free_gb GB free under $storage; the images need 8" >&2; exit 2; }

# Random secrets and free ports, so that nothing here collides with a service already running.
secret() { head -c 18 /dev/urandom | base64 | tr -d '/+='; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
key="$(secret)"
export VAE_API_KEY="$key" VAE_DB_PASSWORD="$(secret)" VAE_PORT_1="$(free_port)" VAE_PORT_2="$(free_port)"
single_port="$(free_port)"

compose() { podman-compose -p "$project" -f docker-compose.yml "$@"; }

# Podman without systemd (as here) cannot set up its health check timers and says so at every start
# and removal of a container with a health check; the checks are run by wait_healthy instead.
pm() {
    podman "$@" 2>"$work/podman.err"
    local rc=$?
    grep -v -e 'systemd connection' -e 'Removing timer for container' -e 'failed to connect to syslog' "$work/podman.err" >&2
    return $rc
}

# Everything of the project: its containers with their anonymous volumes (the nodes' state folders),
# its named volumes (the database) and its network, which podman-compose 1.0.3 leaves behind.
remove_project() {
    podman ps -aq --filter "label=io.podman.compose.project=$project" | xargs -r podman rm -f -v >/dev/null 2>&1
    compose down -v >/dev/null 2>&1
    podman volume ls -q --filter "label=io.podman.compose.project=$project" | xargs -r podman volume rm -f >/dev/null 2>&1
    podman network ls -q --filter "label=io.podman.compose.project=$project" | xargs -r podman network rm -f >/dev/null 2>&1
}

work="$(mktemp -d /tmp/vae-container-check.XXXXXX)"
cleanup() {
    podman rm -f -v "$single" "$single-unwritable" >/dev/null 2>&1
    podman volume rm -f "$state_volume" >/dev/null 2>&1
    remove_project
    rm -rf "$work"
}
trap cleanup EXIT

# ---- helpers --------------------------------------------------------------------------------------

# step NAME FUNCTION: runs it, prints "ok|FAIL  seconds  name[: why]"; a function says why on stdout.
skip_rest=""
step() {
    local name="$1" fn="$2" start out rc
    if [ -n "$skip_rest" ]; then
        printf 'FAIL %6s  %s: not run, %s failed\n' "-" "$name" "$skip_rest"
        failed=$((failed + 1))
        return 1
    fi
    start=$(date +%s%N)
    # In this shell, not a subshell: a step leaves what the next needs (a model id, a node) in variables.
    "$fn" >"$work/step.out" 2>&1
    rc=$?
    out="$(tr '\n' ' ' <"$work/step.out" | sed 's/ *$//')"
    local tenths=$(( ($(date +%s%N) - start) / 100000000 ))
    local took="$((tenths / 10)).$((tenths % 10))s"
    if [ $rc -eq 0 ]; then
        printf 'ok   %6s  %s%s\n' "$took" "$name" "${out:+: $out}"
        passed=$((passed + 1))
    else
        printf 'FAIL %6s  %s: %s\n' "$took" "$name" "${out:-exit $rc}"
        failed=$((failed + 1))
        skip_rest="$name"
    fi
    return $rc
}
# The steps after a failure depend on it, up to the next group, which depends only on the image.
image_failed=""
group() { skip_rest="$image_failed"; }

# http METHOD PORT PATH [BODY]: the body to stdout, status in $work/status.
http() {
    local method="$1" port="$2" path="$3" body="${4:-}"
    local args=(-s -o "$work/body" -w '%{http_code}' -X "$method" -H "X-Api-Key: $key" --max-time 30)
    [ -n "$body" ] && args+=(-H 'Content-Type: application/json' -d "$body")
    : >"$work/body"
    curl "${args[@]}" "http://127.0.0.1:$port$path" >"$work/status" 2>/dev/null || echo 000 >"$work/status"
    cat "$work/body" 2>/dev/null
}
status() { cat "$work/status"; }
# json EXPRESSION: evaluates a Python expression over the JSON document on stdin, bound to "j".
json() { python3 -c "import json, sys; j = json.load(sys.stdin); r = ($1); print(r if not isinstance(r, (dict, list)) else json.dumps(r))"; }

# wait_healthy CONTAINER SECONDS: runs the image's own health check until it passes. Podman without
# systemd has no timer to run it, so it is run here, as Docker would run it every interval.
wait_healthy() {
    local container="$1" deadline=$((SECONDS + $2))
    while [ $SECONDS -lt $deadline ]; do
        if [ "$(podman inspect --format '{{.State.Status}}' "$container" 2>/dev/null)" != running ]; then
            echo "container $container is not running; its log ends:"; podman logs --tail 15 "$container" 2>&1; return 1
        fi
        podman healthcheck run "$container" >/dev/null 2>&1 && return 0
        sleep 1
    done
    echo "container $container did not turn healthy in $2 s; its log ends:"; podman logs --tail 15 "$container" 2>&1
    return 1
}

# wait_job PORT ID SECONDS STATUS...: polls the job until it has one of the statuses; its JSON in $work/job.
wait_job() {
    local port="$1" id="$2" deadline=$((SECONDS + $3)) s
    shift 3
    while [ $SECONDS -lt $deadline ]; do
        http GET "$port" "/api/jobs/$id" >"$work/job"
        s="$(json 'j.get("status")' <"$work/job" 2>/dev/null)"
        for want in "$@"; do [ "$s" = "$want" ] && return 0; done
        case "$s" in failed|cancelled) echo "job $id ended $s: $(json 'j.get("error")' <"$work/job")"; return 1 ;; esac
        sleep 1
    done
    echo "job $id is still ${s:-unknown} after $3 s"
    return 1
}

# clean_log CONTAINER: the service logged no error (a "fail:" or "crit:" entry, or a native library
# it could not load).
clean_log() {
    local bad
    bad="$(podman logs "$1" 2>&1 | grep -E -A1 '^(fail|crit):|Cannot load library' | head -4)"
    [ -z "$bad" ] || { echo "$1 logged: $bad"; return 1; }
}

container_of() {  # the compose container of a service
    podman ps -a --filter "label=io.podman.compose.project=$project" --filter "label=com.docker.compose.service=$1" --format '{{.Names}}' | head -1
}

# ---- 1-2: the stand-ins and the image -------------------------------------------------------------

bases() {
    scripts/container-bases.sh >"$work/bases.log" 2>&1 || { tail -20 "$work/bases.log"; return 1; }
    sed -n 's/^\([^:]*\): stand-in \(cached\|made\).*/\1 \2/p' "$work/bases.log" | paste -sd, | sed 's/,/, /g'
}

build_image() {
    podman build --pull=never -t "$image" . >"$work/build.log" 2>&1 || { grep -v '^\s*$' "$work/build.log" | tail -20; return 1; }
    [ -n "$(podman image inspect --format '{{with .Config.Healthcheck}}{{.Test}}{{end}}' "$image")" ] \
        || { echo "the image has no health check (built in OCI format?)"; return 1; }
    echo "$(podman image inspect --format '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1 / 1e6}'), user $(podman image inspect --format '{{.Config.User}}' "$image")"
}

# ---- 3: one node, SQLite --------------------------------------------------------------------------

single_unwritable() {
    local dir="$work/root-owned"
    mkdir -p "$dir" && chmod 755 "$dir"
    timeout 120 podman run --name "$single-unwritable" -v "$dir:/var/lib/vae" "$image" >"$work/unwritable.log" 2>&1
    local rc=$?
    podman rm -f "$single-unwritable" >/dev/null 2>&1
    [ $rc -ne 0 ] && [ $rc -ne 124 ] || { echo "the service started with a state folder it cannot write"; return 1; }
    local said
    said="$(grep "^error: the state folder" "$work/unwritable.log")" || { echo "exit $rc without the message; log:"; tail -5 "$work/unwritable.log"; return 1; }
    echo "exit $rc, \"${said:0:100}...\""
}

single_start() {
    podman volume rm -f "$state_volume" >/dev/null 2>&1
    pm run -d --name "$single" -p "127.0.0.1:$single_port:5080" -v "$state_volume:/var/lib/vae" \
        -e "Security__ApiKey=$key" -e Jobs__SeedDefaultJob=false "$image" >/dev/null || return 1
    wait_healthy "$single" 120 && clean_log "$single" || return 1
    local health
    health="$(http GET "$single_port" /health)"
    [ "$(status)" = 200 ] || { echo "/health: $(status) $health"; return 1; }
    [ "$(json 'j["store"] + " " + j["scheduler"]' <<<"$health")" = "ok running" ] || { echo "/health: $health"; return 1; }
    echo "healthy; /health: backend $(json 'j["backend"]' <<<"$health"), gemm $(json 'j.get("gemm")' <<<"$health"); volume owned by $(podman exec "$single" stat -c %U /var/lib/vae)"
}

# MNIST, the compact MLP VAE, on part of the training set: seconds per epoch on one core.
job_body() {  # NAME EPOCHS TRAIN_IMAGES
    printf '{"name":"%s","dataset":"mnist","model":{"family":"mlp"},"epochs":%d,"maxTrainImages":%d,"maxTestImages":1000,"evaluation":{"images":500,"importanceSamples":8}}' "$1" "$2" "$3"
}

model_id="" samples_sha="" images_per_second=""
single_train() {
    # Without the key, a write is refused.
    local refused
    refused="$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' -d '{}' "http://127.0.0.1:$single_port/api/jobs")"
    [ "$refused" = 401 ] || { echo "a job posted without the API key got $refused, not 401"; return 1; }
    local created id
    created="$(http POST "$single_port" /api/jobs "$(job_body small 2 4096)")"
    [ "$(status)" = 202 ] || { echo "POST /api/jobs: $(status) $created"; return 1; }
    id="$(json 'j["id"]' <<<"$created")"
    wait_job "$single_port" "$id" 300 succeeded || return 1
    model_id="$(json 'j["modelId"]' <"$work/job")"
    images_per_second="$(json 'round(4096 / max(e["seconds"] for e in j["epochs"]))' <"$work/job")"
    http GET "$single_port" "/api/models/$model_id/samples.png?n=16&seed=7" >"$work/samples-before.png"
    [ "$(status)" = 200 ] || { echo "samples of model $model_id: $(status)"; return 1; }
    samples_sha="$(sha256sum <"$work/samples-before.png" | cut -c1-16)"
    echo "job $id: epochs $(json '[e["epoch"] for e in j["epochs"]]' <"$work/job"), model $model_id, ~$images_per_second images/s"
}

single_restart() {
    [ -n "$model_id" ] || { echo "no model from the step before"; return 1; }
    pm restart "$single" >/dev/null || return 1
    wait_healthy "$single" 120 || return 1
    local model
    model="$(http GET "$single_port" "/api/models/$model_id")"
    [ "$(status)" = 200 ] || { echo "model $model_id after the restart: $(status) $model"; return 1; }
    http GET "$single_port" "/api/models/$model_id/samples.png?n=16&seed=7" >"$work/samples-after.png"
    [ "$(sha256sum <"$work/samples-after.png" | cut -c1-16)" = "$samples_sha" ] || { echo "the model's samples differ after the restart"; return 1; }
    echo "model $model_id still there, its samples the same bytes"
}

single_remove() {
    pm rm -f -v "$single" >/dev/null && podman volume rm "$state_volume" >/dev/null
}

# ---- 4: docker-compose.yml: PostgreSQL and two nodes ----------------------------------------------

port_of() { [ "$1" = vae-1 ] && echo "$VAE_PORT_1" || echo "$VAE_PORT_2"; }

compose_up() {
    remove_project
    compose up -d >"$work/compose-up.log" 2>&1 || { grep -v 'systemd connection' "$work/compose-up.log" | tail -15; return 1; }
    local node health
    for node in vae-1 vae-2; do
        wait_healthy "$(container_of "$node")" 180 && clean_log "$(container_of "$node")" || return 1
        health="$(http GET "$(port_of "$node")" /health)"
        [ "$(json 'j["node"] + " " + j["store"] + " " + j["scheduler"]' <<<"$health")" = "$node ok running" ] || { echo "$node /health: $health"; return 1; }
    done
    echo "postgres, vae-1 (127.0.0.1:$VAE_PORT_1), vae-2 (127.0.0.1:$VAE_PORT_2) healthy"
}

compose_hangfire() {
    # Hangfire's dashboard lists the servers registered in its PostgreSQL schema: one per node.
    local page node
    page="$(http GET "$VAE_PORT_1" /hangfire/servers)"
    [ "$(status)" = 200 ] || { echo "/hangfire/servers: $(status)"; return 1; }
    for node in vae-1 vae-2; do
        grep -qi "$node:" <<<"$page" || { echo "Hangfire lists no server of $node"; return 1; }
    done
    # The first start queued one default job (not one per node); it is cancelled to free its node.
    local jobs ids
    jobs="$(http GET "$VAE_PORT_2" /api/jobs)"
    ids="$(json '" ".join(x["id"] for x in j["jobs"] if x["name"] == "default MNIST VAE")' <<<"$jobs")"
    [ "$(wc -w <<<"$ids")" = 1 ] || { echo "expected one default job, found: ${ids:-none}"; return 1; }
    http DELETE "$VAE_PORT_2" "/api/jobs/$ids" >/dev/null
    wait_job "$VAE_PORT_1" "$ids" 120 cancelled succeeded || return 1
    echo "Hangfire servers of vae-1 and vae-2 on PostgreSQL; one default job queued, $(json 'j["status"]' <"$work/job") (cancelled through vae-2)"
}

compose_failover() {
    # An epoch of about 8 s at the speed measured on the single node, so the kill lands mid-training.
    local train=$(( ${images_per_second:-1500} * 8 ))
    [ $train -lt 4096 ] && train=4096
    [ $train -gt 60000 ] && train=60000
    local epochs=4 created id deadline node other job
    created="$(http POST "$VAE_PORT_1" /api/jobs "$(job_body failover $epochs $train)")"
    [ "$(status)" = 202 ] || { echo "POST /api/jobs: $(status) $created"; return 1; }
    id="$(json 'j["id"]' <<<"$created")"
    # Wait until the first epoch is done (and checkpointed), then kill the node training the job.
    deadline=$((SECONDS + 240))
    while :; do
        job="$(http GET "$VAE_PORT_1" "/api/jobs/$id")"
        [ "$(json 'j["status"] + " " + str(j["currentEpoch"] >= 1)' <<<"$job" 2>/dev/null)" = "running True" ] && break
        [ $SECONDS -lt $deadline ] || { echo "job $id did not finish an epoch in 240 s: $(json 'j["status"]' <<<"$job")"; return 1; }
        sleep 0.5
    done
    node="$(json 'j["node"]' <<<"$job")"
    [ "$node" = vae-1 ] && other=vae-2 || other=vae-1
    local done_epochs
    done_epochs="$(json 'j["currentEpoch"]' <<<"$job")"
    [ "$done_epochs" -lt $epochs ] || { echo "job $id finished its epochs before the kill"; return 1; }
    local killed_at=$SECONDS
    pm kill "$(container_of "$node")" >/dev/null || return 1
    wait_job "$(port_of "$other")" "$id" 300 succeeded || return 1
    local took=$((SECONDS - killed_at))
    local checks
    checks="$(json "'; '.join(p for p in [
        'epochs %s' % [e['epoch'] for e in j['epochs']] if [e['epoch'] for e in j['epochs']] != list(range(1, $epochs + 1)) else '',
        'finished on %s' % j['node'] if j['node'] != '$other' else '',
        'attempts %s' % [(a['node'], a['error']) for a in j['attempts']] if [a['node'] for a in j['attempts']][:1] != ['$node'] or j['attempts'][-1]['node'] != '$other' else '',
    ] if p)" <"$work/job")"
    [ -z "$checks" ] || { echo "job $id: $checks"; return 1; }
    model_id="$(json 'j["modelId"]' <"$work/job")"
    http GET "$(port_of "$other")" "/api/models/$model_id/samples.png?n=16&seed=7" >/dev/null
    [ "$(status)" = 200 ] || { echo "samples of model $model_id on $other: $(status)"; return 1; }
    killed_node="$node"
    echo "$train images/epoch; $node killed after epoch $done_epochs; $other finished the job $took s later; epochs $(json '[e["epoch"] for e in j["epochs"]]' <"$work/job") once each; attempts $(json '[a["node"] for a in j["attempts"]]' <"$work/job")"
}

killed_node=""
compose_rejoin() {
    [ -n "$killed_node" ] || { echo "no node was killed"; return 1; }
    pm start "$(container_of "$killed_node")" >/dev/null || return 1
    wait_healthy "$(container_of "$killed_node")" 180 && clean_log "$(container_of "$killed_node")" || return 1
    http GET "$(port_of "$killed_node")" "/api/models/$model_id" >/dev/null
    [ "$(status)" = 200 ] || { echo "$killed_node does not serve model $model_id: $(status)"; return 1; }
    echo "$killed_node started again, healthy, serves model $model_id"
}

compose_down() {
    remove_project
    local left
    left="$( { podman ps -aq --filter "label=io.podman.compose.project=$project"
               podman volume ls -q --filter "label=io.podman.compose.project=$project"
               podman network ls -q --filter "label=io.podman.compose.project=$project"; } | wc -l)"
    [ "$left" = 0 ] || { echo "$left containers, volumes or networks left"; return 1; }
    echo "containers with their volumes, the database volume and the network removed"
}

# ---- run ------------------------------------------------------------------------------------------

echo "container check: podman $(podman version --format '{{.Client.Version}}'), podman-compose $(podman-compose version 2>/dev/null | sed -n 's/^podman-composer* version *//p' | head -1), runtime $(podman info --format '{{.Host.OCIRuntime.Name}}'); stand-in base images, NOT the real ones"
step "stand-in base images" bases
step "the Dockerfile builds (podman build --pull=never)" build_image
image_failed="$skip_rest"
step "single node: an unwritable state folder is refused" single_unwritable
group
step "single node (SQLite): healthy with a volume" single_start
step "single node: trains a job through 127.0.0.1" single_train
step "single node: after a restart the model is still there" single_restart
step "single node: removed with its volume" single_remove
group
step "compose: PostgreSQL and two nodes healthy" compose_up
step "compose: two Hangfire servers on PostgreSQL, one default job" compose_hangfire
step "compose: the node training a job is killed, the other finishes it" compose_failover
step "compose: the killed node rejoins and serves the model" compose_rejoin
skip_rest=""
step "compose: taken down" compose_down
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
