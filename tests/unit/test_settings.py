"""Settings: defaults, TOML file, environment, overrides, validation, documentation."""

from __future__ import annotations

from pathlib import Path

import pytest

from smartregion.settings import PROJECT_DIR, Settings, load_settings, setting_docs


def test_defaults() -> None:
    settings = load_settings(environ={})
    assert settings.base_uri == "https://data.smarte-region-hessen.de/"
    assert settings.data_dir == PROJECT_DIR / "var" / "store"
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)


def test_environment_then_overrides(tmp_path: Path) -> None:
    toml = tmp_path / "s.toml"
    toml.write_text('base_uri = "http://toml/"\nport = 7000\nservice_allowlist = ["http://a/"]\n')
    env = {"SMARTREGION_CONFIG": str(toml), "SMARTREGION_PORT": "9000",
           "SMARTREGION_DATA_DIR": str(tmp_path / "d")}
    settings = load_settings(environ=env, host="0.0.0.0")
    assert settings.base_uri == "http://toml/"
    assert settings.port == 9000  # environment beats the file
    assert settings.host == "0.0.0.0"  # explicit override beats both
    assert settings.data_dir == tmp_path / "d"
    assert settings.service_allowlist == ("http://a/",)


def test_comma_separated_lists_from_environment() -> None:
    env = {"SMARTREGION_SERVICE_ALLOWLIST": "http://a/sparql, http://b/sparql"}
    assert load_settings(environ=env).service_allowlist == ("http://a/sparql", "http://b/sparql")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SMARTREGION_BASE_URI": "http://no-slash"}, "must end with '/'"),
        ({"SMARTREGION_PORT": "eighty"}, "not a valid int"),
        ({"SMARTREGION_NOPE": "1"}, "unknown setting in environment: SMARTREGION_NOPE"),
        ({"SMARTREGION_STORE": "cloud"}, "'embedded' or 'remote'"),
        ({"SMARTREGION_STORE": "remote"}, "needs SMARTREGION_QUERY_URL"),
        ({"SMARTREGION_KEEP_VERSIONS": "0"}, "at least 1"),
    ],
)
def test_invalid_settings_are_named(env: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        load_settings(environ=env)


def test_secrets_are_not_in_repr() -> None:
    settings = load_settings(environ={"SMARTREGION_STORE_TOKEN": "s3cret"})
    assert "s3cret" not in repr(settings)


def test_every_setting_is_documented_in_readme() -> None:
    readme = (PROJECT_DIR / "README.md").read_text(encoding="utf-8")
    for env, default, help_text in setting_docs():
        assert f"| `{env}` | `{default}` | {help_text} |" in readme, env


def test_settings_is_frozen() -> None:
    settings = Settings()
    with pytest.raises(AttributeError):
        settings.port = 1  # type: ignore[misc]
