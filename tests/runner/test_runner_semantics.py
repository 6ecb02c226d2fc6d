"""Pure pieces: retry delays, states, XCom codec, context and AIRFLOW_CTX variables, templating."""

from __future__ import annotations

import datetime as dt

import pendulum
import pytest

from migrator.runner import states, xcom_codec
from migrator.runner.retries import MAX_RETRY_DELAY, retry_delay
from migrator.runner.shim import airflow_shim


def delay(try_number: int, base: float = 10, backoff: float = 0, cap: float | None = None) -> float:
    return retry_delay(retry_delay=dt.timedelta(seconds=base), retry_exponential_backoff=backoff,
                       max_retry_delay=dt.timedelta(seconds=cap) if cap else None, try_number=try_number,
                       dag_id="d", task_id="t", logical_date=pendulum.datetime(2024, 1, 1)).total_seconds()


def test_constant_retry_delay_ignores_max() -> None:
    assert [delay(n, cap=1) for n in (1, 2, 3)] == [10, 10, 10]


def test_exponential_backoff_is_deterministic_jittered_and_capped() -> None:
    for n in (1, 2, 3, 4):
        low = 10 * 2 ** (n - 1)
        assert low <= delay(n, backoff=2) < 2 * low
        assert delay(n, backoff=2) == delay(n, backoff=2)  # a hash, not a random number
    assert delay(10, backoff=2, cap=60) == 60
    assert delay(80, backoff=2) == MAX_RETRY_DELAY  # overflow is capped, not an error
    assert delay(3, base=0, backoff=2) in (1, 2, 3, 4, 5, 6, 7)  # zero delay still waits >= 1 s


def test_backoff_true_means_doubling() -> None:
    with airflow_shim():
        from airflow.providers.standard.operators.bash import BashOperator
        from airflow.sdk import DAG

        with DAG("d"):
            task = BashOperator(task_id="t", bash_command="true", retry_exponential_backoff=True)
    assert task.retry_exponential_backoff == 2.0


def test_state_groups() -> None:
    assert states.FINISHED | {None, *states.UNFINISHED} >= set(states.TaskInstanceState) - {states.TaskInstanceState.RESTARTING} | {None}
    assert not states.FINISHED & states.UNFINISHED
    assert states.FAILED_STATES == {"failed", "upstream_failed"}
    assert states.SUCCESS_STATES == {"success", "skipped"}
    assert str(states.DagRunState.SUCCESS) == "success"


@pytest.mark.parametrize("value", [
    None, 1, 2.5, "x", [1, "a"], {"k": {"n": [None]}}, (1, 2), {1, 2},
    pendulum.datetime(2024, 1, 2, 3, 4, 5), dt.date(2024, 1, 2), dt.timedelta(seconds=90),
])
def test_xcom_round_trip(value: object) -> None:
    assert xcom_codec.decode(xcom_codec.encode(value)) == value


def test_xcom_rejects_objects() -> None:
    with pytest.raises(TypeError, match="not serializable"):
        xcom_codec.encode(object())
    with pytest.raises(TypeError, match="string keys"):
        xcom_codec.encode({1: 2})


def _context(schedule="@daily", conf=None, task_kwargs=None):
    from migrator.runner.context import DagRunView, RuntimeTaskInstance, build_context
    from migrator.runner.sdk.params import process_params

    with airflow_shim():
        from airflow.providers.standard.operators.bash import BashOperator
        from airflow.sdk import DAG

        with DAG("ctx", schedule=schedule, params={"p": 1}) as dag:
            task = BashOperator(task_id="t", bash_command="echo", owner="ann", email=["a@x", "b@x"],
                                **(task_kwargs or {}))
    logical = pendulum.datetime(2024, 2, 29, 6, 30)
    run = DagRunView(dag_id="ctx", run_id="manual__x", logical_date=logical, data_interval_start=logical,
                     data_interval_end=logical.add(days=1), run_after=logical, run_type="manual", conf=conf or {})

    class NoXComs:
        def get(self, *args):
            from migrator.runner.context import MISSING

            return MISSING

    ti = RuntimeTaskInstance(task=task, run=run, try_number=2, max_tries=3, xcoms=NoXComs())
    return build_context(dag=dag, task=task, run=run, ti=ti, params=process_params(dag.params, task.params, run.conf))


def test_context_keys_and_values() -> None:
    context = _context(conf={"p": 7})
    assert context["ds"] == "2024-02-29" and context["ds_nodash"] == "20240229"
    assert context["ts"] == "2024-02-29T06:30:00+00:00" and context["ts_nodash"] == "20240229T063000"
    assert context["ts_nodash_with_tz"] == "20240229T063000+0000"
    assert context["task_instance_key_str"] == "ctx__t__20240229"
    assert context["params"] == {"p": 7}  # conf overrides params
    assert context["ti"] is context["task_instance"]
    assert isinstance(context["logical_date"], pendulum.DateTime)
    for removed in ("execution_date", "next_ds", "prev_ds", "tomorrow_ds", "yesterday_ds"):
        assert removed not in context  # gone in Airflow 3


def test_airflow_ctx_variables() -> None:
    from migrator.runner.context import context_to_airflow_vars

    assert context_to_airflow_vars(_context()) == {
        "AIRFLOW_CTX_DAG_EMAIL": "a@x,b@x",
        "AIRFLOW_CTX_DAG_OWNER": "ann",
        "AIRFLOW_CTX_DAG_ID": "ctx",
        "AIRFLOW_CTX_TASK_ID": "t",
        "AIRFLOW_CTX_LOGICAL_DATE": "2024-02-29T06:30:00+00:00",
        "AIRFLOW_CTX_TRY_NUMBER": "2",
        "AIRFLOW_CTX_DAG_RUN_ID": "manual__x",
    }


def test_bash_env_rules() -> None:
    from migrator.runner.sdk.operators import bash_env

    ctx = {"AIRFLOW_CTX_TASK_ID": "t"}
    assert bash_env({"A": "1"}, False, ctx) == {"A": "1", "AIRFLOW_CTX_TASK_ID": "t"}
    merged = bash_env({"A": "1"}, True, ctx)
    assert merged["A"] == "1" and "PATH" in merged and merged["AIRFLOW_CTX_TASK_ID"] == "t"
    assert "PATH" in bash_env(None, False, ctx)


def test_rendering_does_not_touch_the_task() -> None:
    from migrator.runner.templating import rendered_fields

    context = _context(task_kwargs={"env": {"D": "{{ ds }}"}})
    task = context["task"]
    task.bash_command = "echo {{ ds }} {{ params.p }}\n"
    assert rendered_fields(task, context) == {"bash_command": "echo 2024-02-29 1", "env": {"D": "2024-02-29"},
                                             "cwd": None}
    assert task.bash_command == "echo {{ ds }} {{ params.p }}\n"
    task.bash_command = "plain text\n"  # no Jinja syntax: only the trailing newline goes, as with Jinja
    assert rendered_fields(task, context)["bash_command"] == "plain text"


def test_sandbox_allows_private_but_not_dunder() -> None:
    from jinja2.exceptions import SecurityError

    from migrator.runner.templating import render_value

    context = _context()
    task = context["task"]
    assert render_value(task, "{{ task._dag.dag_id }}", context) == "ctx"
    with pytest.raises(SecurityError):
        render_value(task, "{{ task.__class__.__mro__ }}", context)
