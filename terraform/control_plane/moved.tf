# Where resources now stand inside child modules: the deployed control plane keeps them, unchanged.

moved {
  from = aws_iam_role.rollback_routing
  to   = module.rollback_routing_role.aws_iam_role.this
}

moved {
  from = aws_iam_role_policy.rollback_routing
  to   = module.rollback_routing_role.aws_iam_role_policy.this["forward-rollback-requests"]
}
