"""The Celery app a worker serves: `celery -A odc_pipeline.celery_worker worker -Q dagster`.

Dagster's own `dagster_celery.app` reads its broker from a host name only; this one reads the
whole URL from `ODC_CELERY_BROKER` (default: the machine's RabbitMQ), the same variable the
executor uses, so a worker and the runs that feed it cannot disagree.
"""

from dagster_celery.make_app import make_app
from dagster_celery.tasks import create_task

from odc_pipeline.settings import celery_backend, celery_broker

app = make_app({"broker": celery_broker(), "backend": celery_backend()})
# Acknowledge a task only once its step has run: a worker killed mid-step leaves the task on
# the broker for another worker instead of losing it.
app.conf.task_acks_late = True
app.conf.task_reject_on_worker_lost = True
app.conf.worker_prefetch_multiplier = 1

execute_plan = create_task(app)
