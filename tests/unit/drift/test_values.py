"""Values and terraform's masks: sensitive parts are found and hidden wherever they sit."""

from __future__ import annotations

from infrarep.drift import Marker
from infrarep.drift.values import mask_at, mask_node, redact


def test_redact_hides_sensitive_parts_inside_a_shown_value():
    mask = {"variables": {"TOKEN": True}}
    value = {"variables": {"TOKEN": "hunter2", "MODE": "strict"}}

    assert redact(value, mask) == {"variables": {"TOKEN": Marker.SENSITIVE, "MODE": "strict"}}
    assert redact(["a", "b"], [False, True]) == ["a", Marker.SENSITIVE]
    assert mask_node({"environment": [mask]}, ("environment", 0)) == mask
    assert mask_node({"environment": True}, ("environment", 0, "variables")) is True


def test_a_mask_marks_a_path_when_it_or_a_step_above_it_is_true():
    unknown = {"environment": [{"variables": True}], "tags": {"Owner": False}}

    assert mask_at(unknown, ("environment", 0, "variables", "TOKEN"))
    assert mask_at(unknown, ("environment", 0, "variables"))
    assert not mask_at(unknown, ("environment", 0))  # only a part below it is unknown
    assert not mask_at(unknown, ("environment", 1, "variables"))  # no such element
    assert not mask_at(unknown, ("tags", "Owner"))
    assert not mask_at(None, ("tags",))
