"""Synthetic demo returns: one plausible, clearly fake return per member state and year.

`python -m pipelines.synthetic --out DIR --years 2019-2023 --seed 20261128` writes them with a
`.manifest.json` that lists every file and what was planted in it (drift, row errors, non-returns).
"""

from pipelines.synthetic.generator import (
    LANGUAGE_BY_STATE,
    Manifest,
    ManifestEntry,
    generate,
    return_content,
    state_language,
)

__all__ = ["LANGUAGE_BY_STATE", "Manifest", "ManifestEntry", "generate", "return_content", "state_language"]
