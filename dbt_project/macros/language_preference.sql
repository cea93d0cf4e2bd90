{#-
    The order in which a content item's language variants are preferred for one worker: the
    worker's own language, else English, else any (alphabetically, so the choice is stable).
    Used as `order by {{ language_preference('variants.language', 'workers.language') }}`.
-#}
{% macro language_preference(variant_language, wanted_language) -%}
    {{ variant_language }} = {{ wanted_language }} desc,
            {{ variant_language }} = 'en' desc,
            {{ variant_language }}
{%- endmacro %}
