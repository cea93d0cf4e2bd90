{#- A share, rate or weight: a number between 0 and 1 (nulls pass; pair with not_null). -#}
{% test is_share(model, column_name) %}

select {{ column_name }}
from {{ model }}
where {{ column_name }} < 0 or {{ column_name }} > 1

{% endtest %}
