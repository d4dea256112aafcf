# The control plane, once per account in the control region: the primary config store
# (replicated to every environment region other than its own), the promotion pipeline and
# the drift dashboard. Environment resources are addressed by the names modules/stack
# gives them; the environments must be deployed before replication can deliver to them.

provider "aws" {
  region = var.region
  # With an account of its own (environments.yaml), the control plane is applied as its
  # deployer role there, and nowhere else.
  allowed_account_ids = var.account_id == null ? null : [var.account_id]

  dynamic "assume_role" {
    for_each = var.deployer_role_arn == null ? [] : [var.deployer_role_arn]

    content {
      role_arn     = assume_role.value
      session_name = "infrarep-control"
    }
  }

  default_tags {
    tags = {
      System       = var.system
      Environment  = "control"
      ManagedBy    = "terraform"
      CostCenter   = var.cost_center
      Version      = var.release_version
      SourceCommit = var.source_commit
    }
  }
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  name       = "${var.system}-control"
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  # The role terraform runs as in the pipeline's builds. The account's administrators own it
  # (it needs the rights to change every environment); the pipeline may only assume it.
  deployer_role_arn = "arn:${local.partition}:iam::${local.account_id}:role/${var.system}-deployer"
  # Each env's account: an env without one of its own is in this one.
  env_accounts = { for env in var.environments : env.name => coalesce(env.account_id, local.account_id) }
  # Names modules/stack gives each environment's resources.
  env_resources = {
    for env in var.environments : env.name => {
      region       = env.region
      account_id   = local.env_accounts[env.name]
      config_arn   = "arn:${local.partition}:s3:::${var.system}-${env.name}-config-${local.env_accounts[env.name]}"
      key_alias    = "arn:${local.partition}:kms:${env.region}:${local.env_accounts[env.name]}:alias/${var.system}-${env.name}"
      ledger_table = "${var.system}-${env.name}-ledger"
      alarms = concat(
        ["${var.system}-${env.name}-drift-detected"],
        [for f in ["deployment-recorder", "drift-validator", "rollback-executor"] : "${var.system}-${env.name}-${f}-errors"],
      )
    }
  }
}

module "key" {
  source = "../../modules/kms_key"

  name               = local.name
  service_principals = ["logs", "sns", "s3", "events"]
}

# The primary config store: release bundles and parameters, replicated with replication
# time control to the config store of every environment outside the control region or in
# another account (whose store and key let this store's replication role deliver).
module "config_store" {
  source = "../../modules/config_store"

  name          = "${local.name}-config-${local.account_id}"
  kms_key_arn   = module.key.key_arn
  force_destroy = var.force_destroy
  replication_destinations = {
    for name, env in local.env_resources : name => {
      bucket_arn  = env.config_arn
      kms_key_arn = env.key_alias
      account_id  = env.account_id
    } if env.region != var.region || env.account_id != local.account_id
  }
}

# A new release bundle in the store starts the pipeline (through EventBridge).
resource "aws_s3_bucket_notification" "config_store" {
  bucket      = module.config_store.bucket_name
  eventbridge = true
}

module "pipeline" {
  source = "../../modules/promotion_pipeline"

  name              = local.name
  environments      = [for env in var.environments : { name = env.name, approval_required = env.approval_required }]
  source_bucket     = { name = module.config_store.bucket_name, arn = module.config_store.bucket_arn }
  kms_key_arn       = module.key.key_arn
  deployer_role_arn = local.deployer_role_arn
  environment_role_arns = {
    for env in var.environments : env.name => env.deployer_role_arn if env.deployer_role_arn != null
  }
  soak_seconds  = var.soak_seconds
  force_destroy = var.force_destroy
}

# The drift check of every env on environments.yaml's drift.schedule (none when unset).
module "scheduled_drift" {
  source = "../../modules/scheduled_drift"

  name                = local.name
  environments        = [for env in var.environments : { name = env.name, region = env.region }]
  deployer_role_arn   = local.deployer_role_arn
  schedule_expression = var.drift_schedule
  source_bucket       = { name = module.config_store.bucket_name, arn = module.config_store.bucket_arn }
  kms_key_arn         = module.key.key_arn
  build_image         = module.pipeline.build_image
}

module "dashboard" {
  source = "../../modules/drift_dashboard"

  name = "${var.system}-drift"
  environments = [
    for env in var.environments : {
      name              = env.name
      region            = env.region
      ledger_table_name = local.env_resources[env.name].ledger_table
      alarm_names       = local.env_resources[env.name].alarms
    }
  ]
  pipeline = { name = module.pipeline.pipeline_name, region = var.region }
}

# Rollback requests (the rollback pipeline, the soak's drift check) are events on this region's
# default bus; an env outside this region hears them on its own region's default bus, where its
# rollback executor listens (modules/stack).
locals {
  remote_envs = {
    for name, env in local.env_resources : name => env
    if env.region != var.region || env.account_id != local.account_id
  }
  other_accounts = distinct([for env in local.env_resources : env.account_id if env.account_id != local.account_id])
}

data "aws_iam_policy_document" "rollback_routing" {
  statement {
    sid       = "ForwardToEnvRegions"
    actions   = ["events:PutEvents"]
    resources = distinct([for env in local.remote_envs : "arn:${local.partition}:events:${env.region}:${env.account_id}:event-bus/default"])
  }
}

module "rollback_routing_role" {
  source = "../../modules/service_role"

  name            = "${local.name}-rollback-routing"
  assumed_by      = ["events.amazonaws.com"]
  inline_policies = { forward-rollback-requests = data.aws_iam_policy_document.rollback_routing.json }
}

resource "aws_cloudwatch_event_rule" "rollback_requested" {
  for_each = local.remote_envs

  name        = "${local.name}-rollback-requested-${each.key}"
  description = "A rollback of ${each.key} was requested: forwarded to ${each.value.region}"
  event_pattern = jsonencode({
    source      = ["infrarep"]
    detail-type = ["RollbackRequested"]
    detail      = { env = [each.key] }
  })
}

resource "aws_cloudwatch_event_target" "rollback_requested" {
  for_each = local.remote_envs

  rule     = aws_cloudwatch_event_rule.rollback_requested[each.key].name
  arn      = "arn:${local.partition}:events:${each.value.region}:${each.value.account_id}:event-bus/default"
  role_arn = module.rollback_routing_role.arn
}

# Envs in other accounts forward their accepted rollbacks to this region's default bus.
data "aws_iam_policy_document" "accepted_rollbacks" {
  count = length(local.other_accounts) > 0 ? 1 : 0

  statement {
    sid       = "EnvAccountsForwardAcceptedRollbacks"
    actions   = ["events:PutEvents"]
    resources = ["arn:${local.partition}:events:${var.region}:${local.account_id}:event-bus/default"]

    principals {
      type        = "AWS"
      identifiers = local.other_accounts
    }
  }
}

resource "aws_cloudwatch_event_bus_policy" "accepted_rollbacks" {
  count = length(local.other_accounts) > 0 ? 1 : 0

  event_bus_name = "default"
  policy         = data.aws_iam_policy_document.accepted_rollbacks[0].json
}
