# Where resources now stand inside child modules: deployed APIs keep them, unchanged.

moved {
  from = aws_iam_role.logging[0]
  to   = module.logging_role[0].aws_iam_role.this
}

moved {
  from = aws_iam_role_policy_attachment.logging[0]
  to   = module.logging_role[0].aws_iam_role_policy_attachment.this["push-to-cloudwatch-logs"]
}
