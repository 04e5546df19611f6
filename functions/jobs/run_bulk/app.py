"""The bulk job worker: SQS messages {"tenant_id", "job_id"} advance a job chunk by chunk."""

from clientele.workers.bulk_jobs import handle_job_messages


def handler(event, context):
    return handle_job_messages(event, context)
