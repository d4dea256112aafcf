# Where resources now stand inside child modules: deployed envs keep them, unchanged.

moved {
  from = aws_iam_role.rollback_forwarding[0]
  to   = module.rollback_forwarding_role[0].aws_iam_role.this
}

moved {
  from = aws_iam_role_policy.rollback_forwarding[0]
  to   = module.rollback_forwarding_role[0].aws_iam_role_policy.this["forward-accepted-rollbacks"]
}
