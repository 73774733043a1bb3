"""Bad settings and model paths fail in one line that names what to fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag import wiring
from rag.errors import ConfigError, ModelNotFound
from rag.settings import Settings


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("SABIO_RETRIEVAL__MODE", "nonsense", "'hybrid', 'dense', 'bm25' or 'lexical'"),
        ("SABIO_ANSWER__MIN_RELEVANCE", "abc", "valid number"),
        ("SABIO_CHUNKING__MAX_TOKENS", "0", "greater than or equal to 32"),
    ],
)
def test_a_bad_environment_value_is_a_config_error_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, said: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        Settings()
    message = str(caught.value)
    assert f"{name}={value!r}" in message and said in message


def test_a_generator_that_is_not_gguf_is_refused_before_serving(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "model.gguf"
    fake.write_text("not a model")
    monkeypatch.setenv("SABIO_GENERATOR__MODEL", str(fake))
    with pytest.raises(ModelNotFound, match="is not a GGUF file"):
        wiring.check_models(Settings())
    monkeypatch.setenv("SABIO_GENERATOR__MODEL", str(tmp_path / "missing.gguf"))
    with pytest.raises(ModelNotFound, match="not a packaged model name"):
        wiring.check_models(Settings())
