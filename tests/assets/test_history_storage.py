"""`make run`'s Dagster instance: Dagster's sqlite history files, written through one engine per file."""

from __future__ import annotations

from pathlib import Path

from dagster import AssetKey, DagsterInstance, DagsterRunStatus
from dagster._core.test_utils import create_run_for_test

from assets.history_storage import EventLogStorage, RunStorage
from assets.instance import open_instance, prepare_dagster_home
from assets.run import materialize_all
from pipelines.forms.return_writer import write_return
from tests.conftest import sample_return


def test_the_project_settings_get_the_one_engine_classes(deployment):
    assert isinstance(deployment.instance.event_log_storage, EventLogStorage)
    assert isinstance(deployment.instance.run_storage, RunStorage)


def test_a_deployment_that_configures_storage_keeps_it(tmp_path: Path, monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    home = prepare_dagster_home(tmp_path / "warehouse")
    own = tmp_path / "own-storage"
    settings = home / "dagster.yaml"
    settings.write_text(
        settings.read_text(encoding="utf-8") + f"storage:\n  sqlite:\n    base_dir: {own}\n", encoding="utf-8"
    )
    with open_instance(home) as instance:
        assert not isinstance(instance.event_log_storage, EventLogStorage)
        assert not isinstance(instance.run_storage, RunStorage)
        instance.report_engine_event("hello", create_run_for_test(instance, job_name="any"))
    assert (own / "history" / "runs.db").is_file()
    assert not (home / "history").exists()


def test_dagster_reads_the_history_as_its_own(deployment):
    """What `make run` wrote, `dagster dev` (Dagster's own classes, the same dagster.yaml) reads."""
    write_return(sample_return("KAZ", 2023), deployment.inputs / "KAZ_2023.xlsx")
    result = materialize_all(deployment.inputs, deployment.warehouse, deployment.instance)
    assert result.success
    ours = deployment.instance.all_logs(result.run_id)

    with DagsterInstance.from_config(str(deployment.warehouse / ".dagster")) as plain:
        assert type(plain.event_log_storage).__module__.startswith("dagster.")
        run = plain.get_run_by_id(result.run_id)
        assert run is not None and run.status == DagsterRunStatus.SUCCESS
        theirs = plain.all_logs(result.run_id)
        assert [(e.timestamp, e.message) for e in theirs] == [(e.timestamp, e.message) for e in ours]
        # The cross-run index (asset records) is shared too.
        release = plain.get_latest_materialization_event(AssetKey("release"))
        assert release is not None and release.run_id == result.run_id


def test_a_long_lived_instance_keeps_a_few_engines_not_one_per_run(deployment):
    storage = deployment.instance.event_log_storage
    runs = [
        create_run_for_test(deployment.instance, job_name="any")
        for _ in range(EventLogStorage.ENGINES_KEPT + 3)
    ]
    for run in runs:
        deployment.instance.report_engine_event("hello", run)
    assert len(storage._engines) == EventLogStorage.ENGINES_KEPT
    assert runs[-1].run_id in storage._engines
    # An engine dropped is made again when its file is used again; the events are all there.
    deployment.instance.report_engine_event("again", runs[0])
    assert [e.message for e in deployment.instance.all_logs(runs[0].run_id)][-2:] == ["hello", "again"]
