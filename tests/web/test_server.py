"""``mediation-web`` on a machine where nothing was set up yet says what to do, instead of a traceback."""

from __future__ import annotations

import pytest

from web import server


def test_serving_before_init_says_to_run_init(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("MEDIATION_DATABASE_URL", "MEDIATION_INSTANCE_DIR"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(SystemExit) as stopped:
        server.main()
    assert "run 'mediation init'" in str(stopped.value.code)
    assert not (tmp_path / "instance" / "mediation.db").exists()  # and nothing was created, world-readable or not
