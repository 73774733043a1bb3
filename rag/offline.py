"""Keep every library offline and quiet before any of them is imported.

No machine we run on may reach a model hub or an analytics endpoint, so these defaults are set
at import time of `rag` (which every entry point imports first). They are defaults: a user who
really has a hub can still override HF_HUB_OFFLINE in the environment.
"""

import os

_DEFAULTS = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    # unstructured pings an analytics endpoint on import unless told not to.
    "DO_NOT_TRACK": "true",
    "SCARF_NO_ANALYTICS": "true",
    "UNSTRUCTURED_DISABLE_NOTICE": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "ANONYMIZED_TELEMETRY": "false",
}


def apply() -> None:
    for key, value in _DEFAULTS.items():
        os.environ.setdefault(key, value)
