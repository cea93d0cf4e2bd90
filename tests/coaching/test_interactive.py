"""What WhatsApp takes of interactive content, as pure rules: option limits by layout, what a quiz
and a check-in need, labels per language, media types and sizes, the SMS form, and the Content API
templates a variant needs."""

from __future__ import annotations

from coaching import interactive
from coaching.interactive import Layout, Option


def _options(count: int, text: str = "Yes") -> list[Option]:
    return [Option(payload=f"P{i}", text=f"{text} {i}") for i in range(count)]


def test_button_labels_are_shorter_than_list_items() -> None:
    long = "x" * 22
    three = [Option("A", long), Option("B", "b"), Option("C", "c")]
    assert [p.path for p in interactive.option_problems(three)] == ["options[0].text"]
    four = [*three, Option("D", "d")]
    assert interactive.option_problems(four) == []  # a list picker: 24 characters fit
    assert interactive.session_layout(3) is Layout.QUICK_REPLY
    assert interactive.session_layout(4) is Layout.LIST_PICKER


def test_every_problem_has_its_path() -> None:
    options = [
        Option("A", "Same", correct=True),
        Option("a", "same", correct=True),
        Option("bad payload", "   "),
        Option("D", "d", description="y" * 73),
    ]
    found = [(p.path, p.reason) for p in interactive.option_problems(options, "body.options")]
    assert [path for path, _ in found] == [
        "body.options[1].payload",
        "body.options[1].text",
        "body.options[2].payload",
        "body.options[2].text",
        "body.options[3].description",
        "body.options",
    ]
    assert "one option is correct" in found[-1][1]
    assert interactive.option_problems(_options(11))[0].path == "options"


def test_a_quiz_needs_one_correct_option_and_a_check_in_a_score_on_each() -> None:
    assert interactive.kind_problems("quiz", _options(2))[0].reason.startswith("a quiz")
    assert interactive.kind_problems("quiz", [Option("A", "a", correct=True)]) == []
    check_in = [Option("1", "low", score=1), Option("2", "high")]
    assert [p.path for p in interactive.kind_problems("check_in", check_in)] == ["options[1].score"]
    assert interactive.kind_problems("quiz", []) == []  # answered by typing


def test_labels_in_another_language_name_an_option_and_fit() -> None:
    options = _options(2)
    found = interactive.translation_problems(options, {"P0": "Ndiyo kabisa kila siku", "Z": "x"})
    assert [p.path for p in found] == ["option_texts.P0", "option_texts.Z"]
    assert interactive.labels(options, {"P1": "Hapana"}) == ["Yes 0", "Hapana"]


def test_media_must_be_a_type_and_size_whatsapp_takes() -> None:
    ok = interactive.media_problems("https://x.org/a.jpg", "image/jpeg", 1000)
    assert ok == []
    assert [p.path for p in interactive.media_problems("ftp://x", "image/gif", None)] == [
        "media_url",
        "media_type",
    ]
    big = interactive.media_problems("https://x.org/a.png", "image/png", 6 * interactive.MB)
    assert big[0].path == "media_bytes" and "5 MB" in big[0].reason
    assert (
        interactive.media_problems("https://x.org/a.pdf", "application/pdf", 50 * interactive.MB)
        == []
    )
    assert interactive.media_problems(None, "image/png", None)[0].path == "media_url"
    assert interactive.media_type_of("https://x.org/voice.ogg?sig=1") == "audio/ogg"
    assert interactive.media_type_of("https://x.org/no-extension") is None


def test_sms_lists_the_options_to_type_and_links_the_media() -> None:
    text = interactive.sms_text("Pick one", _options(2), {"P1": "No"}, "https://x.org/a.jpg")
    assert text.splitlines() == [
        "Pick one",
        "Reply with 1 for Yes 0, 2 for No",
        "https://x.org/a.jpg",
    ]
    assert interactive.sms_text("Plain", [], None, None) == "Plain"


def test_templates_by_layout_and_a_changed_variant_gets_a_new_name() -> None:
    common = {"name": "quiz", "language": "en", "body": "Q {{1}}", "variables": {"1": "x"}}
    three = interactive.template_requests(**common, options=_options(3), texts=None, media_url=None)
    assert set(three) == {Layout.QUICK_REPLY}
    five = interactive.template_requests(**common, options=_options(5), texts=None, media_url=None)
    assert set(five) == {Layout.QUICK_REPLY, Layout.LIST_PICKER}
    items = five[Layout.LIST_PICKER]["types"]["twilio/list-picker"]["items"]
    assert [i["id"] for i in items] == [f"P{i}" for i in range(5)]
    media = interactive.template_requests(
        **common, options=[], texts=None, media_url="https://x/a.jpg"
    )
    assert media[Layout.MEDIA]["types"]["twilio/media"]["media"] == ["https://x/a.jpg"]
    assert interactive.template_requests(**common, options=[], texts=None, media_url=None) == {}
    relabelled = interactive.template_requests(
        **common, options=_options(3), texts={"P0": "Ndiyo"}, media_url=None
    )
    assert (
        relabelled[Layout.QUICK_REPLY]["friendly_name"]
        != three[Layout.QUICK_REPLY]["friendly_name"]
    )


def test_stored_options_read_back_and_a_changed_answer_key_changes_the_digest() -> None:
    raw = [{"payload": "A", "text": "a", "correct": True}, {"payload": "B", "text": "b"}]
    options = interactive.parse_options(raw)
    assert options[0].correct and not options[1].correct
    assert interactive.parse_options("not json") == [] and interactive.parse_options(None) == []
    moved = interactive.parse_options([{**raw[0], "correct": False}, {**raw[1], "correct": True}])
    assert interactive.options_digest(options) != interactive.options_digest(moved)
