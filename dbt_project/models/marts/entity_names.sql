-- One row per named thing a chart or a read labels: notebooks and the API join ids to names here
-- instead of printing UUID prefixes. `label` is the name, made unique within its organization
-- and kind (a second "Onboarding" program reads "Onboarding (2)"), so two bars never merge.
{%- set named = [
    ('program', 'stg_store__programs', 'name'),
    ('experiment', 'stg_store__experiments', 'name'),
    ('segment', 'stg_store__segments', 'name'),
    ('journey', 'stg_store__journeys', 'name'),
    ('touchpoint', 'stg_store__touchpoints', 'name'),
    ('content', 'stg_store__content', 'key'),
] %}
with named as (
    select organization_id, 'organization' as entity_kind, id as entity_id, name, slug
    from {{ ref('stg_store__organizations') }}
    {%- for kind, model, name in named %}
    union all
    select organization_id, '{{ kind }}', id, {{ name }}, null from {{ ref(model) }}
    {%- endfor %}
),

numbered as (
    select
        *,
        row_number() over (
            partition by organization_id, entity_kind, name order by entity_id
        ) as name_rank
    from named
)

select
    organization_id,
    entity_kind,
    entity_id,
    name,
    case when name_rank = 1 then name else name || ' (' || name_rank || ')' end as label,
    slug
from numbered
