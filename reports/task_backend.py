"""A django-tasks backend that runs each task in a daemon thread of the current process, after commit.

For `make run` and small installations: no worker, no broker. A task enqueued inside a transaction
starts only once that transaction commits (and never if it rolls back), so the task sees the rows
the request wrote. At most ``OPTIONS["max_threads"]`` tasks run at once per process; the others
wait their turn. Results are not kept (``supports_get_result = False``): the task records its own
outcome (``reports.models.ReportJob``). A stopped process loses its running tasks; production uses
``django_tasks_db.DatabaseBackend`` with ``manage.py db_worker`` (README, "Deploying").
"""

import logging
import threading
from typing import Any, TypeVar

from django.db import close_old_connections, connections, transaction
from django.utils import timezone
from django_tasks.backends.base import BaseTaskBackend
from django_tasks.base import Task, TaskResult, TaskResultStatus
from django_tasks.utils import get_random_id
from typing_extensions import ParamSpec

logger = logging.getLogger(__name__)

T = TypeVar("T")
P = ParamSpec("P")


class ThreadBackend(BaseTaskBackend):
    supports_defer = False
    supports_async_task = False
    supports_get_result = False
    supports_priority = False

    def __init__(self, alias: str, params: dict) -> None:
        super().__init__(alias, params)
        self.max_threads = max(1, int(self.options.get("max_threads", 2)))
        self._slots = threading.BoundedSemaphore(self.max_threads)
        self.threads: list[threading.Thread] = []  # started threads, for tests and shutdown diagnostics

    def enqueue(self, task: Task[P, T], args: Any, kwargs: Any) -> TaskResult[T]:
        self.validate_task(task)
        result: TaskResult[T] = TaskResult(
            task=task, id=get_random_id(), status=TaskResultStatus.READY, enqueued_at=timezone.now(),
            started_at=None, last_attempted_at=None, finished_at=None, args=list(args), kwargs=dict(kwargs),
            backend=self.alias, errors=[], worker_ids=[],
        )
        transaction.on_commit(lambda: self._start(task, result))
        return result

    def _start(self, task: Task, result: TaskResult) -> None:
        thread = threading.Thread(target=self._run, args=(task, result), name=f"task-{result.id}", daemon=True)
        self.threads = [t for t in self.threads if t.is_alive()] + [thread]
        thread.start()

    def _run(self, task: Task, result: TaskResult) -> None:
        with self._slots:
            try:
                close_old_connections()
                task.call(*result.args, **result.kwargs)
            except Exception:
                logger.exception("Background task %s (%s) failed", task.module_path, result.id)
            finally:
                connections.close_all()
