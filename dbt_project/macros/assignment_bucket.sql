{#-
    A unit's position in [0, 1) for an experiment salt: the first 8 bytes of
    sha256('<salt>:<unit>') as an unsigned integer over 2^64. The same number as
    coaching.experiments.assignment.bucket, so the warehouse and the API assign alike.
-#}
{% macro assignment_bucket(salt, unit) -%}
    {{ return(adapter.dispatch('assignment_bucket')(salt, unit)) }}
{%- endmacro %}
{% macro duckdb__assignment_bucket(salt, unit) -%}
    (cast(cast(('0x' || substr(sha256({{ salt }} || ':' || {{ unit }}), 1, 16)) as ubigint) as double) / 18446744073709551616.0)
{%- endmacro %}
{% macro default__assignment_bucket(salt, unit) -%}
    (cast(conv(substr(sha2(concat({{ salt }}, ':', {{ unit }}), 256), 1, 16), 16, 10) as decimal(20, 0)) / 18446744073709551616.0)
{%- endmacro %}
