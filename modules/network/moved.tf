# Where resources now stand inside child modules: deployed networks keep them, unchanged.

moved {
  from = aws_iam_role.flow_logs
  to   = module.flow_logs_role.aws_iam_role.this
}

moved {
  from = aws_iam_role_policy.flow_logs
  to   = module.flow_logs_role.aws_iam_role_policy.this["write-flow-logs"]
}
