{#- Keywords that opt a worker out (coaching.domain.OPT_OUT_KEYWORDS). -#}
{% macro is_opt_out_keyword(column) -%}
    upper(trim({{ column }})) in ('STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'OPTOUT', 'PARAR', 'ACHA')
{%- endmacro %}
