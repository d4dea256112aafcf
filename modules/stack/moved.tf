# Where resources now stand inside child modules: deployed envs keep them, unchanged.

moved {
  from = aws_iam_role.rollback_forwarding[0]
  to   = module.rollback_forwarding_role[0].aws_iam_role.this
}

moved {
  from = aws_iam_role_policy.rollback_forwarding[0]
  to   = module.rollback_forwarding_role[0].aws_iam_role_policy.this["forward-accepted-rollbacks"]
}

moved {
  from = aws_sqs_queue.rollback_forwarding_dlq[0]
  to   = module.rollback_forwarding_dlq[0].aws_sqs_queue.this
}

moved {
  from = aws_sqs_queue_policy.rollback_forwarding_dlq[0]
  to   = module.rollback_forwarding_dlq[0].aws_sqs_queue_policy.this
}

moved {
  from = aws_cloudwatch_metric_alarm.rollback_forwarding_dead_letters[0]
  to   = module.rollback_forwarding_dlq[0].aws_cloudwatch_metric_alarm.dead_letters[0]
}
