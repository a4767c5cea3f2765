"""Where a search keeps its trials: an Optuna RDB storage (SQLite by default) whose heartbeats
let a trial of a dead process be found and queued again with the same hyperparameters."""

from __future__ import annotations

import contextlib
import os
import warnings


def import_optuna():
    try:
        import optuna
    except ImportError as error:
        raise ImportError("glassnet.tune's tuners run on Optuna: pip install "
                          "'glassnet[tune]'") from error
    return optuna


@contextlib.contextmanager
def quiet_optuna(optuna):
    """Optuna's own INFO lines off while the tuner prints its trial reports (a failed
    trial's warning stays)."""
    logging = optuna.logging
    before = logging.get_verbosity()
    logging.set_verbosity(max(before, logging.WARNING))
    try:
        yield
    finally:
        logging.set_verbosity(before)


def rdb_storage(optuna, storage, project_dir, heartbeat_interval, grace_period):
    """``storage`` as the study's storage: an Optuna storage object as it is; a database URL
    (None: ``sqlite:///project_dir/study.db``) as an ``RDBStorage`` with heartbeats and a
    callback that queues a stale trial again."""
    storages = optuna.storages
    if storage is not None and not isinstance(storage, str):
        return storage  # an Optuna storage object, as the user configured it
    if storage is None:
        storage = f"sqlite:///{os.path.abspath(os.path.join(project_dir, 'study.db'))}"
    # Heartbeats and their callbacks are "experimental" in Optuna's words.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        retry = getattr(storages, "RetryHeartbeatStaleTrialCallback", None)
        if retry is not None:
            retry_args = {"heartbeat_stale_trial_callback": retry(max_retry=None)}
        else:  # Optuna 3 and 4 retry a stale trial through the failed-trial callback
            retry_args = {"failed_trial_callback": storages.RetryFailedTrialCallback(None)}
        engine = {"connect_args": {"timeout": 60}} if storage.startswith("sqlite") else None
        return storages.RDBStorage(storage, engine_kwargs=engine,
                                   heartbeat_interval=heartbeat_interval,
                                   grace_period=grace_period, **retry_args)
