# Sourced by bench/conv-vae and bench/resnet-vae: builds bench/ModelTraining in Release
# quietly and runs it with the model family and the caller's arguments.
#   model_training FAMILY ARGS...
model_training() {
    local family="$1"; shift
    local here name log
    here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
    name="$(basename "$0")"
    log="$(mktemp "${TMPDIR:-/tmp}/model-training-build.XXXXXX")"
    # Node reuse would leave MSBuild workers behind, competing for memory with the timed run.
    if ! MSBUILDDISABLENODEREUSE=1 dotnet build "$here/ModelTraining/ModelTraining.csproj" -c Release -v q -nologo >"$log" 2>&1; then
        cat "$log" >&2
        rm -f "$log"
        echo "$name: build of bench/ModelTraining failed" >&2
        return 1
    fi
    rm -f "$log"
    dotnet "$here/ModelTraining/bin/Release/net10.0/ModelTraining.dll" "$family" "$@"
}

# is_count VALUE: a positive integer
is_count() { [[ "$1" =~ ^[1-9][0-9]*$ ]]; }
