# Where resources now stand inside child modules: deployed config stores keep them, unchanged.

moved {
  from = aws_iam_role.replication[0]
  to   = module.replication_role[0].aws_iam_role.this
}

moved {
  from = aws_iam_role_policy.replication[0]
  to   = module.replication_role[0].aws_iam_role_policy.this["replicate"]
}
