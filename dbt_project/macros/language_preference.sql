{#-
    The order in which a content item's language variants are preferred for one worker: the
    worker's own language, else the journey's default (its first language) when given, else
    English, else any (alphabetically, so the choice is stable).
    Used as `order by {{ language_preference('variants.language', 'workers.language') }}`.
-#}
{% macro language_preference(variant_language, wanted_language, default_language=none) -%}
    {{ variant_language }} = {{ wanted_language }} desc,
            {%- if default_language %}
            coalesce({{ variant_language }} = {{ default_language }}, false) desc,
            {%- endif %}
            {{ variant_language }} = 'en' desc,
            {{ variant_language }}
{%- endmacro %}
