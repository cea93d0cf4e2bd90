{#-
    A unit's position in [0, 1) for an experiment salt: the first 8 bytes of
    sha256('<salt>:<unit>') as an unsigned integer over 2^64. The same number as
    coaching.experiments.assignment.bucket, so the warehouse and the API assign alike.
-#}
{% macro assignment_bucket(salt, unit) -%}
    (cast(('0x' || substr(sha256({{ salt }} || ':' || {{ unit }}), 1, 16)) as ubigint)::double / 18446744073709551616.0)
{%- endmacro %}
