"""The circles' web fixtures (tests/web/circles/world.py): a world of circles copied for each test."""

from tests.web.circles.world import (  # noqa: F401 - fixtures
    circles_app,
    circles_browser_for,
    circles_runtime,
    circles_shared_app,
    circles_world,
    circles_world_template,
)
