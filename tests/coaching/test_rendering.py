"""One rendering for free text and template variables: every placeholder filled or reported."""

from coaching.rendering import fill, placeholders, render, unmapped

CONTEXT = {"display_name": "Amina Njoroge", "team": "North", "region": None,
           "program_name": "Malaria refresher"}  # fmt: skip
MAPPING = {"1": "first_name", "2": "tip_3:B"}


def test_numbered_slots_fill_from_the_context_or_as_literal_text() -> None:
    rendered = render("Hi {{1}}, today's tip: {{2}}", MAPPING, CONTEXT)
    assert rendered.text == "Hi Amina, today's tip: tip_3:B" and rendered.complete
    assert fill(MAPPING, CONTEXT).values == {"1": "Amina", "2": "tip_3:B"}


def test_field_names_fill_without_a_mapping_and_spaces_are_allowed() -> None:
    rendered = render("{{ team }} team, welcome to {{program_name}}", {}, CONTEXT)
    assert rendered.text == "North team, welcome to Malaria refresher"


def test_what_cannot_be_filled_is_reported_and_left_in_place() -> None:
    rendered = render("Hi {{1}} from {{region}} ({{3}})", MAPPING, CONTEXT)
    assert rendered.missing == ["3", "region"] and not rendered.complete
    assert "{{3}}" in rendered.text
    assert fill({"1": "region"}, CONTEXT).missing == ["1 (region)"]


def test_publishing_names_placeholders_with_no_mapping() -> None:
    assert placeholders("{{1}} {{2}} {{1}} {{team}}") == ["1", "2", "team"]
    assert unmapped("Hi {{1}}, {{2}} from {{team}} and {{shoe_size}}", {"1": "first_name"}) == [
        "2",
        "shoe_size",
    ]
    assert unmapped(None, None) == []
