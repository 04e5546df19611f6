"""Shared fixtures for the local runner's tests."""

from pathlib import Path

import pytest

from localdev.template import Template

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_TEMPLATE = FIXTURES / "template.yaml"
REPO_TEMPLATE = Path(__file__).resolve().parents[3] / "template.yaml"


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Dummy credentials and a region; no external endpoint, so moto serves everything."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN", "WRITES_ENABLED", "SWITCH_VALUE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def small_template() -> Template:
    return Template.load(FIXTURE_TEMPLATE, region="us-east-1")


@pytest.fixture
def repo_template() -> Template:
    return Template.load(REPO_TEMPLATE, region="us-east-1")
