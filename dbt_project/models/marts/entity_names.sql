-- One row per named thing a chart or a read labels: notebooks and the API join ids to names here
-- instead of printing UUID prefixes. `label` is the name, made unique within its organization
-- and kind (a second "Onboarding" program reads "Onboarding (2)"), so two bars never merge.
with named as (
    select organization_id, 'organization' as entity_kind, id as entity_id, name, slug
    from {{ ref('stg_store__organizations') }}
    union all
    select organization_id, 'program', id, name, null from {{ ref('stg_store__programs') }}
    union all
    select organization_id, 'experiment', id, name, null from {{ ref('stg_store__experiments') }}
    union all
    select organization_id, 'segment', id, name, null from {{ ref('stg_store__segments') }}
    union all
    select organization_id, 'journey', id, name, null from {{ ref('stg_store__journeys') }}
    union all
    select organization_id, 'touchpoint', id, name, null from {{ ref('stg_store__touchpoints') }}
    union all
    select organization_id, 'content', id, key, null from {{ ref('stg_store__content') }}
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
