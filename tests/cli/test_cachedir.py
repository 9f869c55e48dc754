"""The user cache folder: private, never a link, never someone else's."""

import os

from linter import cachedir


def test_created_private(tmp_path, monkeypatch):
    monkeypatch.setenv("FWLINT_CACHE_DIR", str(tmp_path / "c"))
    monkeypatch.delenv("FWLINT_NO_CACHE", raising=False)
    d = cachedir.cache_dir("parsers")
    assert d == tmp_path / "c" / "parsers"
    assert os.stat(d).st_mode & 0o777 == 0o700
    assert os.stat(tmp_path / "c").st_mode & 0o777 == 0o700


def test_off_by_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("FWLINT_CACHE_DIR", str(tmp_path / "c"))
    monkeypatch.setenv("FWLINT_NO_CACHE", "1")
    assert cachedir.cache_dir() is None
    assert not (tmp_path / "c").exists()


def test_world_writable_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("FWLINT_NO_CACHE", raising=False)
    d = tmp_path / "c"
    d.mkdir()
    d.chmod(0o777)
    monkeypatch.setenv("FWLINT_CACHE_DIR", str(d))
    assert cachedir.cache_dir() is None


def test_link_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("FWLINT_NO_CACHE", raising=False)
    real = tmp_path / "real"
    real.mkdir(mode=0o700)
    (tmp_path / "link").symlink_to(real)
    monkeypatch.setenv("FWLINT_CACHE_DIR", str(tmp_path / "link"))
    assert cachedir.cache_dir() is None


def test_xdg(tmp_path, monkeypatch):
    monkeypatch.delenv("FWLINT_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cachedir.location() == tmp_path / "fwlint"


def test_no_cache_where_owners_cannot_be_checked(tmp_path, monkeypatch):
    """Without os.getuid (Windows) no cache folder is used at all, for parsers or results."""
    monkeypatch.setenv("FWLINT_CACHE_DIR", str(tmp_path / "c"))
    monkeypatch.delenv("FWLINT_NO_CACHE", raising=False)
    monkeypatch.delattr(os, "getuid")
    assert cachedir.cache_dir("results") is None
    assert not (tmp_path / "c").exists()
