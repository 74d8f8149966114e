"""The fast reading of ``#:`` field comments finds what Tortoise's own reading finds, for every model."""

from __future__ import annotations

from tortoise import Tortoise

from core import model_comments
from core.testing import Harness


async def test_every_model_has_the_comments_tortoise_itself_would_read(harness: Harness) -> None:
    classes = [model for app in Tortoise.apps.values() for model in app.values()]
    assert len(classes) > 30
    described = 0
    for model in classes:
        ours = model_comments.field_comments(model)
        assert ours == model_comments._tortoise_own(model), model
        described += bool(ours)
    assert described >= 10  # the comparison is not only of empty dictionaries
    made = type("Made", (), {"name": ""})  # no source to read: left to Tortoise, which finds nothing
    assert model_comments._class_source(made) is None and model_comments.field_comments(made) == {}


def test_a_class_defined_in_a_function_is_found_too() -> None:
    class Local:
        #: the description
        name: str = ""

    assert model_comments.field_comments(Local) == {"name": "the description"}
    assert model_comments.field_comments(Local) == model_comments._tortoise_own(Local)
