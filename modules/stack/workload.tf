# The payments workload this environment runs: the thing the replication is of.

module "payments" {
  source = "../payments"

  name_prefix                = local.name
  env                        = var.env
  payments                   = var.payments
  allowed_origins            = var.allowed_origins
  kms_key_arn                = module.key.key_arn
  vpc_id                     = module.network.vpc_id
  subnet_ids                 = module.network.private_subnet_ids
  function_security_group_id = module.network.function_security_group_id
  alert_topic_arn            = module.notifications.alerts_topic_arn
  deletion_protection        = var.deletion_protection
  # Every package that is not one of the stack's own functions is the workload's.
  lambda_packages = {
    for name, zip_path in var.lambda_packages : name => zip_path if !contains(keys(local.functions), name)
  }
}
