#!/usr/bin/env bash
# Run on the GPU machine from the repo root, carrying ".gpu_carry/partN": bash benchmarks/gpu/run_part.sh N
# Moves the part to $STAGE (kept while the machine stays warm), installs its wheels, and runs what that part
# completes: 1 the CTranslate2 CUDA probe, 2 the diarization measurement, 3 and 4 only stage model pieces,
# 5 joins the Whisper model and runs the speech-recognition measurement (needs parts 1 to 4 staged before it).
set -uo pipefail
N=${1:?usage: run_part.sh PART_NUMBER}
STAGE=${STAGE:-/root/stage}
PY=${PY:-python3}
DEVICE=${DEVICE:-cuda}
REPORTS=${OUT:-$STAGE/out}
export PYTHONUNBUFFERED=1 PYANNOTE_METRICS_ENABLED=false HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false
mkdir -p "$STAGE" "$REPORTS"
PART=$STAGE/part$N

if [ -d ".gpu_carry/part$N" ]; then
    rm -rf "$PART" && mv ".gpu_carry/part$N" "$PART"
elif [ ! -d "$PART" ]; then
    echo "part $N is neither carried (.gpu_carry/part$N) nor staged ($PART)"; exit 2
fi
echo "staged part $N: $(du -sh "$PART" | cut -f1); in $STAGE: $(ls "$STAGE" | tr '\n' ' ')"

install() {  # the part's wheels into its own folder, put first on the import path
    local site=$STAGE/site$1
    if [ ! -d "$site" ]; then
        $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target "$site" \
            ${PIP_TARGET_FLAGS:-} "$STAGE/part$1"/wheels/*.whl || { rm -rf "$site"; exit 3; }
    fi
    [ -n "${SKIP_SITE:-}" ] || export PYTHONPATH="$site${PYTHONPATH:+:$PYTHONPATH}"
}

case $N in
1)
    install 1
    $PY benchmarks/gpu/probe.py --model "$PART/tiny_whisper" --device "$DEVICE" --shim "$STAGE/cublas12_shim" \
        --env-file "$STAGE/ct2_env.sh" 2>&1 | tee "$REPORTS/probe.txt"
    ;;
2)
    install 2
    threads=$([ "$DEVICE" = cuda ] && echo "${CPU_THREADS:-16}" || echo 0)
    $PY -m benchmarks.gpu.diarize_bench --stage "$PART" --device "$DEVICE" --cpu-threads "$threads" \
        --out "$REPORTS" ${DIARIZE_ARGS:-} 2>&1 | tee "$REPORTS/diarize.log"
    ;;
3 | 4)
    ls -la "$PART/whisper"
    ;;
5)
    for needed in part1 part2 part3 part4; do
        [ -d "$STAGE/$needed" ] || { echo "$needed is not staged: run parts 1 to 4 first, on this warm machine"; exit 2; }
    done
    if [ "$DEVICE" = cuda ] && [ ! -f "$STAGE/ct2_env.sh" ]; then
        echo "the probe (part 1) found no way to run CTranslate2 on CUDA here: see its CT2_CUDA line"; exit 4
    fi
    [ -f "$STAGE/ct2_env.sh" ] && source "$STAGE/ct2_env.sh"
    install 1
    MODEL=$STAGE/whisper
    if [ ! -f "$MODEL/model.bin" ]; then
        mkdir -p "$MODEL" && cp "$STAGE/part3/whisper/"{config.json,tokenizer.json,vocabulary.txt} "$MODEL/"
        cat "$STAGE"/part{3,4,5}/whisper/model.bin.0* > "$MODEL/model.bin.partial"
        mv "$MODEL/model.bin.partial" "$MODEL/model.bin"
    fi
    (cd "$MODEL" && sha256sum -c "$STAGE/part5/whisper/model.bin.sha256") || exit 5
    $PY -m benchmarks.gpu.asr_bench --whisper "$MODEL" --device "$DEVICE" --call "$STAGE/part2/audio/aws_call.npz" \
        --stereo "$PART/audio/sng0072_stereo.npz" --reference "$PART/audio/sng0072_reference.json" \
        --out "$REPORTS" ${ASR_ARGS:-} 2>&1 | tee "$REPORTS/asr.log"
    ;;
*)
    echo "no part $N"; exit 2
    ;;
esac
