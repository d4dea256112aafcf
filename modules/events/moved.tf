# Where resources now stand inside child modules: deployed envs keep them, unchanged.

moved {
  from = aws_sqs_queue.this
  to   = module.queue.aws_sqs_queue.this
}

moved {
  from = aws_sqs_queue_policy.this
  to   = module.queue.aws_sqs_queue_policy.this
}

moved {
  from = aws_sqs_queue.dlq
  to   = module.dlq.aws_sqs_queue.this
}

moved {
  from = aws_sqs_queue_policy.dlq
  to   = module.dlq.aws_sqs_queue_policy.this
}

moved {
  from = aws_cloudwatch_metric_alarm.dead_letters
  to   = module.dlq.aws_cloudwatch_metric_alarm.dead_letters[0]
}
