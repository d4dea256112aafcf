# Where resources now stand inside child modules: deployed databases keep them, unchanged.

moved {
  from = aws_iam_role.monitoring
  to   = module.monitoring_role.aws_iam_role.this
}

moved {
  from = aws_iam_role_policy_attachment.monitoring
  to   = module.monitoring_role.aws_iam_role_policy_attachment.this["enhanced-monitoring"]
}
