# Where resources now stand inside child modules: deployed functions keep them, unchanged.

moved {
  from = aws_iam_role.this
  to   = module.execution_role.aws_iam_role.this
}

moved {
  from = aws_iam_role_policy.this
  to   = module.execution_role.aws_iam_role_policy.this["function"]
}
