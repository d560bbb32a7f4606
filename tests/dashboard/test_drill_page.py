"""The drill-control page under AppTest: a tabletop journey (open with the key, start the
clock, advance, release injects, record decisions, score) and the participant's view without
the key."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import APP_PATH
from drills import Drill, seal_drill

pytestmark = pytest.mark.slow   # seals and scores a drill (a few seconds)


@pytest.fixture
def sealed(tmp_path):
    key, folder = seal_drill("tiny-drill", tmp_path / "drill", entropy=20261123)
    return key, folder


def _page(folder, key: str = "") -> AppTest:
    at = AppTest.from_file(str(APP_PATH), default_timeout=180)
    at.run()
    at.switch_page("views/drill.py")
    at.run()
    at.text_input(key="drill_dir").set_value(str(folder))
    at.text_input(key="drill_key").set_value(key)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _choose_role(at: AppTest, role: str) -> None:
    at.selectbox(key="drill_role").set_value(role)   # by id (the page shows its name)
    at.run()


def test_tabletop_journey_records_decisions_and_scores(sealed):
    key, folder = sealed
    at = _page(folder, key)
    assert at.button(key="drill_start")
    at.number_input(key="drill_speed_value").set_value(600.0)
    at.button(key="drill_start").click()
    at.run()
    drill = Drill.open(folder, key)
    first = min(i.minute for i in drill.injects())
    while drill.clock().minute < first:
        at.button(key="drill_advance").click()   # 30 simulated minutes a press
        at.run()
    released = [i for i in drill.injects() if i.id in drill.released()]
    assert released, "injects that are due are released when the page refreshes"

    # Two decisions of the city EOC through the form, on zones of the sealed scenario: they
    # land in decisions.jsonl with the role, the action and the minute.
    sealed_zones = [z["id"] for z in drill.packet.scenario.content["zones"]]
    for action, zones in (("warn", sealed_zones[:1]), ("evacuate", sealed_zones[:2])):
        _choose_role(at, "city-eoc")
        at.selectbox(key="drill_action").set_value(action)
        at.run()
        at.multiselect(key="drill_targets").set_value(zones)
        next(b for b in at.button if b.label == "Record").click()
        at.run()
        assert at.success, [e.value for e in at.error]
    decisions = Drill.open(folder).decisions()
    assert [(d.role, d.action) for d in decisions] == [("city-eoc", "warn"),
                                                       ("city-eoc", "evacuate")]

    # Scoring waits for the end of the drill (nobody sees the evaluation while playing).
    assert at.button(key="drill_score_go").disabled
    at.button(key="drill_end").click()
    at.run()
    assert Drill.open(folder, key).clock().ended
    at.button(key="drill_score_go").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    rating = next(m for m in at.metric if m.label == "Overall rating")
    assert rating.value in {"excellent", "good", "fair", "poor"}
    assert (folder / "score" / "report.html").exists()


def test_participant_view_without_the_key_shows_only_the_inbox(sealed):
    key, folder = sealed
    controller = Drill.open(folder, key)
    controller.start(speed=60)
    controller.advance(600)
    controller.release_due()
    role = next(r["id"] for r in controller.roles if controller.inbox(r["id"]))
    at = _page(folder)
    _choose_role(at, role)
    assert not [b for b in at.button if b.key in ("drill_start", "drill_score_go")]
    shown = " ".join(str(e.value) for kind in ("markdown", "caption", "metric", "dataframe")
                     for e in getattr(at, kind))
    packet = controller.packet
    for secret in (packet.scenario.name, str(packet.seed),
                   packet.scenario.content.get("title", "")):
        if secret:
            assert secret not in shown
    assert "MSEL" not in shown and "Master scenario" not in shown
    assert any("·" in m.value for m in at.markdown), "released messages are shown"


def test_a_bad_folder_or_key_is_one_readable_error(sealed, tmp_path):
    key, folder = sealed
    at = _page(tmp_path / "nowhere")
    assert at.error and "\n" not in at.error[0].value
    at = _page(folder, "not-the-key")
    assert at.error and "key" in at.error[0].value.lower()
