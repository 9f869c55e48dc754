"""Settings every test shares."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True, scope="session")
def _session_cache_folder(tmp_path_factory):
    """fwlint's cache folder (built parsers) in a folder of this test session, for the tests
    and the fwlint processes they start: a test run never reads nor writes the user's own
    cache (~/.cache/fwlint). Tests about the cache point FWLINT_CACHE_DIR elsewhere."""
    old = os.environ.get("FWLINT_CACHE_DIR")
    os.environ["FWLINT_CACHE_DIR"] = str(tmp_path_factory.mktemp("fwlint-cache"))
    yield
    if old is None:
        os.environ.pop("FWLINT_CACHE_DIR", None)
    else:
        os.environ["FWLINT_CACHE_DIR"] = old


@pytest.fixture(scope="session")
def kept_report(tmp_path_factory):
    """The Exchange pack's report on a platform's unchanged ("kept") configuration under a
    profile, linted once per session: each case of tests/policy/test_exchange_pack*.py compares its
    broken configuration with it (linting it again in every case took half of the suite's
    time). `run(tmp_path, profile)` is the test file's own runner; reports are only read."""
    reports = {}

    def report(run, profile: dict):
        key = (run.__module__, run.__qualname__, tuple(sorted(profile.items())))
        if key not in reports:
            reports[key] = run(tmp_path_factory.mktemp("exchange-kept"), profile)
        return reports[key]

    return report
