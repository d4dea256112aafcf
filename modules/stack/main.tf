# The shared stack for ONE environment. Everything that differs between environments
# arrives as a variable; everything else is fixed here, so a difference is drift.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  name               = "${var.system}-${var.env}"
  log_retention_days = 30
  metrics_namespace  = "Infrarep"
  functions = {
    deployment_recorder = "Records each stack update of ${var.env} in the deployment ledger"
    drift_validator     = "Compares ${var.env}'s config manifest with ${coalesce(var.promotion_source_env, var.env)}'s"
    rollback_executor   = "Accepts a rollback of ${var.env}: a REQUESTED ledger row and a RollbackAccepted event for the control plane's deploy build"
  }
  account_id         = data.aws_caller_identity.current.account_id
  control_account_id = coalesce(var.control_account_id, local.account_id)
  # The control plane's config store replicates into this env's with this role
  # (terraform/control_plane: modules/config_store named <system>-control-config-<account>).
  # Within one account IAM alone grants it; from another, this bucket and key must.
  control_replication_roles = local.control_account_id == local.account_id ? [] : [
    "arn:${data.aws_partition.current.partition}:iam::${local.control_account_id}:role/${var.system}-control-config-${local.control_account_id}-replication"
  ]
  default_bus_arn = "arn:${data.aws_partition.current.partition}:events:${data.aws_region.current.region}:${data.aws_caller_identity.current.account_id}:event-bus/default"
}

module "key" {
  source = "../kms_key"

  name               = local.name
  service_principals = ["logs", "sns", "sqs", "dynamodb", "s3", "lambda", "cloudwatch", "events", "rds", "secretsmanager"]
  encrypting_roles   = local.control_replication_roles
}

# The functions run in its private subnets with no NAT: they reach only this region's services,
# through its VPC endpoints (its default interface endpoints include sns and events, which the
# rollback executor calls; dynamodb and s3 are gateway endpoints).
module "network" {
  source = "../network"

  name_prefix = local.name
  vpc_cidr    = var.vpc_cidr
  az_count    = var.az_count
  kms_key_arn = module.key.key_arn
}

module "ledger" {
  source = "../state_table"

  name                = "${local.name}-ledger"
  kms_key_arn         = module.key.key_arn
  deletion_protection = var.deletion_protection
}

module "config_store" {
  source = "../config_store"

  name                = "${local.name}-config-${local.account_id}"
  kms_key_arn         = module.key.key_arn
  force_destroy       = var.force_destroy
  replication_sources = local.control_replication_roles
}

module "notifications" {
  source = "../notifications"

  name_prefix = local.name
  kms_key_arn = module.key.key_arn
  subscriptions = flatten([
    for email in var.alert_emails : [
      for topic in ["drift", "validation", "rollback", "alerts"] : { topic = topic, protocol = "email", endpoint = email }
    ]
  ])
}
