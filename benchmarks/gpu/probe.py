"""Does CTranslate2 (hence faster-whisper) run on this machine's GPU?

The PyPI CTranslate2 4.8.5 wheel loads CUDA 12's cuBLAS (libcublas.so.12) at run time; a CUDA 13 image may hold only
libcublas.so.13. Each attempt runs in a child process, since the library path is read when a process starts:
first as the machine is, then with every libcublas.so.12 found, then with a shim folder whose libcublas.so.12 and
libcublasLt.so.12 point at CUDA 13's libraries. The last line is the verdict: `CT2_CUDA=ok <how>` or
`CT2_CUDA=fail <reason>`; `--env-file` then holds the `export LD_LIBRARY_PATH=...` that worked.
"""

import argparse
import importlib.util
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

PROMPT = ["<|startoftranscript|>", "<|en|>", "<|transcribe|>", "<|notimestamps|>"]
CHECK_OK = "CHECK_OK"


def run_text(command: list[str], timeout: float = 60) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        return (done.stdout + done.stderr).strip()
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"{command[0]}: {error}"


def report_environment() -> None:
    print("## machine")
    print(run_text(["nvidia-smi"]))
    print(f"python {platform.python_version()} at {sys.executable}")
    try:
        import torch

        cuda = torch.cuda.is_available()
        print(f"torch {torch.__version__}, CUDA {torch.version.cuda}, available {cuda}")
        if cuda:
            print(f"device {torch.cuda.get_device_name(0)}, cuDNN {torch.backends.cudnn.version()}")
    except ImportError as error:
        print(f"torch: {error}")


def nvidia_library_dirs() -> list[Path]:
    """The lib folders of the nvidia-* CUDA wheels (cuBLAS, cuDNN, runtime) in this Python."""
    dirs = []
    for module in ("nvidia.cublas", "nvidia.cudnn", "nvidia.cuda_runtime", "nvidia.cu13"):
        try:
            spec = importlib.util.find_spec(module)
        except ModuleNotFoundError:
            continue
        if spec is None or spec.submodule_search_locations is None:
            continue
        for location in spec.submodule_search_locations:
            lib = Path(location) / "lib"
            if lib.is_dir():
                dirs.append(lib)
    return dirs


def find_cublas() -> list[Path]:
    roots = [root for root in ("/usr", "/opt", "/lib", "/lib64", "/root", "/home") if Path(root).is_dir()]
    names = ["(", "-name", "libcublas*.so*", "-o", "-name", "libcudnn.so*", ")", "-not", "-type", "d"]
    found = run_text(["find", *roots, *names], timeout=90)
    paths = {Path(line) for line in found.splitlines() if line.startswith("/")}
    for lib in nvidia_library_dirs():
        paths |= set(lib.glob("libcublas*.so*")) | set(lib.glob("libcudnn.so*"))
    return sorted(paths)


def make_shim(libraries: list[Path], shim: Path) -> Path | None:
    """libcublas(.Lt).so.12 → the CUDA 13 library of the same name, in a folder to put first on the library path."""
    by_name = {path.name: path for path in libraries}
    pairs = {"libcublas.so.12": "libcublas.so.13", "libcublasLt.so.12": "libcublasLt.so.13"}
    if not all(target in by_name for target in pairs.values()):
        return None
    shim.mkdir(parents=True, exist_ok=True)
    for link, target in pairs.items():
        (shim / link).unlink(missing_ok=True)
        (shim / link).symlink_to(by_name[target].resolve())
    return shim


def check(model_dir: Path, device: str) -> None:
    """Child process: load the tiny Whisper and run encode, language detection and generation per compute type."""
    import ctranslate2
    import numpy as np

    print(f"ctranslate2 {ctranslate2.__version__}, CUDA devices: {ctranslate2.get_cuda_device_count()}")
    print(f"supported compute types on {device}: {sorted(ctranslate2.get_supported_compute_types(device))}")
    compute_types = ["float16", "int8_float16"] if device == "cuda" else ["int8", "float32"]
    features = np.random.default_rng(0).standard_normal((2, 80, 3000)).astype(np.float32)
    for compute_type in compute_types:
        start = time.perf_counter()
        model = ctranslate2.models.Whisper(str(model_dir), device=device, compute_type=compute_type)
        storage = ctranslate2.StorageView.from_array(features)
        encoded = model.encode(storage)
        languages = model.detect_language(storage)
        results = model.generate(storage, [PROMPT, PROMPT], beam_size=5, max_length=32)
        took = time.perf_counter() - start
        print(
            f"{CHECK_OK} {compute_type}: encoder output {tuple(encoded.shape)}, "
            f"{len(languages[0])} language scores, {len(results[0].sequences_ids[0])} tokens generated, {took:.2f} s"
        )


def attempt(label: str, model_dir: Path, device: str, library_path: list[Path]) -> tuple[bool, str]:
    env = dict(os.environ)
    if library_path:
        env["LD_LIBRARY_PATH"] = ":".join([*map(str, library_path), env.get("LD_LIBRARY_PATH", "")]).rstrip(":")
    command = [sys.executable, __file__, "--check", str(model_dir), "--device", device]
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
        output, code = (done.stdout + done.stderr).strip(), done.returncode
    except subprocess.TimeoutExpired:
        output, code = "timed out after 300 s", -1
    ok = code == 0 and output.count(CHECK_OK) >= 2
    print(f"## attempt: {label} (exit {code})")
    if library_path:
        print(f"LD_LIBRARY_PATH prefix: {':'.join(map(str, library_path))}")
    print(output[-3000:])
    return ok, output


def last_error(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    return lines[-1][:300] if lines else "no output"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, help="the tiny CTranslate2 Whisper folder")
    parser.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    parser.add_argument("--shim", type=Path, default=Path("/root/stage/cublas12_shim"))
    parser.add_argument("--env-file", type=Path, help="where to write the LD_LIBRARY_PATH export that worked")
    parser.add_argument("--check", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.check:
        check(args.check, args.device)
        return
    if args.model is None:
        parser.error("--model is required")
    report_environment()
    libraries = find_cublas()
    print("## cuBLAS / cuDNN libraries found")
    print("\n".join(map(str, libraries)) or "none")
    attempts: list[tuple[str, list[Path]]] = [("as the machine is", [])]
    cuda12 = sorted({path.parent for path in libraries if path.name.startswith("libcublas.so.12")})
    if cuda12:
        attempts.append(("with the CUDA 12 cuBLAS found", cuda12))
    if args.device == "cuda":
        shim = make_shim(libraries, args.shim)
        if shim is not None:
            attempts.append(("with the cuBLAS 12 → 13 shim", [shim, *nvidia_library_dirs()]))
    errors = []
    for label, library_path in attempts:
        ok, output = attempt(label, args.model, args.device, library_path)
        if ok:
            if args.env_file:
                export = ":".join(map(str, library_path))
                line = f'export LD_LIBRARY_PATH="{export}:${{LD_LIBRARY_PATH:-}}"\n' if export else "\n"
                args.env_file.write_text(line)
            print(f"CT2_CUDA=ok {label}" if args.device == "cuda" else f"CT2_CPU=ok {label}")
            return
        errors.append(f"{label}: {last_error(output)}")
    if args.env_file:
        args.env_file.unlink(missing_ok=True)
    if args.device == "cuda" and shutil.which("nvidia-smi") is None:
        errors.append("no nvidia-smi on this machine")
    verdict = "CT2_CUDA" if args.device == "cuda" else "CT2_CPU"
    print(f"{verdict}=fail {' | '.join(errors)}")


if __name__ == "__main__":
    main()
