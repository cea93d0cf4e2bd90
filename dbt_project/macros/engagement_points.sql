{#- Points a message earns its worker: 10 for a reply within 24 hours, 5 more for a correct quiz
    answer, 3 more for a wellbeing check-in. One definition for points and leaderboards. -#}
{% macro engagement_points(alias='messages') -%}
    10 * {{ alias }}.replied_within_24h::int
    + 5 * coalesce({{ alias }}.quiz_answer_correct, false)::int
    + 3 * ({{ alias }}.check_in_score is not null)::int
{%- endmacro %}
