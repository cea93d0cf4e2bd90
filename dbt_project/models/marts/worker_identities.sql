-- Who each worker is: the one mart that names people. It is published to the lake's restricted
-- layer (never to gold/), with the pseudonymous worker key beside the id, so activation and the
-- admin reads can turn an analytics row back into a person at their last step.
select
    id as worker_id,
    organization_id,
    external_id,
    display_name,
    phone_e164,
    is_deleted,
    updated_at
from {{ ref('stg_store__workers') }}
