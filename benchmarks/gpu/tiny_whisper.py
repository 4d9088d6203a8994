"""Builds a tiny random-weight Whisper in CTranslate2 format: a few MB that tell whether CTranslate2 runs on a GPU."""

import argparse
import json
import shutil
import tempfile
from pathlib import Path

import ctranslate2
from transformers import WhisperConfig, WhisperForConditionalGeneration, WhisperTokenizerFast


def build(whisper_dir: Path, out: Path) -> Path:
    """A 2-layer, 64-wide Whisper with the vocabulary and language tokens of the CTranslate2 Whisper in `whisper_dir`,
    int8 weights with float16 scales, written to `out`."""
    tokenizer = WhisperTokenizerFast(tokenizer_file=str(whisper_dir / "tokenizer.json"))
    config = WhisperConfig(
        vocab_size=len(tokenizer),
        d_model=64,
        encoder_layers=2,
        decoder_layers=2,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=128,
        decoder_ffn_dim=128,
        num_mel_bins=80,
        max_source_positions=1500,
        max_target_positions=448,
    )
    model = WhisperForConditionalGeneration(config).eval()
    with tempfile.TemporaryDirectory() as work:
        model.save_pretrained(work)
        tokenizer.save_pretrained(work)
        if out.exists():
            shutil.rmtree(out)
        converter = ctranslate2.converters.TransformersConverter(work)
        converter.convert(str(out), quantization="int8_float16")
    # A random model has no generation config to take the language tokens from; language detection needs them.
    config = json.loads((out / "config.json").read_text())
    config["lang_ids"] = json.loads((whisper_dir / "config.json").read_text())["lang_ids"]
    (out / "config.json").write_text(json.dumps(config))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("whisper_dir", type=Path, help="a CTranslate2 Whisper folder (tokenizer.json, config.json)")
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    print(build(args.whisper_dir, args.out))


if __name__ == "__main__":
    main()
