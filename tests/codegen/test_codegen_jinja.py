from __future__ import annotations

from codegen_support import airflow_render
from hypothesis import given
from hypothesis import strategies as st

from migrator.codegen.jinja import TEMPLATE_EXTENSIONS, literal_template

# texts rich in Jinja syntax, raw-block words and the characters Jinja rewrites
jinja_heavy = st.text(
    alphabet=st.sampled_from(list("{}%#-+ raw endraw\r\n\\'\"ab.sh"))
    | st.characters(codec="utf-8"),
    max_size=40,
)


@given(jinja_heavy)
def test_literal_template_renders_to_the_text(text: str) -> None:
    template = literal_template(text)
    assert airflow_render(template) == text
    assert not template.endswith(TEMPLATE_EXTENSIONS)


@given(jinja_heavy, st.sampled_from(["{{ 'x' }}", "{{ logical_date }}"]))
def test_literal_followed_by_an_expression_stays_literal(text: str, expression: str) -> None:
    template = literal_template(text, followed_by_template=True) + "{{ 'X' }}"
    assert airflow_render(template) == text + "X"


def test_clean_text_is_left_readable() -> None:
    assert literal_template("python etl.py --day 2025-01-05") == "python etl.py --day 2025-01-05"
    assert literal_template("echo '{not jinja}'") == "echo '{not jinja}'"


def test_jinja_syntax_is_wrapped_in_raw_blocks() -> None:
    assert literal_template("echo {{ x }}") == "{% raw %}echo {{ x }}{% endraw %}"


def test_a_template_extension_is_never_the_last_thing() -> None:
    assert literal_template("/opt/run.sh") == "{% raw %}/opt/run.sh{% endraw %}"
    assert airflow_render(literal_template("/opt/run.bash")) == "/opt/run.bash"


def test_endraw_inside_the_text_cannot_close_the_block() -> None:
    text = "a {% endraw %} b {%- endraw -%} c"
    assert airflow_render(literal_template(text)) == text
