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
    rollback_executor   = "Requests a rollback of ${var.env}: a REQUESTED ledger row and the deploy build that applies it"
  }
  # Names terraform/control_plane (modules/promotion_pipeline) gives what a rollback uses.
  control = {
    deploy_project = "${var.system}-control-deploy"
    release_bucket = "${var.system}-control-config-${data.aws_caller_identity.current.account_id}"
    release_key    = "releases/source.zip"
  }
}

module "key" {
  source = "../kms_key"

  name               = local.name
  service_principals = ["logs", "sns", "sqs", "dynamodb", "s3", "lambda", "cloudwatch", "events", "rds", "secretsmanager"]
}

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

  name          = "${local.name}-config-${data.aws_caller_identity.current.account_id}"
  kms_key_arn   = module.key.key_arn
  force_destroy = var.force_destroy
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
