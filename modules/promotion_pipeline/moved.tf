# Where resources now stand inside child modules: deployed control planes keep them, unchanged.

moved {
  from = aws_iam_role.build["deploy"]
  to   = module.build_role["deploy"].aws_iam_role.this
}

moved {
  from = aws_iam_role_policy.build["deploy"]
  to   = module.build_role["deploy"].aws_iam_role_policy.this["deploy-build"]
}

moved {
  from = aws_iam_role.build["validate"]
  to   = module.build_role["validate"].aws_iam_role.this
}

moved {
  from = aws_iam_role_policy.build["validate"]
  to   = module.build_role["validate"].aws_iam_role_policy.this["validate-build"]
}

moved {
  from = aws_iam_role.states
  to   = module.states_role.aws_iam_role.this
}

moved {
  from = aws_iam_role_policy.states
  to   = module.states_role.aws_iam_role_policy.this["state-machines"]
}

moved {
  from = aws_iam_role.pipeline
  to   = module.pipeline_role.aws_iam_role.this
}

moved {
  from = aws_iam_role_policy.pipeline
  to   = module.pipeline_role.aws_iam_role_policy.this["pipeline"]
}

moved {
  from = aws_iam_role.trigger
  to   = module.trigger_role.aws_iam_role.this
}

moved {
  from = aws_iam_role_policy.trigger
  to   = module.trigger_role.aws_iam_role_policy.this["start-pipeline"]
}

moved {
  from = aws_iam_role.rollback_build
  to   = module.rollback_build_role.aws_iam_role.this
}

moved {
  from = aws_iam_role_policy.rollback_build
  to   = module.rollback_build_role.aws_iam_role_policy.this["start-rollback-builds"]
}

moved {
  from = aws_sqs_queue.rollback_build_dlq
  to   = module.rollback_build_dlq.aws_sqs_queue.this
}

moved {
  from = aws_sqs_queue_policy.rollback_build_dlq
  to   = module.rollback_build_dlq.aws_sqs_queue_policy.this
}
